"""Device models, written once and used by both the RISC-V machine and the x86 hypervisor.

Every memory-mapped device has the same small shape:

    size                          bytes of its register window
    read(offset, size) -> int     a guest load of `size` bytes (1, 2, 4 or 8) at `offset`
    write(offset, size, value)    a guest store

Offsets are relative to the device's base address, which the board chooses. Devices never
raise on guest input: an unknown register reads as zero and ignores writes, as real
hardware does. A device that interrupts is handed an `irq` callable at construction,
`irq(level: bool)`, which the board wires to an interrupt controller (the PLIC on RISC-V,
the in-kernel IOAPIC under KVM).
"""
