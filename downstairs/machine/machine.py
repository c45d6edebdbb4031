"""A machine: RAM, a bus of devices, harts, and the loop that runs them.

What every board has in common. A board file (virt.py, spike.py) decides the memory map and
which devices sit on the bus, through the methods below; this file owns RAM (wherever the
board puts it), the harts, the clock behind `mtime` and the `time` CSR (clock.py), and the
run loop: the harts take turns, each running a slice of instructions, and before each slice
the loop delivers the interrupt wires to the hart (CLINT timer and software interrupts, the
PLIC's M- and S-context outputs, and Sstc's STIP, which is pending while time >= stimecmp).
When every hart waits in wfi, the loop lets time pass until the next timer deadline.

Every field is declared in __init__ and changed only by the machine's own methods: a board
attaches devices (`attach`, `use_interrupt_controllers`, `use_console`), the loader puts
images in RAM (`load`, `install`), a tracer watches (`observe`).
"""

import time

from downstairs.errors import UsageError
from downstairs.host import guest_memory
from downstairs.devices.bus import Bus
from downstairs.devices.memory import GuestMemoryError
from downstairs.machine.clock import NO_DEADLINE, TIMEBASE_HZ, HostClock, InstructionClock
from downstairs.machine.core.consts import (
    MENVCFG_STCE, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_STIP,
)
from downstairs.machine.dma import RamMemory
from downstairs.machine.loader import Image

# Instructions a hart runs before the loop looks around (interrupt wires, the console, the
# other harts). Each look costs a few microseconds of Python; at 2^16 a timer interrupt waits
# at most about 0.3 ms of host time (compiled engine) and a tiny Linux boot takes ~720 slices.
# (2^14 took 6% longer to boot: `bench --linux`, tiny 0.282 s against 0.272 s, -smp 4 too.)
SLICE = 1 << 16
PAUSED = -2                       # what run() returns when it stopped for a debugger


def discard(data: bytes) -> None:
    """The console output of a machine nobody watches (tests, benchmarks)."""


def no_input() -> None:
    """The host-input check of a machine with no terminal."""


class Machine:
    def __init__(self, engine, ram_base: int, ram_size: int, harts: int = 1,
                 time_csr: bool = True, icount: int | None = None, no_reboot: bool = False,
                 output=discard, poll=no_input, reset_pc: int | None = None):
        """`engine`: the core that runs the harts (engine.py). `time_csr`: whether reading the
        `time` CSR works (QEMU's spike, like Spike itself, leaves it to firmware to emulate).
        `icount`: None for host time, or the shift N of QEMU's -icount. `no_reboot`: a reset
        request powers off (-no-reboot). `output` takes the console's bytes; `poll` is
        called every few ms to hand typed input to the console device. `reset_pc`: where
        the harts start, and restart after a reset (the board's ROM; by default where a
        new Hart starts)."""
        self.engine = engine
        self.ram_base = ram_base
        self.ram_size = ram_size
        # Anonymous memory: the host kernel hands out zeroed pages only when the guest first
        # touches them, so a large -m costs nothing up front. 8 spare bytes: see core/state.py.
        self.ram = guest_memory(ram_size + 8, "-m")
        self.bus = Bus()
        self.clock = HostClock() if icount is None else InstructionClock(self.executed, icount)
        self.current = None                      # the hart running a slice, and its instret
        self.slice_start = 0                     # ... when the slice began
        timer = self.clock if time_csr else None
        self.harts = [engine.Hart(i, self.ram, ram_base, ram_size, self.bus, timer)
                      for i in range(harts)]
        self.memory = RamMemory(self.ram, ram_base, ram_size, self.harts)   # as devices see it
        self.images: list[Image] = []            # what `load` put in RAM, in order
        self.firmware: Image | None = None       # the -bios image, if any
        self.kernel: Image | None = None         # the -kernel image, if any
        self.blobs: list[tuple[int, bytes]] = []  # other bytes the board put in RAM (the DTB)
        self.resettable: list = []               # devices with a reset() for a warm reset
        self.closers: list = []                  # devices with a close() for the end (disks)
        self.tickers: list = []                  # devices with an update() to call now and then
        self.clint = None                        # the CLINT (mtimecmp, msip), if the board has one
        self.plic = None                         # the PLIC, if the board has one
        self.plic_driven = [False] * harts       # whether the PLIC is what set each hart's SEIP
        self.console = None                      # the device typed bytes go to (UART, HTIF)
        self.output = output
        self.poll = poll
        self.observer = None                     # a tracer told of every slice and console output
        self.slice = SLICE                       # a slice's length (1: the observer sees every instruction)
        self.exit_status: int | None = None      # set when the guest powers off
        self.paused = False                      # a debugger stopped the run, or a hart halted for it
        self.turn = 0                            # whose slice is next when run() (re)starts
        self.only: int | None = None             # the one hart a debugger lets run, until a pause
        self.reset_requested = False
        self.no_reboot = no_reboot
        self.reset_pc = self.harts[0].pc if reset_pc is None else reset_pc
        for hart in self.harts:
            hart.reset(self.reset_pc)
        self.instructions = 0                    # retired by all harts, up to the last slice

    # ---- building: what the board calls ------------------------------------------------

    def attach(self, base: int, device, size: int | None = None, *, quiet: bool = False,
               executable: bool = False, resets: bool = False, closes: bool = False,
               ticks: bool = False) -> None:
        """Map `device` on the bus at `base` (bus.py for size, quiet, executable) and note
        what else the machine must do with it: reset() on a warm reset, close() at the
        end, update() every few ms."""
        self.bus.map(base, device, size, quiet=quiet, executable=executable)
        if resets:
            self.resettable.append(device)
        if closes:
            self.closers.append(device)
        if ticks:
            self.tickers.append(device)

    def use_interrupt_controllers(self, clint, plic=None) -> None:
        """The devices whose outputs the run loop wires to each hart's mip before a slice."""
        self.clint = clint
        self.plic = plic

    def use_console(self, device) -> None:
        """The device whose `receive(bytes)` gets what is typed on the host console."""
        self.console = device

    def console_output(self, data: bytes) -> None:
        """Console devices write here: the bytes go to the host, then to the observer."""
        self.output(data)
        if self.observer is not None:
            self.observer.console_output(data)

    def observe(self, observer) -> None:
        """A tracer with `after_slice(index, hart, retired)` and `console_output(data)`."""
        self.observer = observer

    # ---- loading ------------------------------------------------------------------------

    def load(self, image: Image, what: str) -> None:
        """Copy an image into RAM as the `what` ("firmware" or "kernel"); anything outside
        RAM or overlapping an earlier image is a user error, reported before the machine
        starts."""
        ram_end = self.ram_base + self.ram_size
        for addr, data, size in image.segments:
            if addr < self.ram_base or addr + size > ram_end:
                hint = " (try a larger -m)" if addr >= self.ram_base else ""   # (below RAM: none helps)
                raise UsageError(
                    f"{image.path}: the {what} needs {addr:#x}-{addr + size:#x}, outside RAM "
                    f"{self.ram_base:#x}-{ram_end:#x}{hint}")
            for other in self.images:
                for o_addr, _, o_size in other.segments:
                    if addr < o_addr + o_size and o_addr < addr + size:
                        raise UsageError(f"{image.path}: the {what} overlaps {other.path} "
                                         f"at {max(addr, o_addr):#x}")
        self.images.append(image)
        if what == "firmware":
            self.firmware = image
        elif what == "kernel":
            self.kernel = image
        self.copy_in(image)

    def copy_in(self, image: Image) -> None:
        """Write an image's segments into RAM, zero-filling each up to its memory size."""
        for addr, data, size in image.segments:
            self.write_memory(addr, data + bytes(size - len(data)))

    def install(self, addr: int, blob: bytes) -> None:
        """Bytes the board puts in RAM besides the images (the device tree), again after
        every warm reset."""
        self.write_memory(addr, blob)
        self.blobs.append((addr, blob))

    def read_memory(self, paddr: int, length: int) -> bytes:
        """`length` bytes of RAM at paddr, read from outside the harts; GuestMemoryError
        (devices/memory.py) unless all of them are RAM."""
        return self.memory.read(paddr, length)

    def write_memory(self, paddr: int, data: bytes) -> None:
        """A write from outside the harts (a loader, a device, a debugger). Like QEMU, the
        harts then see the new bytes even where they had already decoded instructions.
        Bytes outside RAM have nowhere to go: GuestMemoryError."""
        self.memory.write(paddr, data)

    def symbols(self) -> dict[int, str]:
        """Every loaded image's symbols by address (for traces)."""
        merged: dict[int, str] = {}
        for image in self.images:
            merged.update(image.symbols)
        return merged

    def symbol_sizes(self) -> dict[int, int]:
        """Every loaded image's symbol sizes by address, where the ELF gives them."""
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
        """The guest (or a signal) ends the run: `run` returns `status` after this slice."""
        self.exit_status = status

    def request_reset(self) -> None:
        """The guest asks for a reset (sifive_test): done after this slice, or a power-off
        with status 0 under -no-reboot."""
        if self.no_reboot:
            self.power_off(0)
        else:
            self.reset_requested = True

    def reset(self) -> None:
        """A warm reset: RAM gets its images and device tree back (the rest of RAM keeps
        what the guest wrote, as on QEMU), the interrupt controllers their reset state, and
        every hart restarts at the ROM."""
        self.reset_requested = False
        for image in self.images:
            self.copy_in(image)
        for addr, blob in self.blobs:
            self.write_memory(addr, blob)
        for device in self.resettable:
            device.reset()
        self.plic_driven = [False] * len(self.harts)
        for hart in self.harts:
            hart.reset(self.reset_pc)
            self.engine.trigger.update(hart)     # the debugger's breakpoints outlive a reset

    # ---- running ------------------------------------------------------------------------

    def executed(self) -> int:
        """Instructions retired by all harts so far, counting the current slice."""
        if self.current is None:
            return self.instructions
        return self.instructions + self.current.instret - self.slice_start

    def deliver_interrupts(self, index: int, hart) -> None:
        """Before hart `index` runs a slice: its mip bits follow the interrupt wires (the
        CLINT's MTIP and MSIP, the PLIC's contexts 2*index (M) and 2*index+1 (S), and Sstc's
        STIP, pending while time >= stimecmp)."""
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

    def pause(self) -> None:
        """A debugger's stop request (gdb's Ctrl-C): run() returns PAUSED after this slice."""
        self.paused = True

    def resume(self, only: int | None = None) -> None:
        """The debugger lets the machine go on: no pause, no hart halted; every hart runs, or
        until the next pause only hart `only` (gdb continuing one thread)."""
        self.paused = False
        self.only = only
        for hart in self.harts:
            hart.halt = 0

    def step(self, index: int) -> int:
        """The debugger's single step: hart `index` runs one instruction (or takes the
        exception it raises), taking no interrupt, as QEMU's gdb stub steps. Returns how many
        retired (0 or 1)."""
        hart = self.harts[index]
        self.deliver_interrupts(index, hart)
        self.current, self.slice_start = hart, hart.instret
        hart.hold_interrupts = 1
        retired = self.engine.run(hart, 1)
        hart.hold_interrupts = 0
        self.current = None
        self.instructions += retired
        return retired

    def run(self, limit: int | None = None) -> int:
        """Run until the guest powers off (returns its exit status), with `limit` until about
        that many instructions retired (returns -1), or until a debugger pauses the machine
        or a hart halts for it at a breakpoint or trigger (returns PAUSED)."""
        run = self.engine.run
        last_poll = time.monotonic()
        first, self.turn = self.turn, 0
        while self.exit_status is None and not self.paused:
            busy = first > 0                     # a partial round cannot tell all harts sleep
            for index in range(first, len(self.harts)):     # after a pause: the next hart's turn
                if self.only is not None and index != self.only:
                    continue
                hart = self.harts[index]
                self.deliver_interrupts(index, hart)
                self.current, self.slice_start = hart, hart.instret
                retired = run(hart, self.slice)
                self.current = None
                self.instructions += retired
                if self.observer is not None:
                    self.observer.after_slice(index, hart, retired)
                busy = busy or not hart.waiting
                if hart.halt:
                    self.paused = True
                if self.paused:
                    self.turn = (index + 1) % len(self.harts)
                if self.exit_status is not None or self.reset_requested or self.paused:
                    break
            first = 0
            if self.reset_requested:
                self.reset()
            now = time.monotonic()
            if now - last_poll > 0.01:
                self.poll()
                for device in self.tickers:
                    device.update()
                last_poll = now
            if not busy and self.exit_status is None and not self.paused:
                self.sleep()
            if limit is not None and self.instructions >= limit:
                return -1
        if self.exit_status is None:
            return PAUSED
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
