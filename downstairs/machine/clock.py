"""The machine's clock: `mtime`, which the CLINT's timer compares and the `time` CSR reads.

Both boards tick mtime at TIMEBASE_HZ, the rate their device tree announces in
/cpus/timebase-frequency (10 MHz, as QEMU's virt and spike). Two clocks:

HostClock follows the host's monotonic clock, as QEMU does by default.
InstructionClock is QEMU's `-icount shift=N,sleep=off`: every instruction retired (by any
hart) is 2^N ns of guest time, so a run is the same on every host and every engine; a hart in
wfi makes time jump to the next deadline instead of waiting for it.
"""

import time

TIMEBASE_HZ = 10_000_000          # mtime ticks per second: 100 ns a tick
NO_DEADLINE = (1 << 64) - 1       # "no timer armed": later than any mtime


class HostClock:
    """mtime at TIMEBASE_HZ following the host's monotonic clock from power-on."""

    def __init__(self):
        """The clock starts at 0 now."""
        self.offset = 0                   # what writes to mtime added to the host's count
        self.t0 = time.monotonic()

    def mtime(self) -> int:
        """Ticks since power-on (plus whatever writes to mtime added)."""
        return int((time.monotonic() - self.t0) * TIMEBASE_HZ) + self.offset

    def set_mtime(self, value: int) -> None:
        """A write to mtime: from now on the clock counts from `value`."""
        self.offset += value - self.mtime()


class InstructionClock:
    """mtime from the instruction count: 2^shift ns per instruction, 100 ns per tick. The
    count (`executed()`, a function) includes what the running hart has retired in its
    current slice."""

    def __init__(self, executed, shift: int):
        """`executed()` gives the instructions retired so far; each is 2^shift ns."""
        self.executed = executed
        self.shift = shift
        self.offset = 0

    def mtime(self) -> int:
        """Ticks: the guest time of the instructions retired so far (plus what writes added)."""
        return ((self.executed() << self.shift) * TIMEBASE_HZ // 1_000_000_000) + self.offset

    def set_mtime(self, value: int) -> None:
        """A write to mtime: from now on the clock counts from `value`."""
        self.offset += value - self.mtime()

    def skip_to(self, deadline: int) -> None:
        """A sleeping board jumps ahead: nothing happens until the deadline anyway."""
        now = self.mtime()
        if deadline > now:
            self.offset += deadline - now
