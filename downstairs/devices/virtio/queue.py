"""Split virtqueues: the rings a virtio driver and device share in guest memory.

Follows Virtual I/O Device (VIRTIO) Version 1.2, section 2.7 "Split Virtqueues": a descriptor
table (2.7.5), the driver's available ring (2.7.6) and the device's used ring (2.7.8), with
indirect descriptor tables (2.7.5.3) and used-buffer notification suppression by event
index (2.7.7, VIRTIO_F_EVENT_IDX).

The three areas, each at a guest address the driver chose (`desc`, `avail`, `used`), for a
queue of `size` entries; every field little-endian:

    descriptor table, `size` entries of 16 bytes (an indirect table has the same shape)
        0          8          12         14         16
        +----------+----------+----------+----------+
        |   addr   |   len    |  flags   |   next   |      le64, le32, le16, le16
        +----------+----------+----------+----------+

    available ring: the driver offers chains by their head descriptor
        0        2        4                                4 + 2*size     6 + 2*size
        +--------+--------+--------+--------+-----+--------+------------+
        | flags  |  idx   |ring[0] |ring[1] | ... |ring[-1]| used_event |     le16 each
        +--------+--------+--------+--------+-----+--------+------------+

    used ring: the device hands chains back, with the bytes it wrote into them
        0        2        4                                      4 + 8*size    6 + 8*size
        +--------+--------+------------+------------+-----+------------+-------------+
        | flags  |  idx   |  ring[0]   |  ring[1]   | ... |  ring[-1]  | avail_event |
        +--------+--------+------------+------------+-----+------------+-------------+
                           id le32, len le32 each                        le16

`idx` counts forever (mod 2^16); entry n lives in ring[n % size]. used_event and avail_event
exist with VIRTIO_F_EVENT_IDX: "interrupt me when the used idx passes this" and "notify me
when the available idx passes this".

The device side only: `pop()` takes the next chain the driver made available, `push()` returns
it with the number of bytes written. Everything in guest memory is untrusted. A chain that
points outside RAM, loops, mixes up directions or misuses indirect tables raises
`VirtqueueError`, which the transport turns into DEVICE_NEEDS_RESET; the host keeps running.
"""

from downstairs.devices.memory import GuestMemoryError

VIRTQ_DESC_F_NEXT = 1        # the chain continues at `next`
VIRTQ_DESC_F_WRITE = 2       # device-writable (otherwise device-readable)
VIRTQ_DESC_F_INDIRECT = 4    # the buffer is a table of descriptors
VIRTQ_AVAIL_F_NO_INTERRUPT = 1
DESC_SIZE = 16
RING_FLAGS, RING_IDX, RING_ENTRIES = 0, 2, 4    # offsets in both rings, as drawn above
AVAIL_ENTRY, USED_ENTRY = 2, 8                  # bytes per ring entry


class VirtqueueError(Exception):
    """The driver broke the ring rules (2.7.5, 2.7.5.3): the device must be reset."""


class Chain:
    """One descriptor chain: device-readable buffers, then device-writable ones.

    `readable` and `writable` are lists of (guest address, length)."""

    def __init__(self, head: int, readable: list, writable: list, memory):
        """A chain from descriptor `head`; its buffers are reached through `memory`."""
        self.head = head
        self.readable = readable
        self.writable = writable
        self.memory = memory

    def readable_size(self) -> int:
        """Bytes the driver gave the device to read (a request's header and data)."""
        return sum(n for _, n in self.readable)

    def writable_size(self) -> int:
        """Bytes of room the driver gave the device to write (data in, a status byte)."""
        return sum(n for _, n in self.writable)

    def read(self, start: int, n: int) -> bytes:
        """n bytes of the readable part from byte `start` on (fewer if the buffers end)."""
        out = bytearray()
        for addr, length in self.readable:
            if start >= length:
                start -= length
                continue
            take = min(length - start, n - len(out))
            out += self.memory.read(addr + start, take)
            start = 0
            if len(out) == n:
                break
        return bytes(out)

    def write(self, start: int, data: bytes) -> None:
        """Store data into the writable part at byte `start`; the caller checked it fits."""
        pos = 0
        for addr, length in self.writable:
            if start >= length:
                start -= length
                continue
            take = min(length - start, len(data) - pos)
            self.memory.write(addr + start, data[pos:pos + take])
            pos += take
            start = 0
            if pos == len(data):
                break
        if pos != len(data):
            raise VirtqueueError("write past the end of the device-writable buffers")


class Virtqueue:
    def __init__(self, max_size: int):
        """A queue of at most `max_size` entries (the driver may choose fewer)."""
        self.max_size = max_size
        self.reset()

    def reset(self) -> None:
        """The state after a device reset: not ready, no areas, counting from 0."""
        self.size = self.max_size
        self.ready = False
        self.desc = self.avail = self.used = 0      # guest addresses of the three areas
        self.last_avail = 0                         # next available-ring entry to take
        self.used_idx = 0
        self.signalled_used = 0                     # used index when we last interrupted
        self.event_idx = False                      # VIRTIO_F_EVENT_IDX negotiated
        self.indirect = False                       # VIRTIO_F_INDIRECT_DESC negotiated

    # ---- where things are (the drawing at the top) -----------------------------------------
    def avail_entry(self, n: int) -> int:
        """Guest address of the available ring's entry for the n-th chain offered."""
        return self.avail + RING_ENTRIES + AVAIL_ENTRY * (n % self.size)

    def used_entry(self, n: int) -> int:
        """Guest address of the used ring's entry for the n-th chain handed back."""
        return self.used + RING_ENTRIES + USED_ENTRY * (n % self.size)

    def used_event(self) -> int:
        """Guest address of used_event, after the available ring's entries."""
        return self.avail + RING_ENTRIES + AVAIL_ENTRY * self.size

    def avail_event(self) -> int:
        """Guest address of avail_event, after the used ring's entries."""
        return self.used + RING_ENTRIES + USED_ENTRY * self.size

    # ---- reading the driver's rings ----------------------------------------------------------
    def _u16(self, memory, addr: int) -> int:
        return int.from_bytes(memory.read(addr, 2), "little")

    def pending(self, memory) -> bool:
        """Whether the driver has offered a chain the device has not taken."""
        return self._u16(memory, self.avail + RING_IDX) != self.last_avail

    def pop(self, memory) -> Chain | None:
        """The next available chain, or None. Raises VirtqueueError for a malformed one."""
        try:
            avail_idx = self._u16(memory, self.avail + RING_IDX)
            if avail_idx == self.last_avail:
                return None
            if (avail_idx - self.last_avail) & 0xFFFF > self.size:
                raise VirtqueueError(f"available index jumped from {self.last_avail} to {avail_idx}")
            head = self._u16(memory, self.avail_entry(self.last_avail))
            self.last_avail = (self.last_avail + 1) & 0xFFFF
            if self.event_idx:
                # avail_event (2.7.8): "notify me when you make this entry available"
                memory.write(self.avail_event(), self.last_avail.to_bytes(2, "little"))
            return self._walk(memory, head)
        except GuestMemoryError as err:
            raise VirtqueueError(f"ring outside guest memory: {err}") from None

    def _walk(self, memory, head: int) -> Chain:
        """Follow the chain from descriptor `head` (through at most one indirect table),
        checking each buffer is RAM and the readable ones come first."""
        if head >= self.size:
            raise VirtqueueError(f"descriptor index {head} >= queue size {self.size}")
        readable, writable = [], []
        table, table_size, index = self.desc, self.size, head
        seen = 0
        in_indirect = False
        while True:
            seen += 1
            if seen > table_size:
                raise VirtqueueError("descriptor chain loops (longer than its table)")
            raw = memory.read(table + DESC_SIZE * index, DESC_SIZE)
            addr = int.from_bytes(raw[0:8], "little")
            length = int.from_bytes(raw[8:12], "little")
            flags = int.from_bytes(raw[12:14], "little")
            nxt = int.from_bytes(raw[14:16], "little")
            if flags & VIRTQ_DESC_F_INDIRECT:
                if not self.indirect or in_indirect:
                    raise VirtqueueError("indirect descriptor not allowed here")
                if flags & VIRTQ_DESC_F_NEXT:
                    raise VirtqueueError("indirect descriptor with NEXT set")
                if length == 0 or length % DESC_SIZE:
                    raise VirtqueueError(f"indirect table length {length} is not a multiple of 16")
                memory.read(addr, length)           # the whole table must be RAM
                table, table_size, index = addr, length // DESC_SIZE, 0
                seen = 0
                in_indirect = True
                continue
            memory.read(addr, 0) if length == 0 else _probe(memory, addr, length)
            if flags & VIRTQ_DESC_F_WRITE:
                writable.append((addr, length))
            elif writable:
                raise VirtqueueError("device-readable descriptor after a device-writable one")
            else:
                readable.append((addr, length))
            if not flags & VIRTQ_DESC_F_NEXT:
                return Chain(head, readable, writable, memory)
            if nxt >= table_size:
                raise VirtqueueError(f"next descriptor {nxt} >= table size {table_size}")
            index = nxt

    # ---- writing the used ring ---------------------------------------------------------------
    def push(self, memory, chain: Chain, written: int) -> None:
        """Return a chain to the driver with `written` bytes stored in its writable buffers."""
        try:
            memory.write(self.used_entry(self.used_idx),
                         chain.head.to_bytes(4, "little") + written.to_bytes(4, "little"))
            self.used_idx = (self.used_idx + 1) & 0xFFFF
            memory.write(self.used + RING_IDX, self.used_idx.to_bytes(2, "little"))
        except GuestMemoryError as err:
            raise VirtqueueError(f"used ring outside guest memory: {err}") from None

    def should_interrupt(self, memory) -> bool:
        """After pushing: does the driver want a used-buffer notification? (2.7.7.2)"""
        old, new = self.signalled_used, self.used_idx
        if old == new:
            return False
        self.signalled_used = new
        try:
            if self.event_idx:
                event = self._u16(memory, self.used_event())
                return (new - event - 1) & 0xFFFF < (new - old) & 0xFFFF
            return not self._u16(memory, self.avail + RING_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT
        except GuestMemoryError as err:
            raise VirtqueueError(f"available ring outside guest memory: {err}") from None


def _probe(memory, addr: int, length: int) -> None:
    """Check that a buffer lies in RAM without copying a large one: its first and last byte."""
    memory.read(addr, 1)
    memory.read(addr + length - 1, 1)
