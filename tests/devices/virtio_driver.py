"""A minimal virtio driver for tests: sets up a device through its MMIO registers and builds
split rings in a bytearray "guest memory", as Linux's virtio_mmio + virtio_ring would."""

from downstairs.devices.memory import BufferMemory
from downstairs.devices.virtio import mmio
from downstairs.devices.virtio.mmio import VirtioMmio

DESC, AVAIL, USED, DATA = 0x1000, 0x3000, 0x4000, 0x10000


class Driver:
    def __init__(self, device, features=mmio.VIRTIO_F_VERSION_1, mem_size=1 << 20, qsize=16):
        self.ram = bytearray(mem_size)
        self.memory = BufferMemory(self.ram)
        self.irqs = []
        self.dev = VirtioMmio(device, self.memory, self.irqs.append)
        self.qsize = qsize
        self.next_data = DATA
        self.avail_idx = {}
        self.used_seen = {}
        w = self.dev.write
        w(mmio.STATUS, 4, mmio.ACKNOWLEDGE | mmio.DRIVER)
        w(mmio.DRIVER_FEATURES_SEL, 4, 0)
        w(mmio.DRIVER_FEATURES, 4, features & 0xFFFFFFFF)
        w(mmio.DRIVER_FEATURES_SEL, 4, 1)
        w(mmio.DRIVER_FEATURES, 4, features >> 32)
        w(mmio.STATUS, 4, mmio.ACKNOWLEDGE | mmio.DRIVER | mmio.FEATURES_OK)
        for q in range(len(device.queue_sizes)):
            base = q * 0x8000
            w(mmio.QUEUE_SEL, 4, q)
            w(mmio.QUEUE_NUM, 4, qsize)
            w(mmio.QUEUE_DESC_LOW, 4, DESC + base)
            w(mmio.QUEUE_DRIVER_LOW, 4, AVAIL + base)
            w(mmio.QUEUE_DEVICE_LOW, 4, USED + base)
            w(mmio.QUEUE_READY, 4, 1)
            self.avail_idx[q] = 0
            self.used_seen[q] = 0
        w(mmio.STATUS, 4, mmio.ACKNOWLEDGE | mmio.DRIVER | mmio.FEATURES_OK | mmio.DRIVER_OK)

    def alloc(self, data: bytes | int) -> tuple[int, int]:
        """Place a buffer in memory: bytes to send, or an int size to receive into."""
        n = data if isinstance(data, int) else len(data)
        addr = self.next_data
        if not isinstance(data, int):
            self.ram[addr:addr + n] = data
        self.next_data += (n + 15) & ~15
        return addr, n

    def put_desc(self, table: int, i: int, addr: int, length: int, flags: int, nxt: int) -> None:
        at = table + 16 * i
        self.ram[at:at + 16] = (addr.to_bytes(8, "little") + length.to_bytes(4, "little")
                                + flags.to_bytes(2, "little") + nxt.to_bytes(2, "little"))

    def make_available(self, q: int, head: int) -> None:
        base = q * 0x8000
        slot = self.avail_idx[q] % self.qsize
        self.ram[AVAIL + base + 4 + 2 * slot:AVAIL + base + 6 + 2 * slot] = head.to_bytes(2, "little")
        self.avail_idx[q] += 1
        self.ram[AVAIL + base + 2:AVAIL + base + 4] = (self.avail_idx[q] & 0xFFFF).to_bytes(2, "little")

    def submit(self, q: int, buffers: list, head: int = 0, kick: bool = True) -> list:
        """A chain of (bytes-or-size, writable) buffers in descriptors head, head+1, ...
        Returns the (address, length) of each buffer."""
        placed = []
        for i, (data, writable) in enumerate(buffers):
            addr, n = self.alloc(data)
            flags = (2 if writable else 0) | (1 if i + 1 < len(buffers) else 0)
            self.put_desc(DESC + q * 0x8000, head + i, addr, n, flags, head + i + 1)
            placed.append((addr, n))
        self.make_available(q, head)
        if kick:
            self.kick(q)
        return placed

    def kick(self, q: int) -> None:
        self.dev.write(mmio.QUEUE_NOTIFY, 4, q)

    def used(self, q: int) -> list[tuple[int, int]]:
        """New used-ring entries (id, len) since the last call."""
        base = USED + q * 0x8000
        idx = int.from_bytes(self.ram[base + 2:base + 4], "little")
        out = []
        while self.used_seen[q] != idx:
            slot = self.used_seen[q] % self.qsize
            at = base + 4 + 8 * slot
            out.append((int.from_bytes(self.ram[at:at + 4], "little"),
                        int.from_bytes(self.ram[at + 4:at + 8], "little")))
            self.used_seen[q] = (self.used_seen[q] + 1) & 0xFFFF
        return out

    def status(self) -> int:
        return self.dev.read(mmio.STATUS, 4)
