"""The boot loader's checks and loading under CPython (downstairs/image/hosted.py), on images the
host built: a good one lands in memory byte for byte; every corruption, truncation and malformed
segment table gets its reason. And the host's own reading of the format (imagefile.py)."""

import hashlib
import struct

import pytest

from downstairs.image import hosted, imagefile
from downstairs.image.bootloader import header as H
from downstairs.image.build import build

BASE = 0x80200000
# a memory image with 4 runs of bytes between runs of zeros (the 100 zeros are too few to part two)
FLAT = (b"\x13\x05" * 700 + bytes(3000) + b"code" * 100 + bytes(600) + bytes(range(256)) * 3 + bytes(100)
        + b"x" * 8 + bytes(5000) + b"tail" * 33)
FILES = {"motd": b"hello", "boots": bytes(8)}


def small_image(flat: bytes = FLAT) -> bytes:
    segments = imagefile.segments_of(BASE, flat)
    return imagefile.image_with_data_after(segments, BASE, H.KERNEL_DOWNSTAIRS, H.FIRMWARE_DOWNSTAIRS,
                                           bytes(range(32)), imagefile.store_area(FILES))


def rehashed(disk: bytes, **fields) -> bytes:
    """`disk` with header fields changed ((offset, format, value) by name) and the header's
    sha256 made right again: what a buggy or hostile builder could write."""
    sector = bytearray(disk[:H.SECTOR])
    for offset, form, value in fields.values():
        struct.pack_into(form, sector, offset, value)
    sector[H.H_HEADER_SHA256:H.H_ZEROS] = hashlib.sha256(sector[:H.H_HEADER_SHA256]).digest()
    return bytes(sector) + disk[H.SECTOR:]


@pytest.fixture
def loader():
    return hosted.load()


def test_a_good_image_lands_in_memory_exactly(loader):
    disk = small_image()
    assert hosted.boot(loader, disk) == loader["check"].OK
    im = loader["image"]
    assert im.entry == BASE and im.count == 4 and im.payload_sector == 1
    flat = FLAT.ljust(imagefile.align8(len(FLAT)), b"\0")
    assert hosted.get_bytes(BASE, len(flat)) == flat
    assert bytes(im.id) == bytes(range(32))


def test_the_demo_image_loads_as_its_memory(loader, store):
    built = build(store=store)
    assert hosted.boot(loader, built.image.read_bytes()) == loader["check"].OK
    memory = (store.folder(built.plan.image) / "memory.bin").read_bytes()
    assert hosted.get_bytes(BASE, len(memory)) == memory
    assert bytes(loader["image"].id).hex() == built.id


def test_the_segments_zero_what_was_there(loader):
    hosted.put_bytes(BASE, b"\xff" * len(FLAT))
    assert hosted.boot(loader, small_image()) == loader["check"].OK
    assert hosted.get_bytes(BASE, len(FLAT)) == FLAT


def test_any_changed_payload_byte_is_refused(loader):
    disk = bytearray(small_image())
    h = imagefile.read_header(bytes(disk), "x")
    payload_end = (h.payload_sector + imagefile.sectors(h.payload_bytes)) * H.SECTOR
    for at in (H.SECTOR, H.SECTOR + 1234, payload_end - 1):          # the zeros after the last byte too
        changed = bytearray(disk)
        changed[at] ^= 0x40
        assert hosted.boot(hosted.load(), bytes(changed)) == loader["check"].CORRUPT, at
    changed = bytearray(disk)
    changed[payload_end + 5] ^= 1                                     # the store's data is not the loader's
    assert hosted.boot(hosted.load(), bytes(changed)) == loader["check"].OK


@pytest.mark.parametrize("at", [H.H_SEGMENTS, H.H_ENTRY, H.H_TABLE + 9, H.H_PAYLOAD_SHA256, H.H_IMAGE_ID + 31,
                                H.H_HEADER_SHA256, H.H_ZEROS + 62])
def test_a_changed_header_byte_is_refused(loader, at):
    disk = bytearray(small_image())
    disk[at] ^= 1
    assert hosted.boot(loader, bytes(disk)) == loader["check"].HEADER_CORRUPT


def test_not_an_image_and_other_versions(loader):
    check = loader["check"]
    assert hosted.boot(loader, bytes(4096)) == check.NO_IMAGE
    assert hosted.boot(hosted.load(), rehashed(small_image(), version=(H.H_VERSION, "<I", 2))) == check.UNKNOWN_VERSION


def test_a_truncated_image_is_refused(loader):
    disk = small_image()
    h = imagefile.read_header(disk, "x")
    assert hosted.boot(loader, disk[:(h.sectors - 1) * H.SECTOR]) == loader["check"].TRUNCATED
    assert hosted.boot(hosted.load(), disk[:H.SECTOR * 3]) == loader["check"].TRUNCATED
    assert hosted.boot(hosted.load(), disk + bytes(H.SECTOR)) == loader["check"].OK      # a longer disk is fine


def segment(k: int, field: int) -> int:
    return H.H_TABLE + k * H.SEGMENT_SIZE + field


BAD_TABLES = {
    "no segments": {"count": (H.H_SEGMENTS, "<I", 0)},
    "too many segments": {"count": (H.H_SEGMENTS, "<I", H.MAX_SEGMENTS + 1)},
    "a load address not a multiple of 8": {"load": (segment(1, H.S_LOAD), "<Q", BASE + 0x1004)},
    "more bytes than memory": {"memory": (segment(0, H.S_MEMORY), "<Q", 8)},
    "segments out of order": {"load": (segment(1, H.S_LOAD), "<Q", BASE)},
    "memory that wraps around": {"load": (segment(3, H.S_LOAD), "<Q", 2 ** 64 - 8)},
    "an entry outside the segments": {"entry": (H.H_ENTRY, "<Q", 0x90000000)},
    "a payload that is not the segments' bytes": {"bytes": (H.H_PAYLOAD_BYTES, "<Q", 8)},
    "an image shorter than its payload": {"sectors": (H.H_SECTORS, "<Q", 2)},
    "a payload at sector 0": {"sector": (H.H_PAYLOAD_SECTOR, "<Q", 0)},
}


@pytest.mark.parametrize("mistake", BAD_TABLES)
def test_a_segment_table_that_cannot_load_is_refused(loader, mistake):
    assert hosted.boot(loader, rehashed(small_image(), **BAD_TABLES[mistake])) == loader["check"].BAD_SEGMENTS


def test_an_image_over_the_loader_is_refused(loader):
    assert hosted.boot(loader, small_image(), loader_range=(BASE + 0x2000, BASE + 0x3000)) == loader["check"].OVERLAPS


def test_a_linux_layout_image_loads(loader):
    ext2 = bytes(1024) + b"superblock" + bytes(8192)
    disk = imagefile.image_with_data_first(imagefile.segments_of(BASE, FLAT), BASE, H.KERNEL_LINUX,
                                           H.FIRMWARE_OPENSBI, bytes(32), ext2)
    assert disk[1024:1034] == b"superblock"                               # the file system is where it was
    assert hosted.boot(loader, disk) == loader["check"].OK
    assert loader["image"].data_sector == 0 and loader["image"].payload_sector == 19   # 9,226 bytes of file system
    assert hosted.get_bytes(BASE, len(FLAT)) == FLAT


# ---- the host's side of the format --------------------------------------------------------

def test_segments_cover_the_memory_exactly_and_fit_the_table():
    for flat in (FLAT, b"a" + bytes(600) + b"b", bytes(1000), b"".join(bytes([k]) + bytes(513) for k in range(1, 40))):
        segments = imagefile.segments_of(BASE, flat)
        assert 1 <= len(segments) <= H.MAX_SEGMENTS
        memory = bytearray(imagefile.align8(len(flat)))
        for s in segments:
            assert s.load % 8 == 0 and len(s.data) % 8 == 0 and len(s.data) <= s.memory
            memory[s.load - BASE:s.load - BASE + len(s.data)] = s.data
        assert bytes(memory) == flat.ljust(len(memory), b"\0")
        assert segments[-1].load + segments[-1].memory == BASE + len(memory)


def test_the_host_reads_the_header_back_and_checks_it():
    disk = small_image()
    h = imagefile.read_header(disk, "os.img")
    assert (h.version, h.count, h.entry, h.kernel, h.firmware) == (1, 4, BASE, H.KERNEL_DOWNSTAIRS,
                                                                   H.FIRMWARE_DOWNSTAIRS)
    assert h.header_intact and imagefile.problems(disk, h) == []
    assert imagefile.problems(disk[:-H.SECTOR], h) == [f"truncated: it has {h.sectors} sectors, the file "
                                                       f"{h.sectors - 1}"]
    changed = bytearray(disk)
    changed[H.SECTOR + 3] ^= 1
    assert imagefile.problems(bytes(changed), h) == ["the payload is corrupt: its sha256 does not match the header's"]
    assert not any(disk[H.H_ZEROS:H.SECTOR]) and disk[0x1FE:0x200] != b"\x55\xaa"          # no MBR


def test_the_store_area_holds_the_files():
    from downstairs.kernel.tasks import storeformat as F

    area = imagefile.store_area(FILES)
    assert struct.unpack_from("<QII", area) == (F.MAGIC, F.VERSION, F.SLOTS) and len(area) == (1 + F.SLOTS) * F.SECTOR
    used, key_length, value_length, _ = struct.unpack_from("<IIII", area, F.SECTOR)
    assert (used, area[F.SECTOR + F.R_KEY:F.SECTOR + F.R_KEY + key_length]) == (1, b"motd")
    assert area[F.SECTOR + F.R_VALUE:F.SECTOR + F.R_VALUE + value_length] == b"hello"
