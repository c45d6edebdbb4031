"""The virtio models driven directly: rings built in a bytearray, registers written as a driver would."""

import os

import pytest

from downstairs.errors import UsageError

from downstairs.devices.memory import BufferMemory, GuestMemoryError
from downstairs.devices.virtio import block, mmio
from downstairs.devices.virtio.block import Block
from downstairs.devices.virtio.console import Console
from downstairs.devices.virtio.rng import Entropy
from tests.devices.virtio_driver import DESC, AVAIL, USED, Driver

FEATURES = mmio.VIRTIO_F_VERSION_1


def blk_header(kind: int, sector: int = 0) -> bytes:
    return kind.to_bytes(4, "little") + bytes(4) + sector.to_bytes(8, "little")


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk.img"
    path.write_bytes(bytes(range(256)) * 2 * 16)          # 16 sectors, recognisable contents
    return path


def test_memory_interface_rejects_out_of_range():
    memory = BufferMemory(bytearray(4096), base=0x8000_0000)
    memory.write(0x8000_0000, b"ab")
    assert memory.read(0x8000_0000, 2) == b"ab"
    with pytest.raises(GuestMemoryError, match="outside RAM"):
        memory.read(0x8000_0FFF, 2)
    with pytest.raises(GuestMemoryError):
        memory.write(0x7FFF_FFFF, b"x")


def test_registers_identify_a_version_2_device(disk):
    d = Driver(Block(str(disk)))
    assert d.dev.read(mmio.MAGIC_VALUE, 4) == 0x74726976
    assert d.dev.read(mmio.VERSION_REG, 4) == 2
    assert d.dev.read(mmio.DEVICE_ID, 4) == 2
    d.dev.write(mmio.DEVICE_FEATURES_SEL, 4, 1)
    assert d.dev.read(mmio.DEVICE_FEATURES, 4) & 1          # VIRTIO_F_VERSION_1 is bit 32
    assert d.dev.read(mmio.CONFIG, 4) == 16                 # capacity in sectors, low half
    assert d.status() & mmio.DRIVER_OK
    # no shared memory regions: a length of -1 (4.2.2), as QEMU answers too
    assert d.dev.read(mmio.SHM_LEN_LOW, 4) == d.dev.read(mmio.SHM_LEN_HIGH, 4) == 0xFFFFFFFF


def serial_of(path, **options) -> bytes:
    block = Block(path, **options)
    block.close()
    return block.serial


def test_serial_defaults_to_the_file_name_and_may_be_empty(disk):
    assert serial_of(str(disk)) == disk.name.encode()[:20]
    assert serial_of(str(disk), serial="") == b""
    assert serial_of(str(disk), serial="x" * 30) == b"x" * 20


def test_an_image_is_locked_as_qemu_locks_it(disk):
    """A writer excludes everyone else; readers share; closing lets go."""
    writer = Block(str(disk))
    for read_only in (False, True):
        with pytest.raises(UsageError, match="in use by another process"):
            Block(str(disk), read_only=read_only)
    writer.close()
    readers = [Block(str(disk), read_only=True) for _ in range(2)]
    with pytest.raises(UsageError, match="in use by another process"):
        Block(str(disk))
    for reader in readers:
        reader.close()
    Block(str(disk)).close()


def test_close_syncs_once_and_a_malformed_chain_still_interrupts_for_the_good_ones(disk):
    """Requests before a malformed one in the same notify complete and are signalled."""
    d = Driver(Block(str(disk)))
    d.submit(0, [(blk_header(1, 0), False), (b"\x5A" * 512, False), (1, True)], head=0, kick=False)
    d.submit(0, [(blk_header(1, 1), False), (b"\x5A" * 512, False)], head=3)  # no status byte
    assert d.status() & mmio.DEVICE_NEEDS_RESET
    assert d.used(0) == [(0, 1)]
    assert d.dev.read(mmio.INTERRUPT_STATUS, 4) == 3        # used buffer and config change
    assert disk.read_bytes()[:512] == b"\x5A" * 512
    d.dev.device.close()
    d.dev.device.close()
    assert d.dev.device.fd == -1


def test_features_without_version_1_are_refused(disk):
    d = Driver(Block(str(disk)), features=0)
    assert not d.status() & mmio.FEATURES_OK


def test_block_read_write_flush_get_id(disk):
    d = Driver(Block(str(disk), serial="disk-7"))
    # read sector 1
    _, data, status = d.submit(0, [(blk_header(0, 1), False), (512, True), (1, True)])
    assert d.used(0) == [(0, 513)]
    assert d.ram[data[0]:data[0] + 512] == (bytes(range(256)) * 2)
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_OK
    assert d.irqs[-1] is True and d.dev.read(mmio.INTERRUPT_STATUS, 4) == 1
    d.dev.write(mmio.INTERRUPT_ACK, 4, 1)
    assert d.irqs[-1] is False
    # write sectors 2..3, then flush
    payload = b"\xAB" * 1024
    d.submit(0, [(blk_header(1, 2), False), (payload, False), (1, True)], head=3)
    d.submit(0, [(blk_header(4), False), (1, True)], head=6)
    assert d.used(0) == [(3, 1), (6, 1)]
    assert disk.read_bytes()[1024:2048] == payload
    # get id
    _, ident, status = d.submit(0, [(blk_header(8), False), (20, True), (1, True)], head=8)
    assert d.used(0) == [(8, 21)]
    assert d.ram[ident[0]:ident[0] + 20] == b"disk-7".ljust(20, b"\0")
    # an unknown request type
    _, status = d.submit(0, [(blk_header(99), False), (1, True)], head=11)
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_UNSUPP


def test_block_read_only_refuses_writes(disk):
    before = disk.read_bytes()
    dev = Block(str(disk), read_only=True)
    assert dev.features & block.VIRTIO_BLK_F_RO
    d = Driver(dev)
    _, _, status = d.submit(0, [(blk_header(1, 0), False), (b"x" * 512, False), (1, True)])
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_IOERR
    assert disk.read_bytes() == before


@pytest.mark.parametrize("sector,size", [(16, 512), (15, 1024), (2**64 - 1, 512), (0, 100)])
def test_block_requests_outside_the_disk_fail_without_touching_it(disk, sector, size):
    before = disk.read_bytes()
    d = Driver(Block(str(disk)))
    _, _, status = d.submit(0, [(blk_header(1, sector), False), (b"z" * size, False), (1, True)])
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_IOERR
    _, _, status = d.submit(0, [(blk_header(0, sector), False), (size, True), (1, True)], head=3)
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_IOERR
    assert disk.read_bytes() == before and os.path.getsize(disk) == len(before)
    assert d.status() & mmio.DRIVER_OK and not d.status() & mmio.DEVICE_NEEDS_RESET


def test_block_wrong_direction_is_an_io_error(disk):
    before = disk.read_bytes()
    d = Driver(Block(str(disk)))
    # a read whose data buffer is device-readable: nothing to read into
    _, _, status = d.submit(0, [(blk_header(0, 0), False), (b"q" * 512, False), (1, True)])
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_IOERR
    # a write whose data buffer is device-writable: nothing to write from
    _, _, status = d.submit(0, [(blk_header(1, 0), False), (512, True), (1, True)], head=3)
    assert d.ram[status[0]] == block.VIRTIO_BLK_S_IOERR
    assert disk.read_bytes() == before


def test_indirect_descriptors(disk):
    d = Driver(Block(str(disk)), features=FEATURES | mmio.VIRTIO_F_INDIRECT_DESC)
    table = d.alloc(48)[0]
    hdr, _ = d.alloc(blk_header(0, 3))
    data, _ = d.alloc(512)
    status, _ = d.alloc(1)
    d.put_desc(table, 0, hdr, 16, 1, 1)
    d.put_desc(table, 1, data, 512, 3, 2)
    d.put_desc(table, 2, status, 1, 2, 0)
    d.put_desc(DESC, 0, table, 48, 4, 0)
    d.make_available(0, 0)
    d.kick(0)
    assert d.used(0) == [(0, 513)]
    assert d.ram[data:data + 512] == bytes(range(256)) * 2 and d.ram[status] == 0


def _malformed(d) -> None:
    d.kick(0)
    assert d.status() & mmio.DEVICE_NEEDS_RESET
    assert d.dev.read(mmio.INTERRUPT_STATUS, 4) & 2          # configuration change interrupt
    assert d.used(0) == []


def test_descriptor_loop_needs_reset(disk):
    d = Driver(Block(str(disk)))
    hdr, _ = d.alloc(blk_header(0, 0))
    d.put_desc(DESC, 0, hdr, 16, 1, 1)
    d.put_desc(DESC, 1, hdr, 16, 1, 0)                      # 1 -> 0 -> 1 ...
    d.make_available(0, 0)
    _malformed(d)


def test_descriptor_outside_memory_needs_reset(disk):
    before = disk.read_bytes()
    d = Driver(Block(str(disk)))
    hdr, _ = d.alloc(blk_header(1, 0))
    status, _ = d.alloc(1)
    d.put_desc(DESC, 0, hdr, 16, 1, 1)
    d.put_desc(DESC, 1, 0xFFFF_0000_0000, 512, 1, 2)        # data far outside RAM
    d.put_desc(DESC, 2, status, 1, 2, 0)
    d.make_available(0, 0)
    _malformed(d)
    assert disk.read_bytes() == before


def test_bad_next_index_and_unnegotiated_indirect_need_reset(disk):
    d = Driver(Block(str(disk)))
    hdr, _ = d.alloc(blk_header(0, 0))
    d.put_desc(DESC, 0, hdr, 16, 1, 200)                    # next beyond the 16-entry table
    d.make_available(0, 0)
    _malformed(d)
    d.dev.close()
    d = Driver(Block(str(disk)))                             # INDIRECT not negotiated
    d.put_desc(DESC, 0, d.alloc(48)[0], 48, 4, 0)
    d.make_available(0, 0)
    _malformed(d)


def test_indirect_table_with_bad_length_needs_reset(disk):
    d = Driver(Block(str(disk)), features=FEATURES | mmio.VIRTIO_F_INDIRECT_DESC)
    d.put_desc(DESC, 0, d.alloc(40)[0], 40, 4, 0)
    d.make_available(0, 0)
    _malformed(d)


def test_ring_outside_memory_needs_reset(disk):
    d = Driver(Block(str(disk)))
    d.dev.write(mmio.QUEUE_SEL, 4, 0)
    d.dev.write(mmio.QUEUE_DRIVER_LOW, 4, 0xFFFFF000)
    _malformed(d)


def test_reset_clears_needs_reset_and_device_works_again(disk):
    d = Driver(Block(str(disk)))
    d.put_desc(DESC, 0, 0xFFFF_0000_0000, 16, 0, 0)
    d.make_available(0, 0)
    _malformed(d)
    d.dev.write(mmio.STATUS, 4, 0)
    assert d.status() == 0
    d = Driver(d.dev.device)
    _, data, status = d.submit(0, [(blk_header(0, 0), False), (512, True), (1, True)])
    assert d.ram[status[0]] == 0


def test_event_index_suppresses_interrupts(disk):
    d = Driver(Block(str(disk)), features=FEATURES | mmio.VIRTIO_F_EVENT_IDX)
    used_event = AVAIL + 4 + 2 * d.qsize
    d.ram[used_event:used_event + 2] = (5).to_bytes(2, "little")   # "interrupt me after entry 5"
    for i in range(3):
        d.submit(0, [(blk_header(4), False), (1, True)], head=2 * i)
    assert d.irqs == [False]                                 # only the reset's deassert so far
    # the device published avail_event = next index it expects
    avail_event = USED + 4 + 8 * d.qsize
    assert int.from_bytes(d.ram[avail_event:avail_event + 2], "little") == 3
    for i in range(3, 7):
        d.submit(0, [(blk_header(4), False), (1, True)], head=2 * i)
    assert d.irqs.count(True) == 1                           # when used idx passed 5 -> 6


def test_no_interrupt_flag_without_event_index(disk):
    d = Driver(Block(str(disk)))
    d.ram[AVAIL:AVAIL + 2] = (1).to_bytes(2, "little")       # VIRTQ_AVAIL_F_NO_INTERRUPT
    d.submit(0, [(blk_header(4), False), (1, True)])
    assert d.used(0) == [(0, 1)] and True not in d.irqs


def test_entropy_fills_buffers():
    d = Driver(Entropy(source=lambda n: b"\x5A" * n))
    (buf,) = d.submit(0, [(32, True)])
    assert d.used(0) == [(0, 32)]
    assert d.ram[buf[0]:buf[0] + 32] == b"\x5A" * 32
    assert d.dev.read(mmio.DEVICE_ID, 4) == 4


def test_console_transmit_and_receive():
    out = []
    console = Console(out.append)
    d = Driver(console)
    d.submit(1, [(b"hello ", False), (b"world", False)])
    assert out == [b"hello world"]
    assert d.used(1) == [(0, 0)]
    console.receive(b"typed")                                # no receive buffers yet: kept
    (buf,) = d.submit(0, [(3, True)])
    (buf2,) = d.submit(0, [(16, True)], head=1)
    assert d.used(0) == [(0, 3), (1, 2)]
    assert d.ram[buf[0]:buf[0] + 3] == b"typ" and d.ram[buf2[0]:buf2[0] + 2] == b"ed"
