"""QEMU's `virt` board: its memory map, its interrupt sources, and the devices on its bus.

The map of QEMU 7.2's hw/riscv/virt.c (virt_memmap[]), the part this machine has:

    0x00001000 +0xf000     mask ROM with the reset vector (bootrom.py)
    0x00100000 +0x1000     sifive_test: power off / reset
    0x00101000 +0x1000     Goldfish RTC                                   PLIC source 11
    0x02000000 +0x10000    CLINT: msip, mtimecmp, mtime
    0x0c000000 +0x600000   PLIC: 96 sources, an M and an S context per hart
    0x10000000 +0x100      16550A UART                                    PLIC source 10
    0x10001000 +0x1000 x8  virtio-mmio slots 0-7                          PLIC sources 1-8
    0x80000000 +(-m)       RAM, with the device tree at its top (boards.py)

The virtio slots take the disks and the entropy source of -drive/-device (drives.py) as QEMU
fills them: the first device in the highest slot. devicetree.py describes this board from
the constants here.
"""

from downstairs.devices.clint import Clint
from downstairs.devices.goldfish_rtc import GoldfishRtc
from downstairs.devices.plic import Plic
from downstairs.devices.sifive_test import SifiveTest
from downstairs.devices.uart16550 import Uart16550
from downstairs.devices.virtio_mmio_empty import VirtioMmioEmpty
from downstairs.errors import UsageError

ROM_BASE, ROM_SIZE = 0x1000, 0xF000
TEST_BASE, TEST_SIZE = 0x100000, 0x1000
RTC_BASE, RTC_SIZE = 0x101000, 0x1000
CLINT_BASE, CLINT_SIZE = 0x2000000, 0x10000
PLIC_BASE, PLIC_SIZE, PLIC_SOURCES = 0xC000000, 0x600000, 96
UART_BASE, UART_SIZE, UART_CLOCK = 0x10000000, 0x100, 3686400
VIRTIO_BASE, VIRTIO_SIZE, VIRTIO_COUNT = 0x10001000, 0x1000, 8
RAM_BASE = 0x80000000
UART_IRQ, RTC_IRQ, VIRTIO_IRQ = 10, 11, 1          # PLIC sources; virtio slot i has 1 + i
TIME_CSR = True                                    # the `time` CSR reads mtime (and so Sstc)


def attach(machine, config) -> None:
    """Put the virt board's devices on `machine`'s bus, wired to its PLIC (config: a
    boards.BootConfig; its `virtio` list fills the slots)."""
    clint = Clint(config.harts, machine.clock.mtime, machine.clock.set_mtime)
    machine.attach(CLINT_BASE, clint, resets=True)
    plic = Plic(config.harts)
    machine.attach(PLIC_BASE, plic, resets=True)
    machine.use_interrupt_controllers(clint, plic)
    uart = Uart16550(machine.console_output, machine.bus.noticed(plic.line(UART_IRQ)))
    machine.attach(UART_BASE, uart, UART_SIZE, quiet=True)
    machine.use_console(uart)
    machine.attach(TEST_BASE, SifiveTest(machine.power_off, machine.request_reset))
    machine.attach(RTC_BASE, GoldfishRtc(plic.line(RTC_IRQ)), ticks=True)
    attach_virtio(machine, plic, config.virtio)


def attach_virtio(machine, plic, specs: list) -> None:
    """Fill the virtio-mmio slots as QEMU's virt board does: the first device in the highest
    slot (0x10008000, PLIC source 8), the next one below it; the rest stay empty."""
    if len(specs) > VIRTIO_COUNT:
        raise UsageError(f"{len(specs)} virtio devices, but the virt board has {VIRTIO_COUNT} slots")
    if specs:                                  # imported only when a slot is filled: start-up
        from downstairs.devices.virtio.mmio import VirtioMmio    # time counts
    for slot in reversed(range(VIRTIO_COUNT)):
        base = VIRTIO_BASE + slot * VIRTIO_SIZE
        index = VIRTIO_COUNT - 1 - slot
        if index >= len(specs):
            machine.attach(base, VirtioMmioEmpty())
            continue
        model = virtio_model(specs[index])
        transport = VirtioMmio(model, machine.memory, machine.bus.noticed(plic.line(VIRTIO_IRQ + slot)))
        machine.attach(base, transport, quiet=True, resets=True, closes=True)


def virtio_model(spec):
    """The device model behind a drives.VirtioSpec: the entropy source or a disk (whose
    image is opened, and locked, now: a problem is a UsageError before the machine starts)."""
    from downstairs.devices.virtio.block import Block
    from downstairs.devices.virtio.rng import Entropy

    if spec.kind == "rng":
        return Entropy()
    try:
        return Block(spec.drive.path, spec.drive.read_only, spec.serial)
    except OSError as error:
        raise UsageError(f"{spec.drive.path}: cannot open the disk image: {error.strerror}") from None
