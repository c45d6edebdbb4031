"""The store: records by key on the disk, served to the other tasks with S_GET and S_PUT
(protocol.py). It is the blk driver's client: it reads the whole store into memory when it
starts (formatting a blank disk first: storeformat.py is the layout) and writes each record's
sector through as it changes, so what a PUT answered OK for is on the disk. On a disk that holds
a system image, the store lives after the image (storeformat.py says where).
"""

from downstairs.compiler.runtime import u8, u32, u64, array, addr, load32, store32, load64, store64
import abi
from abi import Leases
from userlib import Message, OP, W0, send, recv, borrow_read, borrow_write, lease_length, lend
from protocol import OK, E_IO, NOT_FOUND, FULL, TOO_BIG, BAD_OP, B_READ, B_WRITE, S_GET, S_PUT
import storeformat as F
from slots import BLK

records = array(u8, F.SLOTS * F.SECTOR)     # sectors 1..SLOTS, as on the disk
super_block = array(u8, F.SECTOR)
zeros = array(u8, 4096)
key = array(u8, F.KEY_MAX)
message = Message()
io = Message()
io_leases = Leases()
ready: u64 = OK                              # E_IO if the disk could not be read or formatted
first: u64 = 0                               # the disk's sector where the store starts


def disk(op: u64, sector: u64, buffer: u64, length: u64, flags: u32) -> u64:
    """One request to the blk task: `length` bytes at our `buffer` from `sector` on. A code."""
    io_leases.count = 0
    lend(io_leases, 0, buffer, length, flags)
    io.regs[OP] = op
    io.regs[W0] = first + sector
    if send(BLK, io, addr(io_leases)) != abi.OK:
        return E_IO
    return io.regs[OP]


def start() -> u64:
    """Find the store (after a system image, if the disk holds one) and read it in; format it
    first if there is none. A code."""
    global first
    if disk(B_READ, 0, addr(super_block), F.SECTOR, abi.LEASE_WRITE) != OK:
        return E_IO
    if load64(addr(super_block)) == F.IMAGE_MAGIC:
        first = load64(addr(super_block) + F.IMAGE_DATA_SECTOR)
        if disk(B_READ, 0, addr(super_block), F.SECTOR, abi.LEASE_WRITE) != OK:
            return E_IO
    if load64(addr(super_block) + F.SB_MAGIC) != F.MAGIC:
        for slot in range(1, F.SLOTS + 1, 8):
            if disk(B_WRITE, u64(slot), addr(zeros), 8 * F.SECTOR, abi.LEASE_READ) != OK:
                return E_IO
        store64(addr(super_block) + F.SB_MAGIC, F.MAGIC)
        store32(addr(super_block) + F.SB_VERSION, F.VERSION)
        store32(addr(super_block) + F.SB_SLOTS, F.SLOTS)
        store64(addr(super_block) + F.SB_PUTS, 0)
        if disk(B_WRITE, 0, addr(super_block), F.SECTOR, abi.LEASE_READ) != OK:
            return E_IO
    return disk(B_READ, 1, addr(records), F.SLOTS * F.SECTOR, abi.LEASE_WRITE)


def record(slot: u64) -> u64:
    return addr(records) + slot * F.SECTOR


def find(length: u64) -> u64:
    """The slot whose key is key[:length], or SLOTS."""
    for slot in range(F.SLOTS):
        r = record(u64(slot))
        if load32(r + F.R_USED) == 1 and u64(load32(r + F.R_KEY_LENGTH)) == length:
            same = True
            for k in range(length):
                if records[u64(slot) * F.SECTOR + F.R_KEY + k] != key[k]:
                    same = False
                    break
            if same:
                return u64(slot)
    return F.SLOTS


def get(caller: u64) -> u64:
    """S_GET: lease 0 the key, lease 1 where the value goes; w0 = its length."""
    length = lease_length(caller, 0)
    if length > F.KEY_MAX:
        return NOT_FOUND
    borrow_read(caller, 0, 0, addr(key), length)
    slot = find(length)
    if slot == F.SLOTS:
        return NOT_FOUND
    r = record(slot)
    size = u64(load32(r + F.R_VALUE_LENGTH))
    if size > lease_length(caller, 1):
        return TOO_BIG
    borrow_write(caller, 1, 0, r + F.R_VALUE, size)
    message.regs[W0] = size
    return OK


def put(caller: u64) -> u64:
    """S_PUT: lease 0 the key, lease 1 the value; written through to the disk."""
    length = lease_length(caller, 0)
    size = lease_length(caller, 1)
    if length > F.KEY_MAX or size > F.VALUE_MAX:
        return TOO_BIG
    borrow_read(caller, 0, 0, addr(key), length)
    slot = find(length)
    if slot == F.SLOTS:
        for free in range(F.SLOTS):
            if load32(record(u64(free)) + F.R_USED) == 0:
                slot = u64(free)
                break
    if slot == F.SLOTS:
        return FULL
    r = record(slot)
    store32(r + F.R_USED, 1)
    store32(r + F.R_KEY_LENGTH, u32(length))
    store32(r + F.R_VALUE_LENGTH, u32(size))
    store32(r + F.R_WRITES, load32(r + F.R_WRITES) + 1)
    for k in range(F.KEY_MAX):
        records[slot * F.SECTOR + F.R_KEY + u64(k)] = key[k] if u64(k) < length else 0
    for k in range(F.VALUE_MAX):
        records[slot * F.SECTOR + F.R_VALUE + u64(k)] = 0
    borrow_read(caller, 1, 0, r + F.R_VALUE, size)
    if disk(B_WRITE, 1 + slot, r, F.SECTOR, abi.LEASE_READ) != OK:
        return E_IO
    store64(addr(super_block) + F.SB_PUTS, load64(addr(super_block) + F.SB_PUTS) + 1)
    return disk(B_WRITE, 0, addr(super_block), F.SECTOR, abi.LEASE_READ)


def main() -> None:
    global ready
    ready = start()
    to: u64 = abi.NONE
    code: u64 = OK
    while True:
        to = recv(to, code, message, 0)
        if ready != OK:
            code = E_IO
        elif message.regs[OP] == S_GET:
            code = get(to)
        elif message.regs[OP] == S_PUT:
            code = put(to)
        else:
            code = BAD_OP
