"""The bus both the RISC-V machine and the KVM hypervisor route device accesses through."""

import pytest

from downstairs.devices.bus import KEPT, Bus
from downstairs.devices.rom import Rom


class Register:
    size = 0x10

    def __init__(self):
        self.writes = []

    def read(self, offset, size):
        return 0x1234_5678_9ABC_DEF0 >> (8 * (offset % 8))

    def write(self, offset, size, value):
        self.writes.append((offset, size, value))


@pytest.mark.parametrize("unclaimed,partial", [(None, False), (0, True), (0xFFFFFFFF, True)])
def test_unclaimed_accesses_are_counted_but_only_a_few_remembered(unclaimed, partial):
    bus = Bus(unclaimed=unclaimed, partial=partial)
    bus.map(0x1000, Register())
    for address in range(0x100000, 0x100000 + 8 * 50_000, 8):     # a guest scanning holes
        bus.read(address, 4)
        bus.write(address + 4, 4, 1)
    assert bus.unknown_total == 100_000
    assert len(bus.unknown) == KEPT
    bus.read(0x100000, 4)                                          # a remembered one still counts
    assert bus.unknown[0x100000] == 2


def test_an_access_must_fit_one_window_on_riscv():
    bus = Bus()
    register = Register()
    bus.map(0x1000, register)
    assert bus.claims(0x100C, 4) and not bus.claims(0x100C, 8)
    assert bus.write(0x100C, 8, 1) is False and register.writes == []
    assert bus.read(0x100C, 8) is None


def test_instructions_come_only_from_executable_windows():
    bus = Bus()
    bus.map(0x1000, Rom(b"\x13\x00\x00\x00"), executable=True)
    bus.map(0x2000, Register())
    assert bus.fetch(0x1000, 2) == 0x0013
    assert bus.fetch(0x2000, 2) is None and bus.read(0x2000, 2) is not None
    assert bus.fetch(0x3000, 2) is None


def test_quiet_windows_do_not_ask_for_attention():
    bus = Bus()
    bus.map(0x1000, Register(), quiet=True)
    bus.map(0x2000, Register())
    bus.read(0x1000, 4)
    assert not bus.attention
    bus.read(0x2000, 4)
    assert bus.attention


def test_overlapping_windows_are_refused():
    bus = Bus()
    bus.map(0x1000, Register())
    with pytest.raises(ValueError, match="overlaps"):
        bus.map(0x1008, Register())
