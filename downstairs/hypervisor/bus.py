"""Address decoding for exits: which device owns an I/O port or an MMIO address.

KVM hands the VMM every guest access it cannot complete itself (`KVM_EXIT_IO`,
`KVM_EXIT_MMIO`). A bus maps the address to a device and an offset inside it, and calls the
device with the shape every model in `downstairs.devices` has: `read(offset, size)` and
`write(offset, size, value)`. That is also the port-I/O adapter: the 16550 model written for
the RISC-V board's MMIO window is registered here at port 0x3f8 and sees offsets 0..7, as on
a PC.

Accesses nobody claims behave as on a PC's empty bus: reads return all ones, writes vanish.
"""


class Bus:
    def __init__(self, name: str, unclaimed: int):
        self.name = name
        self.unclaimed = unclaimed     # value of a read nobody answers (before masking to size)
        self.ranges: list[tuple[int, int, object]] = []
        self.unknown: dict[int, int] = {}     # address -> count of unclaimed accesses (debugging)

    def add(self, base: int, device, size: int | None = None) -> None:
        size = device.size if size is None else size
        for start, end, _ in self.ranges:
            if base < end and start < base + size:
                raise ValueError(f"{self.name} range {base:#x}+{size:#x} overlaps {start:#x}..{end:#x}")
        self.ranges.append((base, base + size, device))

    def _find(self, address: int):
        for start, end, device in self.ranges:
            if start <= address < end:
                return device, address - start
        self.unknown[address] = self.unknown.get(address, 0) + 1
        return None, 0

    def read(self, address: int, size: int) -> int:
        device, offset = self._find(address)
        if device is None:
            return self.unclaimed & ((1 << (8 * size)) - 1)
        return device.read(offset, size)

    def write(self, address: int, size: int, value: int) -> None:
        device, offset = self._find(address)
        if device is not None:
            device.write(offset, size, value)
