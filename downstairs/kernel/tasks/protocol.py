"""What the servers among the tasks understand: their operations (a message's op) and reply codes.
Clients and servers import this file, so each number is written once.

    server  op        words in                 leases                     reply: code, words
    uart    U_WRITE   -                        0: the bytes (read)        OK
            U_READ    -                        0: a buffer (write)        OK, w0 = bytes read (>= 1; waits)
    blk     B_READ    w0 = first sector        0: buffer (write), n*512   OK or E_IO / E_RANGE
            B_WRITE   w0 = first sector        0: the data (read), n*512  OK or E_IO / E_RANGE
            B_INFO    -                        -                          OK, w0 = capacity in sectors
    store   S_GET     -                        0: key (read), 1: buffer   OK, w0 = value length; NOT_FOUND
            S_PUT     -                        0: key (read), 1: value    OK, or FULL / TOO_BIG
    crasher C_PING    w0 = n                   -                          OK, w0 = n + 1 (or it faults)
"""

OK = 0
E_IO = 1            # the device reported an error
E_RANGE = 2         # sectors beyond the disk, or a lease of the wrong size
NOT_FOUND = 3
FULL = 4
TOO_BIG = 5
BAD_OP = 6
BUSY = 7

U_WRITE = 1
U_READ = 2

B_READ = 1
B_WRITE = 2
B_INFO = 3
SECTOR = 512

S_GET = 1
S_PUT = 2                 # keys up to storeformat.KEY_MAX bytes, values up to VALUE_MAX

C_PING = 1
