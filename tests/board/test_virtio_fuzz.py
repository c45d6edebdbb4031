"""A hostile guest against the virt board's virtio-blk: random descriptor chains and requests.

The board is built as `downstairs run` builds it (boards.build with a -drive), its queue set
up through the MMIO registers, and then hypothesis writes descriptor tables whose addresses,
lengths, flags and next indices are a mix of sensible and wild values, with request headers
of any type and sector, and kicks the queue. Whatever it writes: nothing raises out of the
device, the disk file keeps its size, the device either completes requests or asks for a
reset, and after a reset it serves a plain read again.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from downstairs.devices.virtio import mmio
from downstairs.machine import boards
from downstairs.machine.virt import RAM_BASE
from downstairs.machine.drives import virtio_devices
from tests.machine.harness import load_engine

SLOT = 0x10008000
QSZ = 16
DESC, AVAIL, USED = RAM_BASE + 0x100000, RAM_BASE + 0x101000, RAM_BASE + 0x102000
DATA = RAM_BASE + 0x110000
SECTORS = 16

address = st.one_of(
    st.integers(0, 15).map(lambda k: DATA + 512 * k),          # buffers in RAM
    st.sampled_from([0, RAM_BASE - 512, RAM_BASE + (128 << 20) - 256, 0x10008000,
                     (1 << 64) - 512, DESC]),                  # below, across the end, a device...
    st.integers(0, (1 << 64) - 1),
)
length = st.one_of(st.sampled_from([0, 1, 16, 20, 512, 1024, 513]), st.integers(0, (1 << 32) - 1))
descriptor = st.tuples(address, length, st.integers(0, 7), st.integers(0, QSZ + 2))
# A well-formed chain (header, data of any size and direction, status byte), which the device
# must complete whatever the request says, or any table of descriptors with any heads.
well_formed = st.tuples(st.sampled_from([0, 16, 20, 512, 513, 1024, 4096]), st.booleans()).map(
    lambda t: ([(DATA, 16, 1, 1), (DATA + 512, t[0], 1 | (2 if t[1] else 0), 2),
                (DATA + 8192, 1, 2, 0)], [0], True))
anything = st.tuples(st.lists(descriptor, min_size=1, max_size=QSZ),
                     st.lists(st.integers(0, QSZ + 1), min_size=1, max_size=4), st.just(False))
header = st.tuples(st.sampled_from([0, 1, 4, 8, 11, 99, 0xFFFFFFFF]),
                   st.one_of(st.sampled_from([0, SECTORS - 1, SECTORS, 1 << 63]), st.integers(0, (1 << 64) - 1)))


def build(tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(range(256)) * 2 * SECTORS)
    config = boards.BootConfig(virtio=virtio_devices([f"file={disk},format=raw,if=virtio"], []))
    machine = boards.build(config, load_engine("compiled"))
    return machine, disk


def setup_queue(bus) -> None:
    def w(offset, value):
        bus.write(SLOT + offset, 4, value)
    w(mmio.STATUS, 0)
    w(mmio.STATUS, mmio.ACKNOWLEDGE | mmio.DRIVER)
    w(mmio.DRIVER_FEATURES_SEL, 1)
    w(mmio.DRIVER_FEATURES, 1)                                  # VIRTIO_F_VERSION_1
    w(mmio.DRIVER_FEATURES_SEL, 0)
    w(mmio.DRIVER_FEATURES, (1 << 28) | (1 << 9))               # INDIRECT_DESC, FLUSH
    w(mmio.STATUS, mmio.ACKNOWLEDGE | mmio.DRIVER | mmio.FEATURES_OK)
    w(mmio.QUEUE_SEL, 0)
    w(mmio.QUEUE_NUM, QSZ)
    for low, value in ((mmio.QUEUE_DESC_LOW, DESC), (mmio.QUEUE_DRIVER_LOW, AVAIL),
                       (mmio.QUEUE_DEVICE_LOW, USED)):
        w(low, value & 0xFFFFFFFF)
        w(low + 4, value >> 32)
    w(mmio.QUEUE_READY, 1)
    w(mmio.STATUS, mmio.ACKNOWLEDGE | mmio.DRIVER | mmio.FEATURES_OK | mmio.DRIVER_OK)


def test_random_chains_never_escape_the_device(tmp_path):
    machine, disk = build(tmp_path)
    size = disk.stat().st_size
    bus = machine.bus
    avail_idx = [0]
    outcomes = {"completed": 0, "reset": 0}

    def kick(heads):
        for head in heads:
            slot = avail_idx[0] % QSZ
            machine.write_memory(AVAIL + 4 + 2 * slot, head.to_bytes(2, "little"))
            avail_idx[0] = (avail_idx[0] + 1) & 0xFFFF
        machine.write_memory(AVAIL + 2, avail_idx[0].to_bytes(2, "little"))
        bus.write(SLOT + mmio.QUEUE_NOTIFY, 4, 0)

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(well_formed, anything), header)
    def check(chains, head):
        descriptors, heads, sound = chains
        setup_queue(bus)
        avail_idx[0] = 0
        machine.write_memory(USED, bytes(8 + 8 * QSZ))
        machine.write_memory(AVAIL, bytes(6 + 2 * QSZ))
        table = b"".join(a.to_bytes(8, "little") + n.to_bytes(4, "little") + f.to_bytes(2, "little")
                         + x.to_bytes(2, "little") for a, n, f, x in descriptors)
        machine.write_memory(DESC, table)
        kind, sector = head
        for k in range(16):                                     # every data buffer starts with a header
            machine.write_memory(DATA + 512 * k, kind.to_bytes(4, "little") + bytes(4)
                                 + sector.to_bytes(8, "little"))
        kick(heads)
        status = bus.read(SLOT + mmio.STATUS, 4)
        used = int.from_bytes(machine.read_memory(USED + 2, 2), "little")
        assert status & mmio.DEVICE_NEEDS_RESET or used == len(heads)
        if sound:
            assert used == 1 and machine.read_memory(DATA + 8192, 1)[0] in (0, 1, 2)
        outcomes["reset" if status & mmio.DEVICE_NEEDS_RESET else "completed"] += 1
        assert disk.stat().st_size == size

    check()
    assert outcomes["completed"] and outcomes["reset"], outcomes
    # after all that, a reset and a plain read of sector 1 work
    setup_queue(bus)
    machine.write_memory(USED, bytes(8 + 8 * QSZ))
    machine.write_memory(AVAIL, bytes(6 + 2 * QSZ))
    machine.write_memory(DATA, (0).to_bytes(8, "little") + (1).to_bytes(8, "little"))
    chain = [(DATA, 16, 1, 1), (DATA + 512, 512, 3, 2), (DATA + 1024, 1, 2, 0)]
    machine.write_memory(DESC, b"".join(a.to_bytes(8, "little") + n.to_bytes(4, "little")
                                        + f.to_bytes(2, "little") + x.to_bytes(2, "little")
                                        for a, n, f, x in chain))
    avail_idx[0] = 0
    kick([0])
    assert not bus.read(SLOT + mmio.STATUS, 4) & mmio.DEVICE_NEEDS_RESET
    assert machine.read_memory(DATA + 1024, 1) == b"\0"
    assert machine.read_memory(DATA + 512, 512) == disk.read_bytes()[512:1024]
    machine.close()
