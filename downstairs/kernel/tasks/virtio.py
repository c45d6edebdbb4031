"""A virtio block device on the virtio-mmio transport (VIRTIO 1.2: 2.7 split virtqueues, 4.2 MMIO,
5.2 block device), one request at a time. No system calls in here: the blk task drives it with
interrupts, and a boot loader can drive it by polling (transfer()).

Both transports answer: QEMU's virt board gives the legacy one (Version 1, "force-legacy" is
QEMU's default for virtio-mmio), Downstairs' own board the modern one (Version 2). The queue is
laid out the legacy way, which the modern registers can point into as well:

    queue + 0x000   descriptor table   8 x 16 bytes: address u64, length u32, flags u16, next u16
    queue + 0x080   available ring     flags u16, idx u16, ring[8] u16
    queue + 0x100   request header     type u32 (0 in, 1 out), reserved u32, sector u64
    queue + 0x110   status byte        written by the device: 0 = OK
    queue + 0x1000  used ring          flags u16, idx u16, ring[8] (id u32, length u32)

A request is a chain of three descriptors: header (read by the device), data (written by it for
a read), status (written). The addresses are physical: the caller's memory must be mapped at
its physical addresses (as every task's is) or run without translation.
"""

from downstairs.compiler.runtime import u16, u32, u64, record, load8, load16, load32, store8, store16, store32, \
    store64, fence

# transport registers (4.2.2; legacy ones 4.2.4)
MAGIC = 0x000
VERSION = 0x004
DEVICE_ID = 0x008
DEVICE_FEATURES = 0x010
DEVICE_FEATURES_SEL = 0x014
DRIVER_FEATURES = 0x020
DRIVER_FEATURES_SEL = 0x024
GUEST_PAGE_SIZE = 0x028            # legacy
QUEUE_SEL = 0x030
QUEUE_NUM_MAX = 0x034
QUEUE_NUM = 0x038
QUEUE_ALIGN = 0x03C                # legacy
QUEUE_PFN = 0x040                  # legacy
QUEUE_READY = 0x044
QUEUE_NOTIFY = 0x050
INTERRUPT_STATUS = 0x060
INTERRUPT_ACK = 0x064
STATUS = 0x070
QUEUE_DESC = 0x080
QUEUE_DRIVER = 0x090
QUEUE_DEVICE = 0x0A0
CONFIG = 0x100                     # block: capacity u64 in 512-byte sectors

MAGIC_VALUE = 0x74726976           # "virt"
BLOCK_DEVICE = 2
ACKNOWLEDGE = 1
DRIVER = 2
DRIVER_OK = 4
FEATURES_OK = 8
VERSION_1_FEATURE = 1              # bit 32: feature word 1, bit 0
QUEUE_SIZE = 8
PAGE = 4096
DESC_NEXT = 1
DESC_WRITE = 2
AVAIL = 0x80
HEADER = 0x100
STATUS_BYTE = 0x110
USED = 0x1000
AVAIL_END = AVAIL + 24              # flags, idx, ring[8], used_event (rounded to 8 bytes)
USED_END = USED + 80                # flags, idx, ring[8] of 8 bytes, avail_event (rounded)
REQUEST_IN = 0
REQUEST_OUT = 1

OK = 0
NO_DEVICE = 1
NOT_BLOCK = 2
REFUSED = 3
NO_QUEUE = 4


@record
class Disk:
    regs: u64               # the transport's registers
    queue: u64              # 8 KiB, 4 KiB aligned (the layout above)
    capacity: u64           # sectors of 512 bytes
    version: u32
    seen: u16               # the used ring's idx as far as we have taken completions


def clear(address: u64, length: u64) -> None:
    """Zero `length` bytes (a multiple of 8) at `address`."""
    for k in range(length // 8):
        store64(address + u64(k) * 8, 0)


def write_status(d: Disk, bits: u32) -> None:
    store32(d.regs + STATUS, load32(d.regs + STATUS) | bits)


def init(d: Disk, regs: u64, queue: u64) -> u32:
    """Find and start the block device whose registers are at `regs`, with its queue in the
    8 KiB at `queue` (its rings zeroed here). OK, or why not."""
    d.regs = regs
    d.queue = queue
    d.seen = 0
    if load32(regs + MAGIC) != MAGIC_VALUE:
        return NO_DEVICE
    d.version = load32(regs + VERSION)
    if load32(regs + DEVICE_ID) != BLOCK_DEVICE:
        return NOT_BLOCK
    clear(queue, AVAIL_END)                                    # the descriptors and available ring
    clear(queue + USED, USED_END - USED)                       # the used ring
    store32(regs + STATUS, 0)                                  # reset
    write_status(d, ACKNOWLEDGE)
    write_status(d, DRIVER)
    store32(regs + DRIVER_FEATURES_SEL, 0)
    store32(regs + DRIVER_FEATURES, 0)                         # no optional features
    if d.version >= 2:
        store32(regs + DEVICE_FEATURES_SEL, 1)
        if load32(regs + DEVICE_FEATURES) & VERSION_1_FEATURE == 0:
            return REFUSED
        store32(regs + DRIVER_FEATURES_SEL, 1)
        store32(regs + DRIVER_FEATURES, VERSION_1_FEATURE)
        write_status(d, FEATURES_OK)
        if load32(regs + STATUS) & FEATURES_OK == 0:
            return REFUSED
    store32(regs + QUEUE_SEL, 0)
    if load32(regs + QUEUE_NUM_MAX) < QUEUE_SIZE:
        return NO_QUEUE
    store32(regs + QUEUE_NUM, QUEUE_SIZE)
    if d.version >= 2:
        store32(regs + QUEUE_DESC, u32(queue))
        store32(regs + QUEUE_DESC + 4, u32(queue >> 32))
        store32(regs + QUEUE_DRIVER, u32(queue + AVAIL))
        store32(regs + QUEUE_DRIVER + 4, u32((queue + AVAIL) >> 32))
        store32(regs + QUEUE_DEVICE, u32(queue + USED))
        store32(regs + QUEUE_DEVICE + 4, u32((queue + USED) >> 32))
        store32(regs + QUEUE_READY, 1)
    else:
        store32(regs + GUEST_PAGE_SIZE, PAGE)
        store32(regs + QUEUE_ALIGN, PAGE)
        store32(regs + QUEUE_PFN, u32(queue >> 12))
    write_status(d, DRIVER_OK)
    d.capacity = u64(load32(regs + CONFIG)) | (u64(load32(regs + CONFIG + 4)) << 32)
    return OK


def descriptor(d: Disk, k: u64, address: u64, length: u32, flags: u16, next: u16) -> None:
    at = d.queue + k * 16
    store64(at, address)
    store32(at + 8, length)
    store16(at + 12, flags)
    store16(at + 14, next)


def start(d: Disk, sector: u64, buffer: u64, length: u32, write: bool) -> None:
    """Hand the device one request: `length` bytes (whole sectors) between the disk from `sector`
    and memory at `buffer`, physical; it completes later (done())."""
    store32(d.queue + HEADER, REQUEST_OUT if write else REQUEST_IN)
    store32(d.queue + HEADER + 4, 0)
    store64(d.queue + HEADER + 8, sector)
    store8(d.queue + STATUS_BYTE, 0xFF)
    descriptor(d, 0, d.queue + HEADER, 16, DESC_NEXT, 1)
    descriptor(d, 1, buffer, length, DESC_NEXT if write else DESC_NEXT | DESC_WRITE, 2)
    descriptor(d, 2, d.queue + STATUS_BYTE, 1, DESC_WRITE, 0)
    idx = load16(d.queue + AVAIL + 2)
    store16(d.queue + AVAIL + 4 + u64(idx % QUEUE_SIZE) * 2, 0)
    fence()                                   # the ring entry before the index that publishes it
    store16(d.queue + AVAIL + 2, idx + 1)
    fence()
    store32(d.regs + QUEUE_NOTIFY, 0)


def done(d: Disk) -> bool:
    """Whether the device has completed the request (the used ring moved on)."""
    fence()
    return load16(d.queue + USED + 2) != d.seen


def finish(d: Disk) -> u32:
    """Take the completed request: its status byte (0 = OK)."""
    d.seen += 1
    fence()
    return u32(load8(d.queue + STATUS_BYTE))


def acknowledge(d: Disk) -> None:
    """Tell the device its interrupt was seen (it lowers the line)."""
    store32(d.regs + INTERRUPT_ACK, load32(d.regs + INTERRUPT_STATUS) & 3)


def transfer(d: Disk, sector: u64, buffer: u64, length: u32, write: bool) -> u32:
    """One request, waited for by polling (no interrupts): its status."""
    start(d, sector, buffer, length, write)
    while not done(d):
        pass
    acknowledge(d)
    return finish(d)
