"""An empty virtio-mmio slot: the transport's registers with no device behind them.

Virtio 1.1, section 4.2.2 ("MMIO Device Register Layout"). QEMU's virt board always has
eight virtio-mmio transports at 0x10001000..0x10008000; a slot with nothing plugged in
answers MagicValue "virt" (0x74726976), Version 2 and DeviceID 0, which the spec defines
as "no device: the driver must ignore this slot" (4.2.3.1.1). Every other register reads
as zero and writes are ignored.
"""

MAGIC_VALUE, VERSION, DEVICE_ID, VENDOR_ID = 0x000, 0x004, 0x008, 0x00C
MAGIC = 0x74726976                  # "virt" in little-endian ASCII
QEMU_VENDOR = 0x554D4551            # "QEMU"


class VirtioMmioEmpty:
    size = 0x1000

    def read(self, offset: int, size: int) -> int:
        """An empty slot reads as a virtio-mmio device with ID 0: magic, version 2, QEMU's vendor,
        zeros elsewhere (how Linux skips it)."""
        if offset == MAGIC_VALUE:
            value = MAGIC
        elif offset == VERSION:
            value = 2
        elif offset == VENDOR_ID:
            value = QEMU_VENDOR
        else:
            value = 0
        return value & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        """An empty slot ignores stores."""
        pass
