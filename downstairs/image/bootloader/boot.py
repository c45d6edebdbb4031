"""The boot loader: the stage SBI firmware (ours or OpenSBI's fw_dynamic) starts in S-mode, at
LOADER_BASE with a0 = the hart id and a1 = the device tree, which finds the system image on a
virtio-blk disk, checks it, loads it and starts its kernel (docs/image.md, "Booting").

    1. The disk: each virtio-mmio slot of the virt board, from the last (where QEMU puts its first
       -device) down, until a block device whose sector 0 begins with an image's header. The
       device is driven by the kernel's own virtio.py, polling (no interrupts, no translation).
    2. The header (check.read_header): magic, version, its own sha256, the segment table.
    3. The disk must be as long as the image says, and no segment may cover this loader or the
       device tree.
    4. The payload, CHUNK_SECTORS sectors at a time through a page of ours: hashed, and copied
       into place (check.take); the rest of each segment's memory zeroed first.
    5. Its sha256 against the header's: a corrupt image is refused.
    6. The device reset, and the kernel entered as firmware would enter it: sret to the header's
       entry in S-mode with a0 = the hart id, a1 = the device tree, satp = 0.

Every refusal is one line on the console (SBI) and a power-off with the reason as the exit status
(check.py's numbers), through the board's test finisher so that OpenSBI's SRST cannot turn it
into 0. A trap in the loader itself (a segment outside memory, say) is refused the same way.
"""

from downstairs.compiler.runtime import u8, u32, u64, array, addr, entry, supervisor_trap, TrapFrame, \
    trap_return, fence_i, image_start, image_end, load8, load32, store32
import sbi
import virtio
from virtio import Disk
import check
from check import Image
import header as H

VIRTIO_LAST = 0x10008000        # the virt board's virtio-mmio slots: 0x10001000 .. 0x10008000
VIRTIO_SLOTS = 8
VIRTIO_STRIDE = 0x1000
FINISHER = 0x100000             # the virt board's sifive_test device
PAGE = 4096
CHUNK_SECTORS = PAGE // H.SECTOR
SSTATUS_SPP = 1 << 8            # sret returns to S-mode (SIE and SPIE 0: interrupts stay off)
FDT_MAGIC = 0xD00DFEED
ID_BYTES = 8                    # how much of the image id the banner shows
HEX = b"0123456789abcdef"

area = array(u8, 4 * PAGE)      # the queue (8 KiB, 4 KiB aligned), then the read buffer (a page)
disk = Disk()
image = Image()
frame = TrapFrame()
queue: u64 = 0
buffer: u64 = 0


def refuse(reason: u32, value: u64, other: u64) -> None:
    """Say why in one line (the values where the reason has any), power off with `reason`."""
    sbi.puts(b"downstairs-boot: ")
    if reason == check.NO_IMAGE:
        sbi.puts(b"no virtio block device holds a system image")
    elif reason == check.UNKNOWN_VERSION:
        sbi.puts(b"the image's header is version ")
        sbi.put_dec(value)
        sbi.puts(b": this loader reads version 1")
    elif reason == check.HEADER_CORRUPT:
        sbi.puts(b"the image's header is corrupt: its sha256 does not match")
    elif reason == check.BAD_SEGMENTS:
        sbi.puts(b"the image's segment table is not loadable")
    elif reason == check.OVERLAPS:
        sbi.puts(b"the image would load over the boot loader or the device tree")
    elif reason == check.TRUNCATED:
        sbi.puts(b"the image is truncated: it has ")
        sbi.put_dec(value)
        sbi.puts(b" sectors, the disk ")
        sbi.put_dec(other)
    elif reason == check.CORRUPT:
        sbi.puts(b"the image is corrupt: its sha256 does not match its header")
    elif reason == check.DISK_ERROR:
        sbi.puts(b"the disk failed to read sector ")
        sbi.put_dec(value)
        sbi.puts(b" (virtio status ")
        sbi.put_dec(other)
        sbi.puts(b")")
    sbi.puts(b"; powering off\n")
    sbi.fail(FINISHER, reason)


@supervisor_trap
def trap(f: TrapFrame) -> None:
    """A trap in the loader: a load address outside memory, or a bug of ours."""
    sbi.puts(b"downstairs-boot: trap: scause ")
    sbi.put_hex(f.cause)
    sbi.puts(b" at ")
    sbi.put_hex(f.pc)
    sbi.puts(b", stval ")
    sbi.put_hex(f.tval)
    sbi.puts(b"\n")
    sbi.fail(FINISHER, check.TRAP)


def read(sector: u64, sectors: u64) -> None:
    """`sectors` sectors (up to a page) from `sector` into the buffer; a failure is refused."""
    status = virtio.transfer(disk, sector, buffer, u32(sectors * H.SECTOR), False)
    if status != 0:
        refuse(check.DISK_ERROR, sector, u64(status))


def find_disk() -> bool:
    """Step 1: the first block device, from the last slot down, with an image's header in
    sector 0 (left in the buffer)."""
    for k in range(VIRTIO_SLOTS):
        if virtio.init(disk, VIRTIO_LAST - u64(k) * VIRTIO_STRIDE, queue) == virtio.OK:
            read(0, 1)
            if check.read_header(image, buffer) != check.NO_IMAGE:
                return True
    return False


def tree_end(tree: u64) -> u64:
    """The end of the flattened device tree at `tree` (its big-endian totalsize), or `tree`."""
    if tree == 0 or be32(load32(tree)) != FDT_MAGIC:
        return tree
    return tree + u64(be32(load32(tree + 4)))


def be32(x: u32) -> u32:
    """A little-endian load of big-endian bytes, turned around."""
    return (x << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24)


def put_id(at: u64) -> None:
    """The first ID_BYTES bytes at `at` in hex (the banner's short image id)."""
    for k in range(ID_BYTES):
        b = load8(at + u64(k))
        sbi.putchar(u64(HEX[b >> 4]))
        sbi.putchar(u64(HEX[b & 15]))


@entry(harts=1, stack=0x1000)
def main(hartid: u64, tree: u64) -> None:
    """Steps 1 to 6 of the module docstring; it leaves for the kernel or powers off."""
    global queue, buffer
    queue = (addr(area) + PAGE - 1) & ~u64(PAGE - 1)
    buffer = queue + 2 * PAGE
    if not find_disk():
        refuse(check.NO_IMAGE, 0, 0)
    reason = check.read_header(image, buffer)
    if reason != check.OK:
        refuse(reason, u64(load32(buffer + H.H_VERSION)), 0)
    if check.truncated(image, disk.capacity):
        refuse(check.TRUNCATED, image.sectors, disk.capacity)
    if check.overlaps(image, image_start(), image_end()) or check.overlaps(image, tree, tree_end(tree)):
        refuse(check.OVERLAPS, 0, 0)
    sbi.puts(b"downstairs-boot: image ")
    put_id(addr(image.id))
    sbi.puts(b", ")
    sbi.put_dec(image.payload_bytes)
    sbi.puts(b" bytes in ")
    sbi.put_dec(image.count)
    sbi.puts(b" segments")
    check.prepare(image)
    left = check.payload_sectors(image)
    sector = image.payload_sector
    while left > 0:
        n = left if left < CHUNK_SECTORS else CHUNK_SECTORS
        read(sector, n)
        check.take(image, buffer, n * H.SECTOR)
        sector += n
        left -= n
    if not check.intact(image):
        sbi.puts(b"\n")
        refuse(check.CORRUPT, 0, 0)
    store32(disk.regs + virtio.STATUS, 0)          # reset: the kernel's driver starts it afresh
    sbi.puts(b": sha256 good, starting the kernel at ")
    sbi.put_hex(image.entry)
    sbi.puts(b"\n")
    frame.pc = image.entry
    frame.regs[10] = hartid
    frame.regs[11] = tree
    frame.status = SSTATUS_SPP
    fence_i()
    trap_return(frame)
