"""The virtio-blk driver: owns one virtio-mmio slot (its device 0 in the task table) and its
interrupt, and serves B_READ, B_WRITE and B_INFO (protocol.py). virtio.py does the device's
part; this file is the server: the client's lease is copied through a page of our own memory
(the device's DMA goes there, at its physical address: our memory is mapped 1:1), a page at a
time, each request waited for by a closed RECV on the interrupt's notification bit.
"""

from downstairs.compiler.runtime import u8, u32, u64, array, addr
import abi
from userlib import Message, OP, W0, recv, borrow_read, borrow_write, lease_length, irq_done, device_base, \
    device_bits
from protocol import OK, E_IO, E_RANGE, BAD_OP, B_READ, B_WRITE, B_INFO, SECTOR
import virtio
from virtio import Disk

PAGE = 4096

area = array(u8, 4 * PAGE)          # a 4 KiB-aligned queue (8 KiB) and data page lie in here
disk = Disk()
message = Message()
note = Message()
ready: u32 = 0                      # virtio.init's answer
irq_bit: u32 = 0
data: u64 = 0                       # the data page


def wait() -> u32:
    """Wait for the request in flight: its status."""
    while not virtio.done(disk):
        recv(abi.NONE, 0, note, u64(irq_bit) | abi.CLOSED)
        virtio.acknowledge(disk)
        irq_done(irq_bit)
    return virtio.finish(disk)


def transfer(caller: u64, sector: u64, write: bool) -> u64:
    """B_READ / B_WRITE of the caller's lease 0 from `sector`: a reply code."""
    length = lease_length(caller, 0)
    if length == 0 or length % SECTOR != 0 or sector + length // SECTOR > disk.capacity:
        return E_RANGE
    done: u64 = 0
    while done < length:
        n = length - done
        if n > PAGE:
            n = PAGE
        if write:
            borrow_read(caller, 0, done, data, n)
        virtio.start(disk, sector + done // SECTOR, data, u32(n), write)
        if wait() != 0:
            return E_IO
        if not write:
            borrow_write(caller, 0, done, data, n)
        done += n
    return OK


def main() -> None:
    global ready, irq_bit, data
    irq_bit = device_bits(0)
    queue = (addr(area) + PAGE - 1) & ~u64(PAGE - 1)
    data = queue + 2 * PAGE
    ready = virtio.init(disk, device_base(0), queue)
    to: u64 = abi.NONE
    code: u64 = OK
    while True:
        to = recv(to, code, message, 0)
        if ready != virtio.OK:
            code = E_IO
        elif message.regs[OP] == B_INFO:
            code = OK
            message.regs[W0] = disk.capacity
        elif message.regs[OP] == B_READ or message.regs[OP] == B_WRITE:
            code = transfer(to, message.regs[W0], message.regs[OP] == B_WRITE)
        else:
            code = BAD_OP
