"""The store's disk format (store.py writes it; tests read it back on the host with these same
numbers). Sectors of 512 bytes:

    sector 0          superblock: magic "DSSTORE1" u64, version u32, record slots u32, puts u64
    sectors 1..SLOTS  one record each:
        +0  used u32 (1)      +4  key length u32     +8  value length u32    +12 times written u32
        +16 key (KEY_MAX bytes)                      +48 value (VALUE_MAX bytes)

A blank (all-zero) disk has no magic: the store formats it on its first start (zeroed slots, then
the superblock). A PUT rewrites the one sector of its record, then the superblock's count.

Where the store starts: a disk that begins with a system image (downstairs/image, docs/image.md:
its header in sector 0 starts with IMAGE_MAGIC) keeps the store after the image, from the sector
whose number the header holds as a u64 at IMAGE_DATA_SECTOR; the image build writes the store's
first records there. On any other disk the store starts at sector 0. The sector numbers above
count from that start.
"""

MAGIC = 0x3145524F54535344      # "DSSTORE1", little-endian
VERSION = 1
SLOTS = 32
SECTOR = 512
SB_MAGIC = 0
SB_VERSION = 8
SB_SLOTS = 12
SB_PUTS = 16
R_USED = 0
R_KEY_LENGTH = 4
R_VALUE_LENGTH = 8
R_WRITES = 12
R_KEY = 16
R_VALUE = 48
KEY_MAX = 32
VALUE_MAX = 464
IMAGE_MAGIC = 0x314547414D495344    # "DSIMAGE1", little-endian: sector 0 holds a system image's header
IMAGE_DATA_SECTOR = 0x18            # where that header keeps the first sector after the image (u64)
