"""An address map: which device answers which address, for the machine and the hypervisor.

A board maps each device's register window at a base address; an access arrives with an
absolute address and goes to the device whose window holds all of it, at an offset relative
to the window, in the shape every model in this package has (`read(offset, size)`,
`write(offset, size, value)`). The RISC-V machine routes here every physical access that is
not RAM; the hypervisor routes the port-I/O and MMIO exits KVM hands it (a 16550 written for
an MMIO window answers port 0x3f8 the same way).

Two things are the platform's. Whether a device must hold the whole access: on RISC-V an
access must fall inside one region, while a PC's port decoders look only at the first port
(`partial=True`). And what an access nobody claims does: on RISC-V a vacant region raises an
access fault (privileged spec 3.6.1), so `unclaimed=None` makes `read` return None and `write`
return False for the hart to turn into that fault; on a PC an empty bus reads as all ones and
ignores writes, so the hypervisor passes the value to read back.

`attention` tells a CPU that an access may have changed what it must see before its next
instruction: an interrupt line, the power. Any access to a device mapped normally sets it. A
device mapped `quiet=True` (a UART polled byte by byte, a virtio transport) sets it only by
raising or lowering its interrupt line, through a `noticed` line: polling it costs the CPU
nothing but the access. Whoever consumes the flag clears it.
"""


class Bus:
    def __init__(self, name: str = "bus", unclaimed: int | None = None, partial: bool = False):
        self.name = name
        self.unclaimed = unclaimed
        self.partial = partial
        self.windows: list[tuple[int, int, object]] = []     # (base, end, device), by base
        self.unknown: dict[int, int] = {}                     # unclaimed address -> count (debugging)
        self.quiet: set[int] = set()                          # ids of the devices mapped quiet
        self.attention = False

    def map(self, base: int, device, size: int | None = None, quiet: bool = False) -> None:
        size = device.size if size is None else size
        if quiet:
            self.quiet.add(id(device))
        for start, end, other in self.windows:
            if base < end and start < base + size:
                raise ValueError(f"{self.name}: {type(device).__name__} at {base:#x} overlaps "
                                 f"{type(other).__name__} at {start:#x}")
        self.windows.append((base, base + size, device))
        self.windows.sort(key=lambda w: w[0])

    def unmap(self, device) -> None:
        self.windows = [w for w in self.windows if w[2] is not device]
        self.quiet.discard(id(device))

    def noticed(self, line):
        """An interrupt line (a function of the level) that also raises `attention`."""
        def set_level(level: bool) -> None:
            self.attention = True
            line(level)
        return set_level

    def find(self, address: int, size: int):
        """(window base, device) for an access of `size` bytes, or (None, None)."""
        last = address if self.partial else address + size - 1
        for start, end, device in self.windows:
            if start <= address and last < end:
                return start, device
        return None, None

    def read(self, address: int, size: int):
        base, device = self.find(address, size)
        mask = (1 << (8 * size)) - 1
        if device is None:
            self.unknown[address] = self.unknown.get(address, 0) + 1
            return None if self.unclaimed is None else self.unclaimed & mask
        if id(device) not in self.quiet:
            self.attention = True
        return device.read(address - base, size) & mask

    def write(self, address: int, size: int, value: int) -> bool:
        base, device = self.find(address, size)
        if device is None:
            self.unknown[address] = self.unknown.get(address, 0) + 1
            return False
        if id(device) not in self.quiet:
            self.attention = True
        device.write(address - base, size, value & ((1 << (8 * size)) - 1))
        return True
