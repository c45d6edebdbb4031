"""Virtio 1.2 devices over the MMIO transport, shared by the RISC-V machine and the KVM microVM.

    queue.py    split virtqueues (descriptor table, available and used rings)
    mmio.py     the virtio-mmio register window (transport version 2)
    device.py   what every device model provides to the transport
    block.py    virtio-blk (device ID 2)
    console.py  virtio-console (device ID 3)
    rng.py      virtio-rng, the entropy device (device ID 4)

Usage on any board: `VirtioMmio(Block(path), memory, irq)` is an MMIO device with `size`,
`read` and `write` (see downstairs/devices/__init__.py), `memory` is a
`downstairs.devices.memory.BufferMemory` (the KVM microVM's guest RAM) or
`downstairs.machine.dma.RamMemory` (the RISC-V machine's RAM, which also keeps the harts'
decoded instructions in step with what devices write), `irq(level)` drives the interrupt line:
a GSI on the microVM, the slot's PLIC source on the RISC-V virt board (machine/boards.py).
"""
