"""QEMU's `spike` board (the Spike simulator's layout): its memory map and its devices.

    0x00001000 +0xf000     mask ROM with the reset vector (bootrom.py)
    0x02000000 +0x10000    CLINT: msip, mtimecmp, mtime
    0x80000000 +(-m)       RAM, with the device tree at its top (boards.py)
    tohost, fromhost       HTIF (devices/htif.py): two 8-byte words in RAM, wherever the
                           ELF's `tohost` and `fromhost` symbols say

There is no UART: the console is HTIF. As on Spike, reading the `time` CSR traps (firmware
emulates it from the CLINT), so there is no Sstc either. devicetree.py describes this board
from the constants here.
"""

from downstairs.devices.clint import Clint
from downstairs.devices.htif import Htif
from downstairs.devices.memory import GuestMemoryError
from downstairs.errors import UsageError

ROM_BASE, ROM_SIZE = 0x1000, 0xF000
CLINT_BASE, CLINT_SIZE = 0x2000000, 0x10000
RAM_BASE = 0x80000000
TIME_CSR = False                                   # `time` is left to firmware, as on Spike
VIRTIO_COUNT = 0                                   # no virtio-mmio slots for -drive/-device


def attach(machine, config) -> None:
    """Put the spike board's devices on `machine`'s bus: the CLINT, and HTIF where the
    loaded ELF's symbols say (a program without `tohost` cannot talk to this board)."""
    clint = Clint(config.harts, machine.clock.mtime, machine.clock.set_mtime)
    machine.attach(CLINT_BASE, clint, resets=True)
    machine.use_interrupt_controllers(clint)
    tohost, fromhost = htif_symbols(machine)
    htif = Htif(tohost, fromhost, machine.console_output, machine.power_off,
                machine.read_memory, machine.write_memory)
    lo, hi = min(tohost, fromhost), max(tohost, fromhost) + 8
    machine.attach(lo, HtifWindow(htif, machine, lo, hi), hi - lo)
    machine.use_console(htif)
    for hart in machine.harts:
        hart.set_hole(lo, hi)


def htif_symbols(machine) -> tuple[int, int]:
    """tohost and fromhost from the loaded images (fromhost defaults to tohost + 8): two
    8-byte words that do not overlap, both in RAM, and close together (the window between
    them goes through the bus). Anything else is the ELF's problem: a UsageError."""
    tohost = fromhost = None
    for image in machine.images:
        tohost = tohost if tohost is not None else image.symbol("tohost")
        fromhost = fromhost if fromhost is not None else image.symbol("fromhost")
    if tohost is None:
        raise UsageError("-M spike needs an ELF with a `tohost` symbol (HTIF)")
    fromhost = fromhost if fromhost is not None else tohost + 8
    ram_end = machine.ram_base + machine.ram_size
    for name, addr in (("tohost", tohost), ("fromhost", fromhost)):
        if not machine.ram_base <= addr <= ram_end - 8:
            raise UsageError(f"the ELF's `{name}` symbol is at {addr:#x}, outside RAM "
                             f"{machine.ram_base:#x}-{ram_end:#x}: HTIF's words must be in RAM")
    if abs(tohost - fromhost) < 8:
        raise UsageError(f"the ELF's `tohost` ({tohost:#x}) and `fromhost` ({fromhost:#x}) "
                         f"symbols overlap: HTIF needs two separate 8-byte words")
    if abs(tohost - fromhost) > 0x1000:
        raise UsageError(f"the ELF's `tohost` ({tohost:#x}) and `fromhost` ({fromhost:#x}) "
                         f"symbols are more than a page apart")
    return tohost, fromhost


class HtifWindow:
    """The bus window [lo, hi) over HTIF's two words and the RAM between them: an access
    starting in a word goes to HTIF, any other to RAM (the harts' TLBs leave the window's
    pages out, set_hole, so every access to them comes here)."""

    def __init__(self, htif: Htif, machine, lo: int, hi: int):
        """The window [lo, hi) over HTIF's words on `machine`'s bus."""
        self.htif = htif
        self.machine = machine
        self.lo = lo
        self.size = hi - lo

    def read(self, offset: int, size: int) -> int:
        """A load from the window: HTIF's word, or the RAM beneath."""
        paddr = self.lo + offset
        if self.htif.claims(paddr):
            return self.htif.read(paddr, size)
        return int.from_bytes(self.ram(paddr, size), "little")

    def write(self, offset: int, size: int, value: int) -> None:
        """A store to the window: to HTIF's word (maybe completing a request), or to RAM."""
        paddr = self.lo + offset
        if self.htif.claims(paddr):
            self.htif.write(paddr, size, value)
        else:
            self.machine.write_memory(paddr, value.to_bytes(size, "little"))

    def ram(self, paddr: int, size: int) -> bytes:
        """RAM bytes under the window (inside RAM: htif_symbols checked both ends)."""
        try:
            return self.machine.read_memory(paddr, size)
        except GuestMemoryError:
            return bytes(size)
