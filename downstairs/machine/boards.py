"""QEMU's two RISC-V boards as this machine builds them: `virt` and `spike`.

virt (QEMU hw/riscv/virt.c memory map):
    0x00001000  mask ROM with the reset vector (bootrom.py) and, in RAM, the device tree
    0x00100000  sifive_test: power off / reset
    0x02000000  CLINT: mtime, mtimecmp, msip
    0x10000000  16550A UART
    0x80000000  RAM
spike (the Spike simulator's layout, as QEMU's `spike` machine has it):
    0x00001000  mask ROM, 0x02000000 CLINT, 0x80000000 RAM, and HTIF at the ELF's
                `tohost`/`fromhost` symbols.

Loading follows QEMU's rules so one command line means the same on both: `-bios FILE`
loads firmware (an ELF at its addresses, a raw image at 0x80000000) and the ROM jumps to
0x80000000; `-kernel FILE` then loads at its ELF addresses or, raw, at the firmware's end
rounded up to 2 MiB, and the ROM tells the firmware where it is (fw_dynamic, a2). With
`-bios none` the kernel itself starts at 0x80000000.
"""

from dataclasses import dataclass

from downstairs.devices.clint import Clint
from downstairs.devices.htif import Htif
from downstairs.devices.rom import Rom
from downstairs.devices.sifive_test import SifiveTest
from downstairs.devices.uart16550 import Uart16550
from downstairs.errors import UsageError
from downstairs.machine import bootrom, fdt
from downstairs.machine.board import RAM_BASE, TIMEBASE_HZ, Machine
from downstairs.machine.loader import Image, load_image

ROM_BASE, ROM_SIZE = 0x1000, 0xF000
TEST_BASE = 0x100000
CLINT_BASE = 0x2000000
UART_BASE, UART_SIZE, UART_CLOCK = 0x10000000, 0x100, 3686400
ISA = "rv64imafdc_zicsr_zifencei_zihintpause"


@dataclass
class BootConfig:
    board: str = "virt"
    ram_size: int = 128 << 20
    bios: str | None = None          # a path, "none", or None for the built-in demo
    kernel: str | None = None
    append: str = ""
    harts: int = 1


def build(config: BootConfig, engine, output, demo_image=None) -> Machine:
    """Assemble a machine for `config`. `output` receives the console's bytes;
    `demo_image()` gives the firmware to run when neither -bios nor -kernel is given."""
    if config.board not in ("virt", "spike"):
        raise UsageError(f"unknown machine {config.board!r}: choose virt or spike")
    machine = Machine(engine, config.ram_size, config.harts, time_csr=config.board == "virt")
    firmware, kernel = load_guests(machine, config, demo_image)
    machine.clint = Clint(config.harts, machine.clock.mtime, machine.clock.set_mtime)
    machine.bus.map(CLINT_BASE, machine.clint)
    if config.board == "virt":
        uart = Uart16550(output)
        machine.uart = uart
        machine.bus.map(UART_BASE, uart, UART_SIZE)
        machine.bus.map(TEST_BASE, SifiveTest(machine.power_off, machine.request_reset))
    else:
        attach_htif(machine, output)
    tree = fdt.build(device_tree(config))
    fdt_addr = fdt_address(config.ram_size, len(tree))
    machine.write_memory(fdt_addr, tree)
    start = RAM_BASE
    next_addr = kernel.entry if kernel else 0
    machine.bus.map(ROM_BASE, Rom(bootrom.reset_vector(start, fdt_addr, next_addr), ROM_SIZE))
    machine.fdt = tree
    machine.fdt_addr = fdt_addr
    return machine


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


def device_tree(config: BootConfig) -> fdt.Node:
    ram = fdt.Node(f"memory@{RAM_BASE:x}", {"device_type": "memory",
                                            "reg": fdt.u64_cells(RAM_BASE, config.ram_size)})
    cpus = fdt.Node("cpus", {"#address-cells": 1, "#size-cells": 0,
                             "timebase-frequency": TIMEBASE_HZ})
    clint_irqs = []
    for hart in range(config.harts):
        phandle = 1 + hart
        intc = fdt.Node("interrupt-controller", {
            "#interrupt-cells": 1, "interrupt-controller": True,
            "compatible": "riscv,cpu-intc", "phandle": phandle})
        cpus.children.append(fdt.Node(f"cpu@{hart}", {
            "device_type": "cpu", "reg": hart, "status": "okay", "compatible": "riscv",
            "riscv,isa": ISA, "mmu-type": "riscv,sv48"}, [intc]))
        clint_irqs += [phandle, 3, phandle, 7]    # machine software and timer interrupts
    soc = fdt.Node("soc", {"#address-cells": 2, "#size-cells": 2,
                           "compatible": "simple-bus", "ranges": True})
    soc.children.append(fdt.Node(f"clint@{CLINT_BASE:x}", {
        "interrupts-extended": fdt.cells(*clint_irqs),
        "reg": fdt.u64_cells(CLINT_BASE, 0x10000),
        "compatible": fdt.strings("sifive,clint0", "riscv,clint0")}))
    chosen = {"bootargs": config.append} if config.append else {}
    if config.board == "virt":
        soc.children.append(fdt.Node(f"serial@{UART_BASE:x}", {
            "clock-frequency": UART_CLOCK, "reg": fdt.u64_cells(UART_BASE, UART_SIZE),
            "compatible": "ns16550a"}))
        soc.children.append(fdt.Node(f"test@{TEST_BASE:x}", {
            "reg": fdt.u64_cells(TEST_BASE, 0x1000),
            "compatible": fdt.strings("sifive,test1", "sifive,test0", "syscon")}))
        chosen["stdout-path"] = f"/soc/serial@{UART_BASE:x}"
        model, compatible = "riscv-virtio,qemu", "riscv-virtio"
    else:
        model, compatible = "ucbbar,spike-bare,qemu", "ucbbar,spike-bare-dev"
    return fdt.Node("", {"#address-cells": 2, "#size-cells": 2, "compatible": compatible,
                         "model": model},
                    [fdt.Node("chosen", chosen), ram, cpus, soc])
