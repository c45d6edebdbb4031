"""virtio-blk: a disk image file as a block device (read, write, flush, get ID; optionally read-only).

VIRTIO 1.2 section 5.2: device ID 2, one request queue. A request is a chain of
  struct virtio_blk_req { le32 type; le32 reserved; le64 sector; }   (device-readable)
  data buffers                    (readable for OUT, writable for IN and GET_ID)
  u8 status                       (the last device-writable byte)
Sectors are 512 bytes whatever the block size. Every request is checked against the disk's
size before the host file is touched, so a guest can never read or write outside the image.
Writes go to the file with pwrite, so they are in the host's page cache (and in the file
when the process ends, however it ends) as soon as the request completes; FLUSH also syncs
them to the medium, and so does close().

A request the device cannot carry out (outside the disk, a write to a read-only disk, a
data length that is not whole sectors, a host I/O error) completes with VIRTIO_BLK_S_IOERR,
an unknown type with VIRTIO_BLK_S_UNSUPP (5.2.6). A chain that breaks the ring rules, or has
no device-writable byte for the status, is the transport's business: DEVICE_NEEDS_RESET.
"""

import os

from downstairs.devices.memory import GuestMemoryError
from downstairs.host import SECTOR, Disk
from downstairs.devices.virtio.device import VirtioDevice
from downstairs.devices.virtio.queue import VirtqueueError

VIRTIO_BLK_F_SEG_MAX = 1 << 2
VIRTIO_BLK_F_RO = 1 << 5
VIRTIO_BLK_F_BLK_SIZE = 1 << 6
VIRTIO_BLK_F_FLUSH = 1 << 9

VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID = 0, 1, 4, 8
VIRTIO_BLK_S_OK, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_UNSUPP = 0, 1, 2
VIRTIO_BLK_ID_BYTES = 20
MAX_REQUEST = 16 << 20            # refuse absurd transfer sizes instead of allocating them
SEG_MAX = 126


class Block(VirtioDevice):
    device_id = 2
    queue_sizes = (256,)

    def __init__(self, path: str, read_only: bool = False, serial: str | None = None):
        """The image at `path`, checked and locked (host.Disk: a UsageError when it is not
        whole sectors, not writable, or in use). `serial`: the GET_ID answer (at most 20
        bytes); None for the file's name."""
        super().__init__()
        self.fd = Disk(path, read_only).open()
        self.read_only = read_only
        self.capacity = os.fstat(self.fd).st_size // SECTOR     # whole sectors only
        if serial is None:
            serial = os.path.basename(path)
        self.serial = serial.encode()[:VIRTIO_BLK_ID_BYTES]
        self.features = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX | \
            (VIRTIO_BLK_F_RO if read_only else 0)

    def config(self) -> bytes:
        # capacity (le64), size_max (le32), seg_max (le32), geometry (4 bytes), blk_size (le32)
        """The configuration space (5.2.4): capacity in sectors, size_max, seg_max, the geometry
        (unused), blk_size, all little-endian."""
        return (self.capacity.to_bytes(8, "little") + (0).to_bytes(4, "little")
                + SEG_MAX.to_bytes(4, "little") + bytes(4) + SECTOR.to_bytes(4, "little"))

    def close(self) -> None:
        """Sync what the guest wrote to the medium and close the file (once)."""
        if self.fd < 0:
            return
        try:
            if not self.read_only:
                os.fsync(self.fd)
        finally:
            os.close(self.fd)
            self.fd = -1

    def notify(self, index: int) -> None:
        """The driver kicked the request queue: serve every request it made available, then
        interrupt once, even when a malformed chain stops the loop (VirtqueueError, reset)."""
        q = self.queue(0)
        try:
            while (chain := q.pop(self.memory)) is not None:
                written = self.handle(chain)
                q.push(self.memory, chain, written)
        finally:
            # the requests completed before a malformed one still get their interrupt
            self.transport.used(0)

    def handle(self, chain) -> int:
        """Carry out one request; returns the bytes written to the chain's writable buffers."""
        if chain.writable_size() < 1:
            raise VirtqueueError("block request without a status byte")
        header = chain.read(0, 16)
        data_in = chain.writable_size() - 1               # room before the status byte
        try:
            if len(header) < 16:
                status, written = VIRTIO_BLK_S_IOERR, 0
            else:
                kind = int.from_bytes(header[0:4], "little")
                sector = int.from_bytes(header[8:16], "little")
                status, written = self.request(chain, kind, sector, data_in)
        except (GuestMemoryError, OSError):
            status, written = VIRTIO_BLK_S_IOERR, 0
        chain.write(data_in, bytes((status,)))
        return written + 1

    def request(self, chain, kind: int, sector: int, data_in: int) -> tuple[int, int]:
        """Carry out one request of type `kind` at `sector`, with `data_in` bytes of room for data
        before the status byte: (status, bytes written into the chain's data buffers)."""
        data_out = chain.readable_size() - 16
        if kind == VIRTIO_BLK_T_IN:
            if data_out or not self._in_range(sector, data_in):
                return VIRTIO_BLK_S_IOERR, 0
            data = os.pread(self.fd, data_in, sector * SECTOR)
            chain.write(0, data)
            return VIRTIO_BLK_S_OK, data_in
        if kind == VIRTIO_BLK_T_OUT:
            if self.read_only:
                return VIRTIO_BLK_S_IOERR, 0
            if data_in or not self._in_range(sector, data_out):
                return VIRTIO_BLK_S_IOERR, 0
            data = chain.read(16, data_out)
            os.pwrite(self.fd, data, sector * SECTOR)
            return VIRTIO_BLK_S_OK, 0
        if kind == VIRTIO_BLK_T_FLUSH:
            if not self.read_only:
                os.fsync(self.fd)
            return VIRTIO_BLK_S_OK, 0
        if kind == VIRTIO_BLK_T_GET_ID:
            if data_in < VIRTIO_BLK_ID_BYTES:
                return VIRTIO_BLK_S_IOERR, 0
            chain.write(0, self.serial.ljust(VIRTIO_BLK_ID_BYTES, b"\0"))
            return VIRTIO_BLK_S_OK, VIRTIO_BLK_ID_BYTES
        return VIRTIO_BLK_S_UNSUPP, 0

    def _in_range(self, sector: int, n: int) -> bool:
        """A transfer of n bytes at `sector`: whole sectors, inside the disk, not absurdly big."""
        return n % SECTOR == 0 and n <= MAX_REQUEST and sector + n // SECTOR <= self.capacity
