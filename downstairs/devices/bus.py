"""An address map: which device answers which address, for the machine and the hypervisor.

A board maps each device's register window at a base address; an access arrives with an
absolute address and goes to the device whose window holds all of it, at an offset relative
to the window, in the shape every model in this package has (`read(offset, size)`,
`write(offset, size, value)`). The RISC-V machine routes here every physical access that is
not RAM; the hypervisor routes the port-I/O and MMIO exits KVM hands it (a 16550 written for
an MMIO window answers port 0x3f8 the same way).

Three things are the platform's. Whether a device must hold the whole access: on RISC-V an
access must fall inside one region, while a PC's port decoders look only at the first port
(`partial=True`). What an access nobody claims does: on RISC-V a vacant region raises an
access fault (privileged spec 3.6.1), so `unclaimed=None` makes `read` return None and `write`
return False for the hart to turn into that fault; on a PC an empty bus reads as all ones and
ignores writes, so the hypervisor passes the value to read back. And where instructions may
be fetched from: only windows mapped `executable=True` (a ROM; the physical memory
attributes of 3.6: I/O regions are not executable, and QEMU raises an instruction access
fault on a fetch from a device), through `fetch`.

`attention` tells a CPU that an access may have changed what it must see before its next
instruction: an interrupt line, the power. Any access to a device mapped normally sets it. A
device mapped `quiet=True` (a UART polled byte by byte, a virtio transport) sets it only by
raising or lowering its interrupt line, through a `noticed` line: polling it costs the CPU
nothing but the access. Whoever consumes the flag clears it.

Accesses nobody claims are counted for debugging, but only the first KEPT distinct addresses
are remembered: a guest scanning the holes of its address space must not grow the host.
"""

KEPT = 64                         # distinct unclaimed addresses remembered (and their counts)


class Window:
    """One mapped device: [base, end), and how the bus treats accesses to it."""

    def __init__(self, base: int, end: int, device, quiet: bool, executable: bool):
        """A device mapped at [base, end)."""
        self.base = base
        self.end = end
        self.device = device
        self.quiet = quiet               # only its interrupt line raises `attention`
        self.executable = executable     # instructions may be fetched from it (a ROM)


class Bus:
    def __init__(self, name: str = "bus", unclaimed: int | None = None, partial: bool = False):
        """`unclaimed`: what a read nobody claims returns (None: a fault for the CPU);
        `partial`: a device needs to hold only the first byte of an access (PC ports)."""
        self.name = name
        self.unclaimed = unclaimed
        self.partial = partial
        self.windows: list[Window] = []                      # by base
        self.last: Window | None = None                      # the one `find` found last
        self.unknown: dict[int, int] = {}                    # unclaimed address -> count (first KEPT)
        self.unknown_total = 0                               # every unclaimed access
        self.attention = False
        self.observer = None                                 # a tracer told of every access

    def observe(self, observer) -> None:
        """A tracer whose `device_access(window, kind, address, size, value)` hears of every
        read ("r") and write ("w") a device answers (instruction fetches are not told)."""
        self.observer = observer

    def map(self, base: int, device, size: int | None = None, quiet: bool = False,
            executable: bool = False) -> None:
        """Put `device` at [base, base + size) (its own `size` by default); a window that
        overlaps one already mapped is a ValueError (a board's mistake, not the guest's)."""
        size = device.size if size is None else size
        for other in self.windows:
            if base < other.end and other.base < base + size:
                raise ValueError(f"{self.name}: {type(device).__name__} at {base:#x} overlaps "
                                 f"{type(other.device).__name__} at {other.base:#x}")
        self.windows.append(Window(base, base + size, device, quiet, executable))
        self.windows.sort(key=lambda w: w.base)

    def unmap(self, device) -> None:
        """Take `device`'s windows off the bus (the stage tracer moves its watch this way)."""
        self.windows = [w for w in self.windows if w.device is not device]
        self.last = None

    def noticed(self, line):
        """An interrupt line (a function of the level) that also raises `attention`."""
        def set_level(level: bool) -> None:
            """Drive the line to `level` and ask the CPU to look before its next instruction."""
            self.attention = True
            line(level)
        return set_level

    def find(self, address: int, size: int) -> Window | None:
        """The window that takes an access of `size` bytes at `address`, or None. The one
        found last is tried first: a driver talks to one device many times in a row (a
        console's status and data registers, byte after byte)."""
        last = address if self.partial else address + size - 1
        window = self.last
        if window is not None and window.base <= address and last < window.end:
            return window
        for window in self.windows:
            if window.base <= address and last < window.end:
                self.last = window
                return window
        return None

    def claims(self, address: int, size: int) -> bool:
        """Whether some device would take this access (a CPU checks before it writes a
        store that it must split, so that a fault leaves every byte untouched)."""
        return self.find(address, size) is not None

    def read(self, address: int, size: int):
        """The device's answer, or `unclaimed` (None on RISC-V) when no device holds it."""
        window = self.find(address, size)
        mask = (1 << (8 * size)) - 1
        if window is None:
            self.note_unclaimed(address)
            return None if self.unclaimed is None else self.unclaimed & mask
        if not window.quiet:
            self.attention = True
        value = window.device.read(address - window.base, size) & mask
        if self.observer is not None:
            self.observer.device_access(window, "r", address, size, value)
        return value

    def fetch(self, address: int, size: int) -> int | None:
        """An instruction fetch: like `read`, but None unless the window is executable."""
        window = self.find(address, size)
        if window is None or not window.executable:
            return None
        if not window.quiet:
            self.attention = True
        return window.device.read(address - window.base, size) & ((1 << (8 * size)) - 1)

    def write(self, address: int, size: int, value: int) -> bool:
        """Hand a store to its device; False when no device holds it."""
        window = self.find(address, size)
        if window is None:
            self.note_unclaimed(address)
            return False
        if not window.quiet:
            self.attention = True
        window.device.write(address - window.base, size, value & ((1 << (8 * size)) - 1))
        if self.observer is not None:
            self.observer.device_access(window, "w", address, size, value)
        return True

    def note_unclaimed(self, address: int) -> None:
        """Count an access nobody claims; remember its address if there is still room."""
        self.unknown_total += 1
        if address in self.unknown or len(self.unknown) < KEPT:
            self.unknown[address] = self.unknown.get(address, 0) + 1
