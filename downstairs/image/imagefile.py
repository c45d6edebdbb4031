"""The image on the disk, on the host: cutting a system's memory into segments, writing the header
and the payload, reading them back and checking them as the boot loader does. The layout is the
boot loader's (bootloader/header.py draws it; this file uses its numbers):

    our kernel:  sector 0 header | payload (sector 1 on) | the store: its superblock and records
    Linux:       an ext2 file system from sector 0 (the header in its boot block, bytes 0-511, which
                 ext2 leaves alone) | payload after the file system

The payload is each segment's bytes in turn. Segments come from a flat memory image (everything
from one base address, as `downstairs kernel path` or Linux's Image holds it): its runs of bytes
apart from each other by at least GAP zeros, each covering memory up to the next one, so that
the loaded memory is the flat image exactly while the zeros cost nothing on the disk.
"""

import hashlib
import re
import struct

from downstairs.errors import UsageError
from downstairs.image.bootloader import header as H
from downstairs.kernel.tasks import storeformat

GAP = 512                       # zeros that end a segment


class Segment:
    """`data` (a multiple of 8 bytes) to load at `load`, in `memory` bytes zeroed after it."""

    def __init__(self, load: int, data: bytes, memory: int):
        self.load, self.data, self.memory = load, data, memory


def align8(n: int) -> int:
    return (n + 7) // 8 * 8


def segments_of(base: int, flat: bytes, limit: int = H.MAX_SEGMENTS) -> list[Segment]:
    """The segments that load the flat memory image `flat` at `base` (see the module docstring);
    more than `limit` runs are merged across the smallest gaps."""
    size = align8(len(flat))
    flat = flat.ljust(size, b"\0")
    runs, start = [], 0
    for gap in re.finditer(rb"\0{%d,}" % GAP, flat):
        if gap.start() > start:
            runs.append([start, gap.start()])
        start = gap.end()
    if start < size:
        runs.append([start, size])
    runs = [[s // 8 * 8, align8(e)] for s, e in runs] or [[0, 8]]
    while len(runs) > limit:
        k = min(range(len(runs) - 1), key=lambda i: runs[i + 1][0] - runs[i][1])
        runs[k:k + 2] = [[runs[k][0], runs[k + 1][1]]]
    ends = [s for s, _ in runs[1:]] + [size]
    return [Segment(base + s, flat[s:e], end - s) for (s, e), end in zip(runs, ends)]


def sectors(n: int) -> int:
    """How many sectors `n` bytes take."""
    return (n + H.SECTOR - 1) // H.SECTOR


def payload_of(segments: list[Segment]) -> bytes:
    """The payload's sectors: every segment's bytes in turn, zeros to a whole sector."""
    payload = b"".join(s.data for s in segments)
    return payload.ljust(sectors(len(payload)) * H.SECTOR, b"\0")


def header(segments: list[Segment], entry: int, kernel: int, firmware: int, image_id: bytes,
           payload_sector: int, data_sector: int, total_sectors: int) -> bytes:
    """Sector 0 (header.py's layout)."""
    if not 1 <= len(segments) <= H.MAX_SEGMENTS:
        raise ValueError(f"{len(segments)} segments: an image holds 1 to {H.MAX_SEGMENTS}")
    out = bytearray(H.SECTOR)
    payload_bytes = sum(len(s.data) for s in segments)
    struct.pack_into("<QIIQQQQQII", out, H.H_MAGIC, storeformat.IMAGE_MAGIC, H.VERSION, len(segments),
                     payload_sector, data_sector, payload_bytes, entry, total_sectors, kernel, firmware)
    out[H.H_PAYLOAD_SHA256:H.H_PAYLOAD_SHA256 + 32] = hashlib.sha256(payload_of(segments)).digest()
    out[H.H_IMAGE_ID:H.H_IMAGE_ID + 32] = image_id
    for k, s in enumerate(segments):
        struct.pack_into("<QQQ", out, H.H_TABLE + k * H.SEGMENT_SIZE, s.load, len(s.data), s.memory)
    out[H.H_HEADER_SHA256:H.H_ZEROS] = hashlib.sha256(out[:H.H_HEADER_SHA256]).digest()
    return bytes(out)


def image_with_data_after(segments: list[Segment], entry: int, kernel: int, firmware: int, image_id: bytes,
                          data: bytes) -> bytes:
    """Our kernel's disk: header, payload from sector 1, then `data` (the store's sectors)."""
    payload = payload_of(segments)
    data_sector = 1 + len(payload) // H.SECTOR
    total = data_sector + sectors(len(data))
    head = header(segments, entry, kernel, firmware, image_id, 1, data_sector, total)
    return head + payload + data.ljust(sectors(len(data)) * H.SECTOR, b"\0")


def image_with_data_first(segments: list[Segment], entry: int, kernel: int, firmware: int, image_id: bytes,
                          data: bytes) -> bytes:
    """Linux's disk: `data` (an ext2 file system) from sector 0 with the header over its first
    sector (ext2's boot block, which must be zeros), then the payload."""
    if any(data[:H.SECTOR]):
        raise ValueError("the file system's first sector is not free for the header")
    data = data.ljust(sectors(len(data)) * H.SECTOR, b"\0")
    payload = payload_of(segments)
    payload_sector = len(data) // H.SECTOR
    total = payload_sector + len(payload) // H.SECTOR
    head = header(segments, entry, kernel, firmware, image_id, payload_sector, 0, total)
    return head + data[H.SECTOR:] + payload


def store_area(files: dict[str, bytes]) -> bytes:
    """The store's sectors (storeformat.py's layout) holding `files` as its first records."""
    F = storeformat
    out = bytearray((1 + F.SLOTS) * F.SECTOR)
    struct.pack_into("<QIIQ", out, F.SB_MAGIC, F.MAGIC, F.VERSION, F.SLOTS, 0)
    for slot, (key, value) in enumerate(files.items()):
        at = (1 + slot) * F.SECTOR
        name = key.encode()
        struct.pack_into("<IIII", out, at, 1, len(name), len(value), 0)
        out[at + F.R_KEY:at + F.R_KEY + len(name)] = name
        out[at + F.R_VALUE:at + F.R_VALUE + len(value)] = value
    return bytes(out)


class Header:
    """A header read back: every field by its name in header.py, the segment table as
    (load, bytes, memory) triples, and the three hashes as hex."""

    def __init__(self, sector: bytes):
        (magic, self.version, self.count, self.payload_sector, self.data_sector, self.payload_bytes,
         self.entry, self.sectors, self.kernel, self.firmware) = struct.unpack_from("<QIIQQQQQII", sector, 0)
        self.magic = magic
        self.payload_sha256 = sector[H.H_PAYLOAD_SHA256:H.H_PAYLOAD_SHA256 + 32].hex()
        self.image_id = sector[H.H_IMAGE_ID:H.H_IMAGE_ID + 32].hex()
        self.header_sha256 = sector[H.H_HEADER_SHA256:H.H_ZEROS].hex()
        self.segments = [struct.unpack_from("<QQQ", sector, H.H_TABLE + k * H.SEGMENT_SIZE)
                         for k in range(min(self.count, H.MAX_SEGMENTS))]
        self.header_intact = hashlib.sha256(sector[:H.H_HEADER_SHA256]).hexdigest() == self.header_sha256 \
            and not any(sector[H.H_ZEROS:H.SECTOR])


def read_header(blob: bytes, name: str) -> Header:
    """The header of the image `blob` (the file `name`, for the error)."""
    if len(blob) < H.SECTOR or struct.unpack_from("<Q", blob)[0] != storeformat.IMAGE_MAGIC:
        raise UsageError(f"{name}: not a system image (no header in sector 0)")
    return Header(blob[:H.SECTOR])


def problems(blob: bytes, h: Header) -> list[str]:
    """What the boot loader would refuse in the image `blob`, checked with hashlib: [] if none."""
    found = []
    if h.version != H.VERSION:
        return [f"header version {h.version} (the loader reads {H.VERSION})"]
    if not h.header_intact:
        return ["the header is corrupt: its sha256 does not match"]
    if len(blob) < h.sectors * H.SECTOR:
        found.append(f"truncated: it has {h.sectors} sectors, the file {len(blob) // H.SECTOR}")
    start = h.payload_sector * H.SECTOR
    payload = blob[start:start + sectors(h.payload_bytes) * H.SECTOR]
    if hashlib.sha256(payload).hexdigest() != h.payload_sha256:
        found.append("the payload is corrupt: its sha256 does not match the header's")
    return found
