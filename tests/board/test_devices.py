"""The small virt devices (Goldfish RTC, empty virtio-mmio slots), and every device fuzzed:
whatever a guest writes or reads, at any offset and size, the device answers like hardware
(a value that fits the access) and never raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from downstairs.devices.clint import Clint
from downstairs.devices.goldfish_rtc import GoldfishRtc
from downstairs.devices.plic import Plic
from downstairs.devices.rom import Rom
from downstairs.devices.sifive_test import SifiveTest
from downstairs.devices.uart16550 import Uart16550
from downstairs.devices.virtio_mmio_empty import VirtioMmioEmpty


def test_empty_virtio_slot_says_no_device():
    slot = VirtioMmioEmpty()
    assert slot.read(0x000, 4) == 0x74726976         # "virt"
    assert slot.read(0x004, 4) == 2
    assert slot.read(0x008, 4) == 0                  # device id 0: nothing here
    slot.write(0x070, 4, 0xF)                        # Status: ignored
    assert slot.read(0x070, 4) == 0


def test_rtc_time_latches_high_and_can_be_set():
    now = [5 << 32 | 7]
    rtc = GoldfishRtc(now_ns=lambda: now[0])
    assert rtc.read(0x00, 4) == 7
    now[0] += 1 << 32                                # the high half moves on after the latch
    assert rtc.read(0x04, 4) == 5
    rtc.write(0x04, 4, 100)
    rtc.write(0x00, 4, 42)
    assert rtc.read(0x00, 4) == 42 and rtc.read(0x04, 4) == 100


def test_rtc_alarm_raises_its_line_until_cleared():
    now = [1000]
    levels = []
    rtc = GoldfishRtc(irq=levels.append, now_ns=lambda: now[0])
    rtc.write(0x10, 4, 1)                            # IRQ_ENABLED
    rtc.write(0x0C, 4, 0)
    rtc.write(0x08, 4, 2000)                         # arms the alarm
    assert rtc.read(0x18, 4) == 1 and levels == []
    now[0] = 2500
    rtc.update()
    assert levels == [True] and rtc.read(0x18, 4) == 0
    rtc.write(0x1C, 4, 1)                            # CLEAR_INTERRUPT
    assert levels == [True, False]


def make_devices():
    return [
        Plic(2), GoldfishRtc(irq=lambda level: None), VirtioMmioEmpty(),
        Uart16550(lambda data: None, lambda level: None), Clint(2, lambda: 12345, lambda v: None),
        SifiveTest(lambda status: None, lambda: None), Rom(b"\x13\x00\x00\x00", 0x100),
    ]


access = st.tuples(st.booleans(), st.integers(0, 0x7FFFFF), st.sampled_from([1, 2, 4, 8]),
                   st.integers(0, (1 << 64) - 1))


@settings(max_examples=300, deadline=None)
@given(st.lists(access, max_size=60), st.integers(0, 6))
def test_fuzz_every_device(accesses, which):
    device = make_devices()[which]
    for is_write, offset, size, value in accesses:
        offset = offset % device.size
        offset -= offset % size                      # the bus hands devices aligned accesses
        if offset + size > device.size:
            continue
        value &= (1 << (8 * size)) - 1
        if is_write:
            device.write(offset, size, value)
        else:
            result = device.read(offset, size)
            assert isinstance(result, int) and 0 <= result < 1 << (8 * size)


def test_fuzz_the_whole_virt_bus(tmp_path):
    """Random loads and stores anywhere in every device window of a real virt board, any
    size and alignment: the bus answers (or reports nobody there), nothing raises."""
    from downstairs.machine import boards
    from tests.machine.harness import load_engine

    image = tmp_path / "loop.bin"
    image.write_bytes(b"\x01\xa0" * 8)                 # c.j .
    machine = boards.build(boards.BootConfig(bios=str(image), harts=2), load_engine("compiled"),
                           lambda data: None)
    windows = [(w.base, w.end) for w in machine.bus.windows]

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.booleans(), st.integers(0, len(windows) - 1),
                              st.integers(0, 0x7FFFFF), st.sampled_from([1, 2, 4, 8]),
                              st.integers(0, (1 << 64) - 1)), max_size=40))
    def check(accesses):
        for is_write, which, offset, size, value in accesses:
            start, end = windows[which]
            paddr = start + offset % (end - start)
            if is_write:
                machine.bus.write(paddr, size, value)
            else:
                result = machine.bus.read(paddr, size)
                assert result is None or 0 <= result < 1 << (8 * size)

    check()
