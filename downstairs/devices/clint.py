"""The CLINT (core-local interruptor), SiFive's layout that the RISC-V ACLINT spec keeps.

Per hart: a 32-bit `msip` word at 0x0000 + 4*hart (bit 0 raises the machine software
interrupt, mip.MSIP) and a 64-bit `mtimecmp` at 0x4000 + 8*hart; one shared 64-bit `mtime`
at 0xBFF8:

    0x0000  msip[0]      0x0004  msip[1]      ...   (bits 31:1 read as zero)
    0x4000  mtimecmp[0]  0x4008  mtimecmp[1]  ...
    0xbff8  mtime The machine timer interrupt (mip.MTIP) is pending while mtime >= mtimecmp
(privileged spec 3.2.1, "Machine Timer Registers").

`mtime` counts at the timebase the device tree announces (10 MHz on QEMU's boards); the
board supplies it as a function, so it can follow the host clock or the instruction count.
The board asks `timer_pending(hart)` and `software_pending(hart)` between runs of the hart.
"""

from collections.abc import Callable

MSIP_BASE, MTIMECMP_BASE, MTIME = 0x0000, 0x4000, 0xBFF8
MASK64 = (1 << 64) - 1


class Clint:
    size = 0x10000

    def __init__(self, harts: int, mtime: Callable[[], int], set_mtime: Callable[[int], None] | None = None):
        """`harts` msip/mtimecmp pairs (mtimecmp at all ones: no timer); `mtime()` reads the board's
        clock and `set_mtime(value)` sets it (None: writes to mtime are ignored)."""
        self.msip = [0] * harts
        self.mtimecmp = [MASK64] * harts
        self.mtime = mtime
        self.set_mtime = set_mtime

    def reset(self) -> None:
        """msip clear, mtimecmp at its maximum (no timer interrupt); mtime keeps counting."""
        self.msip = [0] * len(self.msip)
        self.mtimecmp = [MASK64] * len(self.mtimecmp)

    def timer_pending(self, hart: int) -> bool:
        """Whether hart's machine timer interrupt is pending: mtime >= mtimecmp."""
        return self.mtime() >= self.mtimecmp[hart]

    def software_pending(self, hart: int) -> bool:
        """Whether hart's machine software interrupt is pending: msip bit 0."""
        return bool(self.msip[hart] & 1)

    def next_deadline(self) -> int:
        """The earliest mtimecmp: when a sleeping board must wake up."""
        return min(self.mtimecmp)

    def read(self, offset: int, size: int) -> int:
        """A load from the map in this file's docstring; 0 where no register is."""
        harts = len(self.msip)
        if MSIP_BASE <= offset < MSIP_BASE + 4 * harts and size == 4:
            return self.msip[offset // 4]
        if MTIMECMP_BASE <= offset < MTIMECMP_BASE + 8 * harts:
            return _slice(self.mtimecmp[(offset - MTIMECMP_BASE) // 8], offset & 7, size)
        if MTIME <= offset < MTIME + 8:
            return _slice(self.mtime(), offset - MTIME, size)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """A store to the map: msip bit 0, any bytes of mtimecmp, or mtime through set_mtime."""
        harts = len(self.msip)
        if MSIP_BASE <= offset < MSIP_BASE + 4 * harts and size == 4:
            self.msip[offset // 4] = value & 1
        elif MTIMECMP_BASE <= offset < MTIMECMP_BASE + 8 * harts:
            hart = (offset - MTIMECMP_BASE) // 8
            self.mtimecmp[hart] = _merge(self.mtimecmp[hart], offset & 7, size, value)
        elif MTIME <= offset < MTIME + 8 and self.set_mtime is not None:
            self.set_mtime(_merge(self.mtime(), offset - MTIME, size, value))


def _slice(register: int, byte: int, size: int) -> int:
    """The `size` bytes of a 64-bit register starting at byte `byte` (32-bit halves on RV32)."""
    return (register >> (8 * byte)) & ((1 << (8 * size)) - 1)


def _merge(register: int, byte: int, size: int, value: int) -> int:
    """`register` with `size` bytes from byte `byte` on replaced by the low bytes of value (a
    narrow or misaligned store into a 64-bit register)."""
    mask = ((1 << (8 * size)) - 1) << (8 * byte)
    return (register & ~mask & MASK64) | ((value << (8 * byte)) & mask)
