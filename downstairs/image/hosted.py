"""The boot loader's checks under plain CPython, for pytest and for a learner with a debugger.

load() runs bootloader/check.py and what it imports (sha256.py, header.py, storeformat.py) as
the compiler runs any program under CPython (compiler/cpython.py: every fixed-width result
wrapped, the intrinsics acting on the board model of compiler/runtime/host.py, whose memory
stands in for RAM). boot() then does what boot.py does once it has a disk, with the image's
bytes in place of the device: the header from sector 0, the truncation check, the payload
CHUNK bytes at a time through a buffer, the sha256; the segments land in the model's memory:

    loader = hosted.load()
    reason = hosted.boot(loader, open("os.img", "rb").read())      # break in check.take to step it
    hosted.get_bytes(0x80200000, 64)                                 # the kernel's first bytes

What is left to the machines: the virtio device, the console, and the jump to the kernel.
"""

from downstairs.compiler.cpython import checked, load_modules
from downstairs.compiler.runtime import addr, array, host, u8
from downstairs.image.steps import LOADER, LOADER_SEARCH

SECTOR = 512
CHUNK = 4096                    # boot.py reads a page at a time


def load() -> dict:
    """A fresh board model and fresh modules of the loader's checks, by name."""
    host.reset()
    return load_modules(*checked(str(LOADER / "check.py"), LOADER_SEARCH))


def put_bytes(address: int, data: bytes) -> None:
    """Place bytes in the board model's memory."""
    for k, byte in enumerate(data):
        host.MACHINE.memory[address + k] = byte


def get_bytes(address: int, length: int) -> bytes:
    """Bytes of the board model's memory (0 where nothing was stored)."""
    return bytes(host.MACHINE.memory.get(address + k, 0) for k in range(length))


def buffer(data: bytes):
    """A u8 array holding `data` (the loader's read buffer), and its address."""
    buf = array(u8, len(data))
    for k, byte in enumerate(data):
        buf[k] = byte
    return buf, addr(buf)


def boot(loader: dict, disk: bytes, loader_range: tuple[int, int] = (0x80100000, 0x80106000)) -> int:
    """Boot.py's steps 2 to 5 on the disk's bytes: the reason (check.OK when the image would start).
    `im` (the Image record) is left in loader["image"] for a test to look at."""
    check = loader["check"]
    im = check.Image()
    loader["image"] = im
    _, header_at = buffer(disk[:SECTOR].ljust(SECTOR, b"\0"))
    reason = check.read_header(im, header_at)
    if reason != check.OK:
        return reason
    if check.truncated(im, len(disk) // SECTOR):
        return check.TRUNCATED
    if check.overlaps(im, *loader_range):
        return check.OVERLAPS
    check.prepare(im)
    start = im.payload_sector * SECTOR
    end = start + check.payload_sectors(im) * SECTOR
    for at in range(start, end, CHUNK):
        chunk = disk[at:min(at + CHUNK, end)]
        _, chunk_at = buffer(chunk)
        check.take(im, chunk_at, len(chunk))
    return check.OK if check.intact(im) else check.CORRUPT
