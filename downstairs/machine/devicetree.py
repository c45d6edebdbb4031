"""The device tree each board hands its firmware: what QEMU's `virt` (or `spike`) would say.

The Devicetree Specification v0.4 gives the generic nodes (/cpus, /memory, /chosen, the
`interrupts-extended` and `interrupt-parent` wiring of chapter 2.4); the RISC-V bindings
(Linux Documentation/devicetree/bindings/riscv/cpus.yaml, .../interrupt-controller/
sifive,plic-1.0.0.yaml, riscv,cpu-intc.yaml, timer/sifive,clint.yaml) the rest. Node names,
properties and phandle numbering follow QEMU 7.2's hw/riscv/virt.c, so that
`dtc -I dtb -O dts` of ours and of `qemu-system-riscv64 -M virt,dumpdtb=q.dtb` read alike.

Left out, because this machine has no such hardware: /pmu, /fw-cfg, /flash (CFI), /platform-bus
and /soc/pci. /chosen/rng-seed is 32 random bytes, as in QEMU, except when `seed` is given
(the board passes a fixed one under -icount, so that such runs are the same every time).
"""

import os

from downstairs.machine import fdt, virt
from downstairs.machine.clock import TIMEBASE_HZ
from downstairs.machine.core.consts import IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT

# As QEMU 7.2 names its default CPU, without H (this hart has no hypervisor extension).
ISA = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc"
SPIKE_ISA = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs"   # no `time` CSR on spike, so no Sstc


def virt_tree(ram_size: int, harts: int, bootargs: str = "", seed: bytes | None = None) -> fdt.Node:
    """QEMU virt's tree for `harts` harts and `ram_size` bytes of RAM, from virt.py's map;
    `seed` for /chosen/rng-seed (random when None)."""
    cpus, intcs = cpu_nodes(harts)
    plic_phandle = 2 * harts + 1
    test_phandle = plic_phandle + 1

    def on_plic(source: int) -> dict:
        """The properties that wire a node to PLIC source `source`."""
        return {"interrupts": source, "interrupt-parent": plic_phandle}

    soc = fdt.Node("soc", {"#address-cells": 2, "#size-cells": 2,
                           "compatible": "simple-bus", "ranges": True})
    soc.children.append(fdt.Node(f"rtc@{virt.RTC_BASE:x}", {
        **on_plic(virt.RTC_IRQ), "reg": fdt.u64_cells(virt.RTC_BASE, virt.RTC_SIZE),
        "compatible": "google,goldfish-rtc"}))
    soc.children.append(fdt.Node(f"serial@{virt.UART_BASE:x}", {
        **on_plic(virt.UART_IRQ), "clock-frequency": virt.UART_CLOCK,
        "reg": fdt.u64_cells(virt.UART_BASE, virt.UART_SIZE), "compatible": "ns16550a"}))
    soc.children.append(fdt.Node(f"test@{virt.TEST_BASE:x}", {
        "phandle": test_phandle, "reg": fdt.u64_cells(virt.TEST_BASE, virt.TEST_SIZE),
        "compatible": fdt.strings("sifive,test1", "sifive,test0", "syscon")}))
    for i in reversed(range(virt.VIRTIO_COUNT)):                # QEMU lists them downwards
        base = virt.VIRTIO_BASE + i * virt.VIRTIO_SIZE
        soc.children.append(fdt.Node(f"virtio_mmio@{base:x}", {
            **on_plic(virt.VIRTIO_IRQ + i), "reg": fdt.u64_cells(base, virt.VIRTIO_SIZE),
            "compatible": "virtio,mmio"}))
    plic_irqs, clint_irqs = [], []
    for intc in intcs:
        plic_irqs += [intc, IRQ_M_EXT, intc, IRQ_S_EXT]      # contexts 2h (M) and 2h+1 (S)
        clint_irqs += [intc, IRQ_M_SOFT, intc, IRQ_M_TIMER]
    soc.children.append(fdt.Node(f"plic@{virt.PLIC_BASE:x}", {
        "phandle": plic_phandle, "riscv,ndev": virt.PLIC_SOURCES - 1,
        "reg": fdt.u64_cells(virt.PLIC_BASE, virt.PLIC_SIZE),
        "interrupts-extended": fdt.cells(*plic_irqs), "interrupt-controller": True,
        "compatible": fdt.strings("sifive,plic-1.0.0", "riscv,plic0"),
        "#address-cells": 0, "#interrupt-cells": 1}))
    soc.children.append(fdt.Node(f"clint@{virt.CLINT_BASE:x}", {
        "interrupts-extended": fdt.cells(*clint_irqs),
        "reg": fdt.u64_cells(virt.CLINT_BASE, virt.CLINT_SIZE),
        "compatible": fdt.strings("sifive,clint0", "riscv,clint0")}))

    chosen = {"bootargs": bootargs} if bootargs else {}
    chosen["rng-seed"] = seed if seed is not None else os.urandom(32)
    chosen["stdout-path"] = f"/soc/serial@{virt.UART_BASE:x}"
    syscon = {"offset": 0, "regmap": test_phandle}
    return fdt.Node("", {"#address-cells": 2, "#size-cells": 2,
                         "compatible": "riscv-virtio", "model": "riscv-virtio,qemu"}, [
        fdt.Node("chosen", chosen),
        fdt.Node("poweroff", {"value": 0x5555, **syscon, "compatible": "syscon-poweroff"}),
        fdt.Node("reboot", {"value": 0x7777, **syscon, "compatible": "syscon-reboot"}),
        memory(virt.RAM_BASE, ram_size),
        cpus,
        soc,
    ])


def spike_tree(ram_size: int, harts: int, bootargs: str = "") -> fdt.Node:
    """QEMU spike's tree, from spike.py's map (HTIF is found through the ELF, not here)."""
    from downstairs.machine import spike      # only a spike run needs the board's module
    cpus, intcs = cpu_nodes(harts, SPIKE_ISA)
    clint_irqs = []
    for intc in intcs:
        clint_irqs += [intc, IRQ_M_SOFT, intc, IRQ_M_TIMER]
    soc = fdt.Node("soc", {"#address-cells": 2, "#size-cells": 2,
                           "compatible": "simple-bus", "ranges": True}, [
        fdt.Node(f"clint@{spike.CLINT_BASE:x}", {
            "interrupts-extended": fdt.cells(*clint_irqs),
            "reg": fdt.u64_cells(spike.CLINT_BASE, spike.CLINT_SIZE),
            "compatible": fdt.strings("sifive,clint0", "riscv,clint0")})])
    chosen = {"bootargs": bootargs} if bootargs else {}
    return fdt.Node("", {"#address-cells": 2, "#size-cells": 2,
                         "compatible": "ucbbar,spike-bare-dev", "model": "ucbbar,spike-bare,qemu"},
                    [fdt.Node("chosen", chosen), memory(spike.RAM_BASE, ram_size), cpus, soc])


def memory(ram_base: int, ram_size: int) -> fdt.Node:
    """/memory@BASE: the one RAM range."""
    return fdt.Node(f"memory@{ram_base:x}", {"device_type": "memory",
                                             "reg": fdt.u64_cells(ram_base, ram_size)})


def cpu_nodes(harts: int, isa: str = ISA) -> tuple[fdt.Node, list[int]]:
    """/cpus with one cpu@N per hart, each with its local interrupt controller (the mip/mie
    bits, "riscv,cpu-intc"), and the cpu-map topology. Returns the intc phandles."""
    cpus = fdt.Node("cpus", {"#address-cells": 1, "#size-cells": 0,
                             "timebase-frequency": TIMEBASE_HZ})
    intcs = []
    cores = fdt.Node("cluster0")
    for hart in range(harts):
        cpu_phandle, intc_phandle = 1 + 2 * hart, 2 + 2 * hart
        intcs.append(intc_phandle)
        intc = fdt.Node("interrupt-controller", {
            "#interrupt-cells": 1, "interrupt-controller": True,
            "compatible": "riscv,cpu-intc", "phandle": intc_phandle})
        cpus.children.append(fdt.Node(f"cpu@{hart}", {
            "phandle": cpu_phandle, "device_type": "cpu", "reg": hart, "status": "okay",
            "compatible": "riscv", "riscv,isa": isa, "mmu-type": "riscv,sv48"}, [intc]))
        cores.children.append(fdt.Node(f"core{hart}", {"cpu": cpu_phandle}))
    cpus.children.append(fdt.Node("cpu-map", {}, [cores]))
    return cpus, intcs
