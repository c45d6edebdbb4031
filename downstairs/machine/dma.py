"""The machine's RAM as a DMA-capable device sees it (the interface of devices/memory.py).

A virtio device reads its rings and buffers and writes data into guest RAM without a hart.
Reads are plain copies. A write must also keep every hart's decoded-instruction cache honest:
QEMU's harts see bytes a device stored even where code had been decoded there, so after each
write the harts forget the decoded instructions that overlap the written range, and only
those (`Hart.flush_decoded_range`): a disk read of 64 KiB must not cost every hart its whole
cache. An address range that is not entirely RAM raises GuestMemoryError, which the device
model turns into its error status.
"""

from downstairs.devices.memory import GuestMemoryError


class RamMemory:
    def __init__(self, ram, base: int, size: int, harts):
        self.ram = ram                  # the machine's RAM buffer (it may have spare bytes past `size`)
        self.base = base                # guest-physical address of ram[0]
        self.size = size
        self.harts = harts

    def _offset(self, gpa: int, n: int) -> int:
        offset = gpa - self.base
        if n < 0 or offset < 0 or offset + n > self.size:
            raise GuestMemoryError(f"guest address range {gpa:#x}+{n:#x} is outside RAM "
                                   f"({self.base:#x}..{self.base + self.size:#x})")
        return offset

    def read(self, gpa: int, n: int) -> bytes:
        offset = self._offset(gpa, n)
        return bytes(self.ram[offset:offset + n])

    def write(self, gpa: int, data: bytes) -> None:
        offset = self._offset(gpa, len(data))
        self.ram[offset:offset + len(data)] = data
        for hart in self.harts:
            hart.flush_decoded_range(offset, offset + len(data))
