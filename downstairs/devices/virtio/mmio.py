"""The virtio-mmio transport, version 2: a device's registers in a 4 KiB MMIO window.

Follows VIRTIO 1.2 section 4.2.2 "MMIO Device Register Layout" and 4.2.3 "MMIO-specific
Initialization And Device Operation", plus the device status field (2.1) and feature bits
(2.2, 6). One transport object wraps one device model (block, console, entropy); the board
maps it at some address and wires its interrupt: Linux finds it through the device tree on
RISC-V, or through `virtio_mmio.device=4K@0xd0000000:5` on the x86 kernel command line.

A device model gives: `device_id`, `features` (its own feature bits), `queue_sizes`,
`config` (bytes of its configuration space), `notify(queue_index)` and `reset()`. It calls
`transport.used(queue)` after putting buffers in a used ring.
"""

from downstairs.devices.memory import GuestMemoryError
from downstairs.devices.virtio.queue import Virtqueue, VirtqueueError

MAGIC = 0x74726976          # "virt"
VERSION = 2
VENDOR_ID = 0x52545344      # any value is allowed; ours reads "DSTR" in little-endian ASCII

# register offsets (4.2.2)
MAGIC_VALUE, VERSION_REG, DEVICE_ID, VENDOR = 0x000, 0x004, 0x008, 0x00C
DEVICE_FEATURES, DEVICE_FEATURES_SEL = 0x010, 0x014
DRIVER_FEATURES, DRIVER_FEATURES_SEL = 0x020, 0x024
QUEUE_SEL, QUEUE_NUM_MAX, QUEUE_NUM, QUEUE_READY = 0x030, 0x034, 0x038, 0x044
QUEUE_NOTIFY = 0x050
INTERRUPT_STATUS, INTERRUPT_ACK = 0x060, 0x064
STATUS = 0x070
QUEUE_DESC_LOW, QUEUE_DESC_HIGH = 0x080, 0x084
QUEUE_DRIVER_LOW, QUEUE_DRIVER_HIGH = 0x090, 0x094
QUEUE_DEVICE_LOW, QUEUE_DEVICE_HIGH = 0x0A0, 0x0A4
SHM_SEL, SHM_LEN_LOW, SHM_LEN_HIGH = 0x0AC, 0x0B0, 0x0B4
CONFIG_GENERATION = 0x0FC
CONFIG = 0x100

# device status bits (2.1): the driver sets them in this order as it brings the device up
#      7        6        5     4      3          2          1        0
#   +--------+--------+-------------+-----------+----------+--------+-------------+
#   | FAILED | NEEDS  |      0      | FEATURES  | DRIVER   | DRIVER | ACKNOWLEDGE |
#   |        | RESET  |             |    OK     |   OK     |        |             |
#   +--------+--------+-------------+-----------+----------+--------+-------------+
ACKNOWLEDGE, DRIVER, DRIVER_OK, FEATURES_OK, DEVICE_NEEDS_RESET, FAILED = 1, 2, 4, 8, 64, 128

# reserved feature bits (6)
VIRTIO_F_INDIRECT_DESC = 1 << 28
VIRTIO_F_EVENT_IDX = 1 << 29
VIRTIO_F_VERSION_1 = 1 << 32
TRANSPORT_FEATURES = VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX | VIRTIO_F_VERSION_1

INT_USED_BUFFER, INT_CONFIG_CHANGE = 1, 2


class VirtioMmio:
    size = 0x1000

    def __init__(self, device, memory, irq):
        """The transport for `device` over guest memory `memory` (devices/memory.py), raising
        its interrupt with `irq(level)`; at the reset state."""
        self.device = device
        self.memory = memory
        self.irq = irq
        self.queues = [Virtqueue(n) for n in device.queue_sizes]
        self.error: str | None = None           # why we asked for a reset, for debugging
        device.transport = self
        self._reset()

    def _reset(self) -> None:
        """The state after reset (Status 0): every register, queue and the model's state."""
        self.status = 0
        self.device_features_sel = 0
        self.driver_features_sel = 0
        self.driver_features = 0
        self.queue_sel = 0
        self.interrupt_status = 0
        self.config_generation = 0
        for q in self.queues:
            q.reset()
        self.device.reset()
        self.irq(False)

    def reset(self) -> None:
        """The board's reset (a warm reboot of the machine): as if the driver wrote 0 to Status."""
        self._reset()

    def close(self) -> None:
        """The machine is going away: the device lets go of its host resources (a disk)."""
        self.device.close()

    @property
    def offered(self) -> int:
        """The feature bits offered: the model's and the transport's (VERSION_1, indirect, event idx)."""
        return self.device.features | TRANSPORT_FEATURES

    def _queue(self):
        """The queue QueueSel selects, or None when it names no queue."""
        return self.queues[self.queue_sel] if self.queue_sel < len(self.queues) else None

    # ---- registers -------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset >= CONFIG:
            config = self.device.config()
            start = offset - CONFIG
            return int.from_bytes(config[start:start + size].ljust(size, b"\0"), "little")
        if size != 4:
            return 0                            # 4.2.2.2: registers are read 32 bits wide
        q = self._queue()
        if offset == MAGIC_VALUE:
            return MAGIC
        if offset == VERSION_REG:
            return VERSION
        if offset == DEVICE_ID:
            return self.device.device_id
        if offset == VENDOR:
            return VENDOR_ID
        if offset == DEVICE_FEATURES:
            return (self.offered >> (32 * self.device_features_sel)) & 0xFFFFFFFF \
                if self.device_features_sel < 2 else 0
        if offset == QUEUE_NUM_MAX:
            return q.max_size if q else 0
        if offset == QUEUE_READY:
            return int(q.ready) if q else 0
        if offset == INTERRUPT_STATUS:
            return self.interrupt_status
        if offset == STATUS:
            return self.status
        if offset == CONFIG_GENERATION:
            return self.config_generation
        if offset in (SHM_LEN_LOW, SHM_LEN_HIGH):
            return 0xFFFFFFFF                   # no shared memory regions: length -1 (4.2.2)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """A store to a register (4.2.2): only 32-bit stores count, except to the config space."""
        if offset >= CONFIG:
            self.device.config_write(offset - CONFIG, size, value)
            return
        if size != 4:
            return
        q = self._queue()
        if offset == DEVICE_FEATURES_SEL:
            self.device_features_sel = value
        elif offset == DRIVER_FEATURES_SEL:
            self.driver_features_sel = value
        elif offset == DRIVER_FEATURES:
            if self.driver_features_sel < 2:
                shift = 32 * self.driver_features_sel
                self.driver_features = (self.driver_features & ~(0xFFFFFFFF << shift)) | (value << shift)
        elif offset == QUEUE_SEL:
            self.queue_sel = value
        elif offset == QUEUE_NUM and q:
            # the size must be a power of two no larger than the maximum (2.7)
            if 0 < value <= q.max_size and value & (value - 1) == 0:
                q.size = value
        elif offset == QUEUE_READY and q:
            q.ready = bool(value & 1)
            q.event_idx = bool(self.driver_features & VIRTIO_F_EVENT_IDX)
            q.indirect = bool(self.driver_features & VIRTIO_F_INDIRECT_DESC)
        elif offset == QUEUE_NOTIFY:
            self._notify(value & 0xFFFF)
        elif offset == INTERRUPT_ACK:
            self.interrupt_status &= ~value
            if not self.interrupt_status:
                self.irq(False)
        elif offset == STATUS:
            self._set_status(value)
        elif q and offset in (QUEUE_DESC_LOW, QUEUE_DESC_HIGH, QUEUE_DRIVER_LOW,
                              QUEUE_DRIVER_HIGH, QUEUE_DEVICE_LOW, QUEUE_DEVICE_HIGH):
            name = {0x80: "desc", 0x90: "avail", 0xA0: "used"}[offset & ~0xF]
            shift = 32 if offset & 4 else 0
            old = getattr(q, name)
            setattr(q, name, (old & ~(0xFFFFFFFF << shift)) | (value << shift))

    def _set_status(self, value: int) -> None:
        """A driver's write to Status (2.1): 0 resets; FEATURES_OK sticks only for features we
        offered, VERSION_1 among them (the model learns them then); NEEDS_RESET is ours."""
        if value == 0:
            self._reset()
            return
        if value & FEATURES_OK and not self.status & FEATURES_OK:
            # 2.2.1: accept only features we offered, and the modern interface (VERSION_1)
            if self.driver_features & ~self.offered or not self.driver_features & VIRTIO_F_VERSION_1:
                value &= ~FEATURES_OK
            else:
                self.device.features_accepted(self.driver_features)
        self.status = (value & ~DEVICE_NEEDS_RESET) | (self.status & DEVICE_NEEDS_RESET)

    # ---- queues and interrupts --------------------------------------------------------------
    def _notify(self, index: int) -> None:
        if index >= len(self.queues) or not self.status & DRIVER_OK or self.status & DEVICE_NEEDS_RESET:
            return
        if not self.queues[index].ready:
            return
        try:
            self.device.notify(index)
        except (VirtqueueError, GuestMemoryError) as err:
            self.needs_reset(str(err))

    def needs_reset(self, why: str) -> None:
        """2.1.2: stop using the queues, set DEVICE_NEEDS_RESET and tell the driver."""
        self.error = why
        self.status |= DEVICE_NEEDS_RESET
        self.config_changed()

    def used(self, index: int) -> None:
        """The device put buffers in queue `index`'s used ring: interrupt if the driver wants it."""
        if self.queues[index].should_interrupt(self.memory):
            self.interrupt_status |= INT_USED_BUFFER
            self.irq(True)

    def config_changed(self) -> None:
        """The model's configuration changed: bump the generation and interrupt."""
        self.config_generation = (self.config_generation + 1) & 0xFFFFFFFF
        self.interrupt_status |= INT_CONFIG_CHANGE
        self.irq(True)

    def poll(self) -> None:
        """Give the device a chance to move host-side data (console input)."""
        if self.status & DRIVER_OK and not self.status & DEVICE_NEEDS_RESET:
            try:
                self.device.poll()
            except (VirtqueueError, GuestMemoryError) as err:
                self.needs_reset(str(err))
