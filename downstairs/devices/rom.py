"""Read-only memory: a board's mask ROM (QEMU's "mrom" holding the reset vector).

Loads read the bytes; stores are ignored, as a ROM ignores them.
"""


class Rom:
    def __init__(self, data: bytes, size: int | None = None):
        """`data` padded with zeros to `size` bytes."""
        self.size = size if size is not None else len(data)
        self.data = bytes(data).ljust(self.size, b"\0")

    def read(self, offset: int, size: int) -> int:
        """The little-endian value of `size` ROM bytes at `offset`."""
        return int.from_bytes(self.data[offset:offset + size], "little")

    def write(self, offset: int, size: int, value: int) -> None:
        """A ROM ignores stores."""
        pass
