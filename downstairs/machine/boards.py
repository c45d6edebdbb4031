"""QEMU's two RISC-V boards as this machine builds them: `virt` and `spike`.

virt (QEMU hw/riscv/virt.c memory map):
    0x00001000  mask ROM with the reset vector (bootrom.py)
    0x00100000  sifive_test: power off / reset
    0x00101000  Goldfish RTC (PLIC source 11)
    0x02000000  CLINT: mtime, mtimecmp, msip
    0x0c000000  PLIC: 96 sources, an M and an S context per hart
    0x10000000  16550A UART (PLIC source 10)
    0x10001000  eight virtio-mmio slots, 0x1000 apart (sources 1-8): disks and the entropy
                source from -drive/-device (drives.py), the first in the highest slot
    0x80000000  RAM, with the device tree at its top (devicetree.py)
spike (the Spike simulator's layout, as QEMU's `spike` machine has it):
    0x00001000  mask ROM, 0x02000000 CLINT, 0x80000000 RAM, and HTIF at the ELF's
                `tohost`/`fromhost` symbols.

Loading follows QEMU's rules so one command line means the same on both: `-bios FILE`
loads firmware (an ELF at its addresses, a raw image at 0x80000000) and the ROM jumps to
0x80000000; `-kernel FILE` then loads at its ELF addresses or, raw, at the firmware's end
rounded up to 2 MiB, and the ROM tells the firmware where it is (fw_dynamic, a2). With
`-bios none` the kernel itself starts at 0x80000000.
"""


from downstairs.devices.clint import Clint
from downstairs.devices.goldfish_rtc import GoldfishRtc
from downstairs.devices.htif import Htif
from downstairs.devices.plic import Plic
from downstairs.devices.rom import Rom
from downstairs.devices.sifive_test import SifiveTest
from downstairs.devices.uart16550 import Uart16550
from downstairs.devices.virtio.block import Block
from downstairs.devices.virtio.mmio import VirtioMmio
from downstairs.devices.virtio.rng import Entropy
from downstairs.devices.virtio_mmio_empty import VirtioMmioEmpty
from downstairs.errors import UsageError
from downstairs.machine import bootrom, devicetree, fdt
from downstairs.machine.machine import RAM_BASE, Machine
from downstairs.machine.devicetree import (
    CLINT_BASE, PLIC_BASE, RTC_BASE, RTC_IRQ, TEST_BASE, UART_BASE, UART_IRQ, UART_SIZE,
    VIRTIO_BASE, VIRTIO_COUNT, VIRTIO_IRQ, VIRTIO_SIZE,
)
from downstairs.machine.drives import VirtioSpec
from downstairs.machine.loader import Image, load_image

ROM_BASE, ROM_SIZE = 0x1000, 0xF000


class BootConfig:
    def __init__(self, board: str = "virt", ram_size: int = 128 << 20, bios: str | None = None,
                 kernel: str | None = None, append: str = "", harts: int = 1,
                 icount: int | None = None, virtio: list[VirtioSpec] | None = None):
        self.board = board
        self.ram_size = ram_size
        self.bios = bios                 # a path, "none", or None for the built-in demo
        self.kernel = kernel
        self.append = append
        self.harts = harts
        self.icount = icount             # QEMU's -icount shift: time follows instructions
        self.virtio = [] if virtio is None else virtio   # devices for the virtio slots, in order


FIXED_SEED = bytes(range(32))        # /chosen/rng-seed when a run must be reproducible


def device_tree_blob(config: BootConfig) -> bytes:
    if config.board == "spike":
        return fdt.build(devicetree.spike(RAM_BASE, config.ram_size, config.harts, config.append))
    seed = FIXED_SEED if config.icount is not None else None
    return fdt.build(devicetree.virt(RAM_BASE, config.ram_size, config.harts, config.append, seed))


def build(config: BootConfig, engine, output, demo_image=None) -> Machine:
    """Assemble a machine for `config`. `output` receives the console's bytes;
    `demo_image()` gives the firmware to run when neither -bios nor -kernel is given."""
    if config.board not in ("virt", "spike"):
        raise UsageError(f"unknown machine {config.board!r}: choose virt or spike")
    machine = Machine(engine, config.ram_size, config.harts, time_csr=config.board == "virt",
                      icount=config.icount)
    firmware, kernel = load_guests(machine, config, demo_image)
    machine.firmware, machine.kernel = firmware, kernel
    machine.clint = Clint(config.harts, machine.clock.mtime, machine.clock.set_mtime)
    machine.bus.map(CLINT_BASE, machine.clint)
    if config.board == "virt":
        attach_virt_devices(machine, config, output)
    else:
        attach_htif(machine, output)
    tree = device_tree_blob(config)
    fdt_addr = fdt_address(config.ram_size, len(tree))
    check_room(machine, fdt_addr, len(tree))
    machine.write_memory(fdt_addr, tree)
    machine.blobs.append((fdt_addr, tree))
    machine.resettable.append(machine.clint)
    start = RAM_BASE
    next_addr = kernel.entry if kernel else 0
    machine.bus.map(ROM_BASE, Rom(bootrom.reset_vector(start, fdt_addr, next_addr), ROM_SIZE),
                    executable=True)
    machine.fdt = tree
    machine.fdt_addr = fdt_addr
    return machine


def attach_virt_devices(machine: Machine, config: BootConfig, output) -> None:
    plic = Plic(config.harts)
    machine.plic = plic
    machine.resettable.append(plic)
    machine.bus.map(PLIC_BASE, plic)
    uart = Uart16550(output, machine.bus.noticed(plic.line(UART_IRQ)))
    machine.uart = uart
    machine.bus.map(UART_BASE, uart, UART_SIZE, quiet=True)
    machine.bus.map(TEST_BASE, SifiveTest(machine.power_off, machine.request_reset))
    rtc = GoldfishRtc(plic.line(RTC_IRQ))
    machine.bus.map(RTC_BASE, rtc)
    machine.tickers.append(rtc)
    attach_virtio(machine, config.virtio)


def attach_virtio(machine: Machine, specs: list[VirtioSpec]) -> None:
    """Fill the virtio-mmio slots as QEMU's virt board does: the first device in the highest
    slot (0x10008000, PLIC source 8), the next one below it; the rest stay empty."""
    if len(specs) > VIRTIO_COUNT:
        raise UsageError(f"{len(specs)} virtio devices, but the virt board has {VIRTIO_COUNT} slots")
    machine.virtio = []
    for slot in reversed(range(VIRTIO_COUNT)):
        base = VIRTIO_BASE + slot * VIRTIO_SIZE
        index = VIRTIO_COUNT - 1 - slot
        if index >= len(specs):
            machine.bus.map(base, VirtioMmioEmpty())
            continue
        model = virtio_model(specs[index])
        machine.closers.append(model)
        transport = VirtioMmio(model, machine.memory, machine.bus.noticed(machine.plic.line(VIRTIO_IRQ + slot)))
        machine.bus.map(base, transport, quiet=True)
        machine.resettable.append(transport)
        machine.virtio.append((base, transport))


def virtio_model(spec: VirtioSpec):
    if spec.kind == "rng":
        return Entropy()
    try:
        return Block(spec.drive.path, spec.drive.read_only, spec.serial)
    except OSError as error:
        raise UsageError(f"{spec.drive.path}: cannot open the disk image: {error.strerror}") from None


def check_room(machine: Machine, fdt_addr: int, size: int) -> None:
    """The device tree goes at the top of RAM: it must not land on a loaded image."""
    if fdt_addr < RAM_BASE:
        raise UsageError("RAM is too small to hold the device tree")
    for image in machine.images:
        for addr, _, seg_size in image.segments:
            if addr < fdt_addr + size and fdt_addr < addr + seg_size:
                raise UsageError(f"{image.path}: RAM is too small: the image reaches "
                                 f"{addr + seg_size:#x}, where the device tree goes "
                                 f"({fdt_addr:#x}); try a larger -m")


def load_guests(machine: Machine, config: BootConfig, demo_image) -> tuple[Image | None, Image | None]:
    firmware = kernel = None
    if config.bios is None and config.kernel is None:
        firmware = demo_image()
    elif config.bios not in (None, "none"):
        firmware = load_image(config.bios, RAM_BASE)
    elif config.bios is None:
        raise UsageError("-kernel without -bios: give -bios none to start the kernel at "
                         "0x80000000, or -bios FILE for firmware such as OpenSBI")
    if firmware is not None:
        machine.load(firmware, "firmware")
    if config.kernel:
        end = firmware.end if firmware else RAM_BASE
        kernel = load_image(config.kernel, align_up(end, 2 << 20))
        machine.load(kernel, "kernel")
    return firmware, kernel


def attach_htif(machine: Machine, output) -> None:
    tohost = fromhost = None
    for image in machine.images:
        tohost = tohost or image.symbol("tohost")
        fromhost = fromhost or image.symbol("fromhost")
    if tohost is None:
        raise UsageError("-M spike needs an ELF with a `tohost` symbol (HTIF)")
    fromhost = fromhost if fromhost is not None else tohost + 8
    htif = Htif(tohost, fromhost, output, machine.power_off, machine.read_memory, machine.write_memory)
    machine.htif = htif
    machine.bus.map(tohost, htif_window(htif, tohost), 8)
    if not tohost <= fromhost < tohost + 8:
        machine.bus.map(fromhost, htif_window(htif, fromhost), 8)
    for hart in machine.harts:
        hart.set_hole(min(tohost, fromhost), max(tohost, fromhost) + 8)


class htif_window:
    """Adapts HTIF's absolute addresses to the bus's window offsets."""

    def __init__(self, htif: Htif, base: int):
        self.htif, self.base, self.size = htif, base, 8

    def read(self, offset: int, size: int) -> int:
        return self.htif.read(self.base + offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self.htif.write(self.base + offset, size, value)


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def fdt_address(ram_size: int, size: int) -> int:
    """Where QEMU puts the device tree: the top of RAM (below 3 GiB), aligned down to 2 MiB."""
    top = RAM_BASE + min(ram_size, (3 << 30) - RAM_BASE)
    return (top - size) // (2 << 20) * (2 << 20)
