"""The boot loader's checks of an image, and its loading, on memory alone: no device here, so
CPython runs this file as it is and the tests feed it images the host built
(tests/image/test_loader_logic.py). header.py draws the header.

    read_header(im, at)          the header in the 512 bytes at `at`: magic, version, its own
                                 sha256, the segment table; its fields into `im`. OK or why not
    truncated(im, capacity)      whether a disk of `capacity` sectors is shorter than the image
    overlaps(im, start, end)     whether a segment's memory meets [start, end) (the loader itself,
                                 the device tree)
    prepare(im)                  zero each segment's memory after its bytes; start the hash
    take(im, chunk, length)      the next `length` bytes of the payload's sectors (a multiple of 8):
                                 hashed, and the payload's bytes among them copied to their segments
    intact(im)                   whether the payload's sha256 is the one the header holds

The reasons are the loader's exit statuses too (boot.py powers off with them).
"""

from downstairs.compiler.runtime import u8, u32, u64, record, Array, addr, load8, load32, load64, store8, store64
import sha256
from sha256 import Sha256
import storeformat
import header as H

OK = 0
NO_IMAGE = 1                # (boot.py: no disk holds an image)
UNKNOWN_VERSION = 2
HEADER_CORRUPT = 3
BAD_SEGMENTS = 4
OVERLAPS = 5
TRUNCATED = 6
CORRUPT = 7
DISK_ERROR = 8              # (boot.py: the device failed a read)
TRAP = 9                    # (boot.py: the loader itself trapped)


@record
class Segment:
    load: u64               # where its bytes go
    size: u64               # how many bytes it has in the payload
    memory: u64             # how much memory it covers (the rest is zeroed)


@record
class Image:
    segments: Array[Segment, 12]
    count: u64
    payload_sector: u64
    data_sector: u64
    payload_bytes: u64
    entry: u64
    sectors: u64
    kernel: u32
    firmware: u32
    current: u64            # loading: the segment being filled
    offset: u64             # ... how many of its bytes it has
    copied: u64             # ... how many payload bytes are in place
    hash: Sha256
    digest: Array[u8, 32]   # the hash just computed
    expected: Array[u8, 32] # the payload's sha256, from the header
    id: Array[u8, 32]       # the image id, from the header


def same(a: u64, b: u64, length: u64) -> bool:
    """Whether the `length` bytes at a and b are equal."""
    for k in range(length):
        if load8(a + k) != load8(b + k):
            return False
    return True


def copy_bytes(to: u64, source: u64, length: u64) -> None:
    """Copy `length` bytes from `source` to `to`."""
    for k in range(length):
        store8(to + k, load8(source + k))


def payload_sectors(im: Image) -> u64:
    """The payload's length in whole sectors (what is read and hashed)."""
    return (im.payload_bytes + H.SECTOR - 1) // H.SECTOR


def read_header(im: Image, at: u64) -> u32:
    """Check the header at `at` and take its fields (the module docstring)."""
    if load64(at + H.H_MAGIC) != storeformat.IMAGE_MAGIC:
        return NO_IMAGE
    if load32(at + H.H_VERSION) != H.VERSION:
        return UNKNOWN_VERSION
    sha256.start(im.hash)
    sha256.update(im.hash, at, H.H_HEADER_SHA256)
    sha256.finish(im.hash, addr(im.digest))
    if not same(addr(im.digest), at + H.H_HEADER_SHA256, H.H_ZEROS - H.H_HEADER_SHA256):
        return HEADER_CORRUPT
    for z in range(H.H_ZEROS, H.SECTOR):
        if load8(at + u64(z)) != 0:
            return HEADER_CORRUPT
    copy_bytes(addr(im.expected), at + H.H_PAYLOAD_SHA256, sha256.DIGEST_SIZE)
    copy_bytes(addr(im.id), at + H.H_IMAGE_ID, sha256.DIGEST_SIZE)
    im.count = u64(load32(at + H.H_SEGMENTS))
    im.payload_sector = load64(at + H.H_PAYLOAD_SECTOR)
    im.data_sector = load64(at + H.H_DATA_SECTOR)
    im.payload_bytes = load64(at + H.H_PAYLOAD_BYTES)
    im.entry = load64(at + H.H_ENTRY)
    im.sectors = load64(at + H.H_SECTORS)
    im.kernel = load32(at + H.H_KERNEL)
    im.firmware = load32(at + H.H_FIRMWARE)
    if im.count == 0 or im.count > H.MAX_SEGMENTS:
        return BAD_SEGMENTS
    total: u64 = 0
    end: u64 = 0
    runs = False
    for k in range(im.count):
        s = im.segments[k]
        entry = at + H.H_TABLE + k * H.SEGMENT_SIZE
        s.load = load64(entry + H.S_LOAD)
        s.size = load64(entry + H.S_BYTES)
        s.memory = load64(entry + H.S_MEMORY)
        if (s.load | s.size | s.memory) & 7 != 0 or s.size > s.memory or s.load < end \
                or s.load + s.memory < s.load:
            return BAD_SEGMENTS
        end = s.load + s.memory
        total += s.size
        if s.load <= im.entry < s.load + s.size:
            runs = True
    if total != im.payload_bytes or not runs or im.payload_sector == 0 \
            or im.sectors < im.payload_sector + payload_sectors(im):
        return BAD_SEGMENTS
    return OK


def truncated(im: Image, capacity: u64) -> bool:
    """Whether a disk of `capacity` sectors is shorter than the image."""
    return capacity < im.sectors


def overlaps(im: Image, start: u64, end: u64) -> bool:
    """Whether any segment's memory meets [start, end)."""
    for k in range(im.count):
        s = im.segments[k]
        if s.load < end and start < s.load + s.memory:
            return True
    return False


def prepare(im: Image) -> None:
    """Zero each segment's memory after its bytes, and start loading: the first segment, a
    fresh hash."""
    for k in range(im.count):
        s = im.segments[k]
        at = s.load + s.size
        while at < s.load + s.memory:
            store64(at, 0)
            at += 8
    im.current = 0
    im.offset = 0
    im.copied = 0
    sha256.start(im.hash)


def take(im: Image, chunk: u64, length: u64) -> None:
    """The payload's next `length` bytes (whole sectors) at `chunk`: all of them into the hash,
    those before the payload's end copied 8 at a time to the segment they belong to."""
    sha256.update(im.hash, chunk, length)
    at: u64 = 0
    while at < length and im.copied < im.payload_bytes:
        s = im.segments[im.current]
        n = s.size - im.offset
        if n > length - at:
            n = length - at
        to = s.load + im.offset
        for k in range(0, n, 8):
            store64(to + k, load64(chunk + at + k))
        at += n
        im.offset += n
        im.copied += n
        if im.offset == s.size:
            im.current += 1
            im.offset = 0


def intact(im: Image) -> bool:
    """Finish the hash: whether it is the header's payload sha256."""
    sha256.finish(im.hash, addr(im.digest))
    return same(addr(im.digest), addr(im.expected), sha256.DIGEST_SIZE)
