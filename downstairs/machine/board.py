"""A machine: RAM, a bus of devices, harts, and the loop that runs them.

What every board has in common. The board files (virt.py, spike.py) decide the memory map
and which devices sit on the bus; this file owns RAM (at 0x80000000 on both of QEMU's
boards), the harts, the clock behind `mtime`, and the run loop: each hart runs a slice of
instructions, then the loop delivers device interrupt lines (the CLINT's timer and software
interrupts) and, when every hart waits in wfi, sleeps until the next timer deadline.
"""

import mmap
import time

from downstairs.errors import UsageError
from downstairs.machine.bus import Bus
from downstairs.machine.core.consts import MIP_MSIP, MIP_MTIP
from downstairs.machine.loader import Image

RAM_BASE = 0x80000000
TIMEBASE_HZ = 10_000_000          # mtime ticks per second, as the device tree announces
SLICE = 1 << 14                   # instructions a hart runs before the loop looks around


class HostClock:
    """mtime at TIMEBASE_HZ following the host's monotonic clock from power-on."""

    def __init__(self):
        self.offset = 0
        self.t0 = time.monotonic()

    def mtime(self) -> int:
        return int((time.monotonic() - self.t0) * TIMEBASE_HZ) + self.offset

    def set_mtime(self, value: int) -> None:
        self.offset += value - self.mtime()


class Machine:
    def __init__(self, engine, ram_size: int, harts: int = 1, time_csr: bool = True):
        """`time_csr`: whether reading the `time` CSR works (QEMU's spike, like Spike itself,
        leaves it to firmware to emulate)."""
        self.engine = engine
        self.ram_size = ram_size
        # Anonymous memory: the host kernel hands out zeroed pages only when the guest first
        # touches them, so a large -m costs nothing up front. 8 spare bytes: see core/state.py.
        self.ram = mmap.mmap(-1, ram_size + 8)
        self.bus = Bus()
        self.clock = HostClock()
        timer = self.clock if time_csr else None
        self.harts = [engine.Hart(i, self.ram, RAM_BASE, ram_size, self.bus, timer)
                      for i in range(harts)]
        self.images: list[Image] = []
        self.clint = None
        self.exit_status: int | None = None
        self.reset_requested = False
        self.reset_pc = 0x1000
        self.poll = lambda: None                  # the console's input check, set by the board
        self.instructions = 0

    # ---- loading ------------------------------------------------------------------------

    def load(self, image: Image, what: str) -> None:
        """Copy an image into RAM; anything outside RAM or overlapping an earlier image is
        a user error, reported before the machine starts."""
        ram_end = RAM_BASE + self.ram_size
        for addr, data, size in image.segments:
            if addr < RAM_BASE or addr + size > ram_end:
                raise UsageError(
                    f"{image.path}: the {what} needs {addr:#x}-{addr + size:#x}, outside RAM "
                    f"{RAM_BASE:#x}-{ram_end:#x} (try a larger -m)")
            for other in self.images:
                for o_addr, _, o_size in other.segments:
                    if addr < o_addr + o_size and o_addr < addr + size:
                        raise UsageError(f"{image.path}: the {what} overlaps {other.path} "
                                         f"at {max(addr, o_addr):#x}")
        self.images.append(image)
        self.copy_in(image)

    def copy_in(self, image: Image) -> None:
        for addr, data, size in image.segments:
            offset = addr - RAM_BASE
            self.ram[offset:offset + size] = data + bytes(size - len(data))

    def read_memory(self, paddr: int, length: int) -> bytes:
        offset = paddr - RAM_BASE
        if offset < 0 or offset + length > self.ram_size:
            return bytes(length)
        return bytes(self.ram[offset:offset + length])

    def write_memory(self, paddr: int, data: bytes) -> None:
        offset = paddr - RAM_BASE
        if 0 <= offset and offset + len(data) <= self.ram_size:
            self.ram[offset:offset + len(data)] = data

    def symbols(self) -> dict[int, str]:
        merged: dict[int, str] = {}
        for image in self.images:
            merged.update(image.symbols)
        return merged

    # ---- power --------------------------------------------------------------------------

    def power_off(self, status: int) -> None:
        self.exit_status = status

    def request_reset(self) -> None:
        self.reset_requested = True

    def reset(self) -> None:
        """A warm reset: RAM gets its images back, every hart restarts at the ROM."""
        self.reset_requested = False
        self.ram.madvise(mmap.MADV_DONTNEED)      # private anonymous pages read as zero again
        for image in self.images:
            self.copy_in(image)
        for hart in self.harts:
            hart.reset(self.reset_pc)

    # ---- running ------------------------------------------------------------------------

    def deliver_interrupts(self, index: int, hart) -> None:
        if self.clint is not None:
            hart.set_pending(MIP_MTIP, self.clint.timer_pending(index))
            hart.set_pending(MIP_MSIP, self.clint.software_pending(index))

    def run(self, limit: int | None = None) -> int:
        """Run until the guest powers off (returns its exit status) or, with `limit`, until
        about that many instructions retired (returns -1)."""
        run = self.engine.run
        last_poll = time.monotonic()
        while self.exit_status is None:
            busy = False
            for index, hart in enumerate(self.harts):
                self.deliver_interrupts(index, hart)
                self.instructions += run(hart, SLICE)
                busy = busy or not hart.waiting
                if self.exit_status is not None or self.reset_requested:
                    break
            if self.reset_requested:
                self.reset()
            now = time.monotonic()
            if now - last_poll > 0.01:
                self.poll()
                last_poll = now
            if not busy and self.exit_status is None:
                self.sleep()
            if limit is not None and self.instructions >= limit:
                return -1
        return self.exit_status

    def sleep(self) -> None:
        """Every hart waits for an interrupt: let host time pass up to the next timer
        deadline (or 10 ms, to keep reading the console)."""
        seconds = 0.01
        if self.clint is not None:
            ticks = self.clint.next_deadline() - self.clock.mtime()
            seconds = min(seconds, max(ticks, 0) / TIMEBASE_HZ)
        if seconds > 0:
            time.sleep(seconds)
        self.poll()
