"""The physical address map: which device answers which physical address.

A board maps each device's register window at a base address. The hart reaches RAM
directly (core/physmem.py); every other physical access arrives here and goes to the device
whose window holds it, at an offset relative to the window. An address no device holds
answers None / False, which the hart turns into an access fault (privileged spec 3.6.1:
"accesses to ... vacant regions raise access-fault exceptions").
"""


class Bus:
    def __init__(self):
        self.windows: list[tuple[int, int, object]] = []     # (base, end, device)

    def map(self, base: int, device, size: int | None = None) -> None:
        size = device.size if size is None else size
        for start, end, other in self.windows:
            if base < end and start < base + size:
                raise ValueError(f"{type(device).__name__} at {base:#x} overlaps {type(other).__name__}")
        self.windows.append((base, base + size, device))
        self.windows.sort(key=lambda w: w[0])

    def unmap(self, device) -> None:
        self.windows = [w for w in self.windows if w[2] is not device]

    def find(self, paddr: int, size: int):
        for start, end, device in self.windows:
            if start <= paddr and paddr + size <= end:
                return start, device
        return None, None

    def read(self, paddr: int, size: int):
        base, device = self.find(paddr, size)
        if device is None:
            return None
        return device.read(paddr - base, size) & ((1 << (8 * size)) - 1)

    def write(self, paddr: int, size: int, value: int) -> bool:
        base, device = self.find(paddr, size)
        if device is None:
            return False
        device.write(paddr - base, size, value & ((1 << (8 * size)) - 1))
        return True
