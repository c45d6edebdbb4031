"""A machine: RAM, a bus of devices, harts, and the loop that runs them.

What every board has in common. boards.py decides the memory map and which devices sit on
the bus; this file owns RAM (at 0x80000000 on both of QEMU's boards), the harts, the clock
behind `mtime` and the `time` CSR, and the run loop: the harts take turns, each running a
slice of instructions, and before each slice the loop delivers the interrupt wires to the
hart (CLINT timer and software interrupts, the PLIC's M- and S-context outputs, and Sstc's
STIP, which is pending while time >= stimecmp). When every hart waits in wfi, the loop lets
time pass until the next timer deadline.

Two clocks. HostClock follows the host's monotonic clock, as QEMU does by default.
InstructionClock is QEMU's `-icount shift=N,sleep=off`: every instruction retired (by any
hart) is 2^N ns of guest time, so a run is the same on every host and every engine; a hart
in wfi makes time jump to the next deadline instead of waiting for it.
"""

import mmap
import time

from downstairs.errors import UsageError
from downstairs.devices.bus import Bus
from downstairs.devices.memory import GuestMemoryError
from downstairs.machine.core.consts import (
    MENVCFG_STCE, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_STIP,
)
from downstairs.machine.dma import RamMemory
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


class InstructionClock:
    """mtime from the instruction count: 2^shift ns per instruction, 100 ns per tick. The
    count includes the instructions the running hart has retired in its current slice."""

    def __init__(self, machine: "Machine", shift: int):
        self.machine = machine
        self.shift = shift
        self.offset = 0

    def mtime(self) -> int:
        return ((self.machine.executed() << self.shift) // 100) + self.offset

    def set_mtime(self, value: int) -> None:
        self.offset += value - self.mtime()

    def skip_to(self, deadline: int) -> None:
        """A sleeping board jumps ahead: nothing happens until the deadline anyway."""
        now = self.mtime()
        if deadline > now:
            self.offset += deadline - now


NO_DEADLINE = (1 << 64) - 1


class Machine:
    def __init__(self, engine, ram_size: int, harts: int = 1, time_csr: bool = True,
                 icount: int | None = None):
        """`time_csr`: whether reading the `time` CSR works (QEMU's spike, like Spike itself,
        leaves it to firmware to emulate). `icount`: None for host time, or the shift N of
        QEMU's -icount (time follows the instruction count)."""
        self.engine = engine
        self.ram_size = ram_size
        # Anonymous memory: the host kernel hands out zeroed pages only when the guest first
        # touches them, so a large -m costs nothing up front. 8 spare bytes: see core/state.py.
        self.ram = mmap.mmap(-1, ram_size + 8)
        self.bus = Bus()
        self.clock = HostClock() if icount is None else InstructionClock(self, icount)
        self.current = None                      # the hart running a slice, and its instret
        self.slice_start = 0
        timer = self.clock if time_csr else None
        self.harts = [engine.Hart(i, self.ram, RAM_BASE, ram_size, self.bus, timer)
                      for i in range(harts)]
        self.memory = RamMemory(self.ram, RAM_BASE, ram_size, self.harts)   # as devices see it
        self.images: list[Image] = []
        self.blobs: list[tuple[int, bytes]] = []   # other bytes the board puts in RAM (the DTB)
        self.resettable: list = []                # devices with a reset() for a warm reset
        self.closers: list = []                   # devices with a close() for the end (disks)
        self.clint = None
        self.plic = None
        self.plic_driven = [False] * harts       # whether the PLIC is what set each hart's SEIP
        self.tickers = []                         # devices with an update() to call now and then
        self.observer = None                      # called after each slice (the stage tracer)
        self.slice = SLICE                        # a slice's length (1: the observer sees every instruction)
        self.exit_status: int | None = None
        self.reset_requested = False
        self.no_reboot = False                    # -no-reboot: a reset request ends the run
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
        """A write from outside the harts (a loader, a device, a debugger). Like QEMU, the
        harts then see the new bytes even where they had already decoded instructions."""
        try:
            self.memory.write(paddr, data)
        except GuestMemoryError:
            pass                                  # outside RAM: nothing there to write

    def symbols(self) -> dict[int, str]:
        merged: dict[int, str] = {}
        for image in self.images:
            merged.update(image.symbols)
        return merged

    def symbol_sizes(self) -> dict[int, int]:
        merged: dict[int, int] = {}
        for image in self.images:
            merged.update(image.sizes)
        return merged

    # ---- power --------------------------------------------------------------------------

    def close(self) -> None:
        """The process is ending (power off, Ctrl-C, SIGTERM): devices let go of host files;
        a disk flushes what the guest wrote to the medium first."""
        closers, self.closers = self.closers, []
        for device in closers:
            device.close()

    def power_off(self, status: int) -> None:
        self.exit_status = status

    def request_reset(self) -> None:
        if self.no_reboot:
            self.power_off(0)
        else:
            self.reset_requested = True

    def reset(self) -> None:
        """A warm reset: RAM gets its images and device tree back, the interrupt
        controllers their reset state, and every hart restarts at the ROM."""
        self.reset_requested = False
        self.ram.madvise(mmap.MADV_DONTNEED)      # private anonymous pages read as zero again
        for image in self.images:
            self.copy_in(image)
        for addr, blob in self.blobs:
            self.write_memory(addr, blob)
        for device in self.resettable:
            device.reset()
        self.plic_driven = [False] * len(self.harts)
        for hart in self.harts:
            hart.reset(self.reset_pc)

    # ---- running ------------------------------------------------------------------------

    def executed(self) -> int:
        """Instructions retired by all harts so far, counting the current slice."""
        if self.current is None:
            return self.instructions
        return self.instructions + self.current.instret - self.slice_start

    def deliver_interrupts(self, index: int, hart) -> None:
        if self.clint is not None:
            hart.set_pending(MIP_MTIP, self.clint.timer_pending(index))
            hart.set_pending(MIP_MSIP, self.clint.software_pending(index))
        if self.plic is not None and (self.plic.pending or self.plic_driven[index]
                                      or hart.mip & MIP_MEIP):
            hart.set_pending(MIP_MEIP, self.plic.asserted(2 * index))
            # mip.SEIP is also writable by M-mode software: the PLIC only clears what it set.
            seip = self.plic.asserted(2 * index + 1)
            if seip or self.plic_driven[index]:
                hart.set_pending(MIP_SEIP, seip)
            self.plic_driven[index] = seip
        if hart.menvcfg & MENVCFG_STCE and self.harts[0].timer is not None:
            hart.set_pending(MIP_STIP, self.clock.mtime() >= hart.stimecmp)

    def run(self, limit: int | None = None) -> int:
        """Run until the guest powers off (returns its exit status) or, with `limit`, until
        about that many instructions retired (returns -1)."""
        run = self.engine.run
        last_poll = time.monotonic()
        while self.exit_status is None:
            busy = False
            for index, hart in enumerate(self.harts):
                self.deliver_interrupts(index, hart)
                self.current, self.slice_start = hart, hart.instret
                retired = run(hart, self.slice)
                self.current = None
                self.instructions += retired
                if self.observer is not None:
                    self.observer(index, hart, retired)
                busy = busy or not hart.waiting
                if self.exit_status is not None or self.reset_requested:
                    break
            if self.reset_requested:
                self.reset()
            now = time.monotonic()
            if now - last_poll > 0.01:
                self.poll()
                for device in self.tickers:
                    device.update()
                last_poll = now
            if not busy and self.exit_status is None:
                self.sleep()
            if limit is not None and self.instructions >= limit:
                return -1
        return self.exit_status

    def next_deadline(self) -> int:
        """The earliest timer deadline an enabled interrupt waits for (mtimecmp of a hart
        with mie.MTIE, stimecmp of a hart with Sstc on and mie.STIE)."""
        deadline = NO_DEADLINE
        for index, hart in enumerate(self.harts):
            if self.clint is not None and hart.mie & MIP_MTIP:
                deadline = min(deadline, self.clint.mtimecmp[index])
            if hart.menvcfg & MENVCFG_STCE and hart.mie & MIP_STIP:
                deadline = min(deadline, hart.stimecmp)
        return deadline

    def sleep(self) -> None:
        """Every hart waits for an interrupt. With host time: sleep up to the next timer
        deadline (or 10 ms, to keep reading the console). With instruction time: jump to
        the deadline at once (nothing could happen before it but typed input)."""
        deadline = self.next_deadline()
        if isinstance(self.clock, InstructionClock) and deadline != NO_DEADLINE:
            self.clock.skip_to(deadline)
            self.poll()
            return
        seconds = 0.01
        if deadline != NO_DEADLINE:
            ticks = deadline - self.clock.mtime()
            seconds = min(seconds, max(ticks, 0) / TIMEBASE_HZ)
        if seconds > 0:
            time.sleep(seconds)
        self.poll()
        for device in self.tickers:
            device.update()
