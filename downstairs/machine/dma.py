"""The machine's RAM as a DMA-capable device sees it (the interface of devices/memory.py).

A virtio device reads its rings and buffers and writes data into guest RAM without a hart.
Reads are plain copies. A write must also keep every hart's decoded-instruction cache honest:
QEMU's harts see bytes a device stored even where code had been decoded there, so after each
write the harts forget the decoded instructions that overlap the written range, and only
those (`Hart.flush_decoded_range`): a disk read of 64 KiB must not cost every hart its whole
cache. An address range that is not entirely RAM raises GuestMemoryError, which the device
model turns into its error status.
"""

from downstairs.devices.memory import BufferMemory


class RamMemory(BufferMemory):
    def __init__(self, ram, base: int, size: int, harts):
        """RAM as devices see it: `ram` holds guest-physical [base, base + size); `harts` are
        the harts whose decoded instructions DMA writes must invalidate."""
        super().__init__(ram, base, size)   # the machine's RAM has spare bytes past `size`
        self.harts = harts

    def write(self, gpa: int, data: bytes) -> None:
        """Store `data` at gpa (GuestMemoryError outside RAM), then make every hart forget the
        instructions it decoded from those bytes."""
        super().write(gpa, data)
        offset = gpa - self.base
        for hart in self.harts:
            hart.flush_decoded_range(offset, offset + len(data))
