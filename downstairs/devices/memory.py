"""Guest memory as devices see it: the one interface a DMA-capable device model uses.

A device that reads or writes guest RAM (virtio, in `devices/virtio/`) is given an object
with two methods:

    read(gpa, n) -> bytes        n bytes of guest RAM at guest-physical address gpa
    write(gpa, data)             store data at gpa

Both raise `GuestMemoryError` when any byte of the range is not RAM. The device turns that
into its own error status (a virtio "device needs reset", a failed request); it never lets
the error reach the host's main loop. `BufferMemory` implements the interface over any
writable buffer: a `bytearray` in unit tests, the KVM hypervisor's `mmap` of guest RAM, or
the RISC-V machine's RAM array.
"""


class GuestMemoryError(Exception):
    """A guest-supplied address range that is not backed by RAM."""


class BufferMemory:
    def __init__(self, buffer, base: int = 0, size: int | None = None):
        """`buffer[0]` is guest-physical `base`; `size` bytes of it are RAM (default: all of it)."""
        self.buffer = buffer            # bytearray, mmap or memoryview: anything sliceable
        self.base = base                # guest-physical address of buffer[0]
        self.size = len(buffer) if size is None else size   # RAM may end before the buffer

    def _offset(self, gpa: int, n: int) -> int:
        """The buffer offset of [gpa, gpa + n), or GuestMemoryError unless all of it is RAM."""
        offset = gpa - self.base
        if n < 0 or offset < 0 or offset + n > self.size:
            raise GuestMemoryError(f"guest address range {gpa:#x}+{n:#x} is outside RAM "
                                   f"({self.base:#x}..{self.base + self.size:#x})")
        return offset

    def read(self, gpa: int, n: int) -> bytes:
        """n bytes of guest RAM at gpa (GuestMemoryError outside RAM)."""
        offset = self._offset(gpa, n)
        return bytes(self.buffer[offset:offset + n])

    def write(self, gpa: int, data: bytes) -> None:
        """Store data at gpa (GuestMemoryError outside RAM)."""
        offset = self._offset(gpa, len(data))
        self.buffer[offset:offset + len(data)] = data
