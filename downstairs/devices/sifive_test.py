"""The SiFive test finisher ("sifive,test0"): how a guest on QEMU's virt board powers off.

One 32-bit register at offset 0. The low 16 bits say what to do:
  0x5555  pass: power off, exit status 0
  0x3333  fail: power off, exit status = the upper 16 bits
  0x7777  reset the board
Linux's syscon-poweroff and OpenSBI's reset driver both use it. Other values are ignored,
as QEMU ignores them.
"""

from collections.abc import Callable

FINISHER_FAIL, FINISHER_PASS, FINISHER_RESET = 0x3333, 0x5555, 0x7777


class SifiveTest:
    size = 0x1000

    def __init__(self, on_exit: Callable[[int], None], on_reset: Callable[[], None]):
        """`on_exit(status)` powers the board off; `on_reset()` resets it."""
        self.on_exit = on_exit
        self.on_reset = on_reset

    def read(self, offset: int, size: int) -> int:
        """The register reads as zero."""
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """A command in the low 16 bits of offset 0 (the table above); others are ignored."""
        if offset != 0:
            return
        command = value & 0xFFFF
        if command == FINISHER_PASS:
            self.on_exit(0)
        elif command == FINISHER_FAIL:
            self.on_exit((value >> 16) & 0xFFFF)
        elif command == FINISHER_RESET:
            self.on_reset()
