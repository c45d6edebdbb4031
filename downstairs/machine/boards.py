"""QEMU's two RISC-V boards, `virt` and `spike`, and the loading rules they share.

Each board has a file of its own that owns its memory map and its devices (virt.py,
spike.py); this one picks the board by name (`board`, the one check of a board's name),
builds a Machine for it, and boots it as QEMU does, so one command line means the same on
both: `-bios FILE` loads firmware (an ELF at its addresses, a raw image at 0x80000000) and
the ROM jumps to 0x80000000; `-kernel FILE` then loads at its ELF addresses or, raw, at the
firmware's end rounded up to 2 MiB, and the ROM tells the firmware where it is (fw_dynamic,
a2). With `-bios none` the kernel itself starts at 0x80000000; with neither, the built-in
demo (demo.py) is the firmware. The device tree (devicetree.py) goes at the top of RAM.
"""

import importlib

from downstairs.devices.rom import Rom
from downstairs.errors import UsageError
from downstairs.machine import bootrom, devicetree, fdt
from downstairs.machine.drives import VirtioSpec
from downstairs.machine.loader import load_image
from downstairs.machine.machine import Machine, discard, no_input

# Each board's module, imported when a machine of that board is built: start-up time counts,
# and a virt run needs nothing of spike's.
BOARDS = {"virt": "downstairs.machine.virt", "spike": "downstairs.machine.spike"}
FIXED_SEED = bytes(range(32))        # /chosen/rng-seed when a run must be reproducible


class BootConfig:
    def __init__(self, board: str = "virt", ram_size: int = 128 << 20, bios: str | None = None,
                 kernel: str | None = None, append: str = "", harts: int = 1,
                 icount: int | None = None, virtio: list[VirtioSpec] | None = None,
                 no_reboot: bool = False):
        """What QEMU's command line says about a machine (machine/command.py parses it)."""
        self.board = board
        self.ram_size = ram_size
        self.bios = bios                 # a path, "none", or None for the built-in demo
        self.kernel = kernel
        self.append = append
        self.harts = harts
        self.icount = icount             # QEMU's -icount shift: time follows instructions
        self.virtio = [] if virtio is None else virtio   # devices for the virtio slots, in order
        self.no_reboot = no_reboot       # -no-reboot: a reset request powers off


def board(name: str):
    """The module of the board called `name` (virt.py or spike.py); anything else is a
    UsageError naming the choices."""
    if name not in BOARDS:
        raise UsageError(f"unknown machine {name!r}: choose {' or '.join(BOARDS)}")
    return importlib.import_module(BOARDS[name])


def device_tree_blob(config: BootConfig) -> bytes:
    """The DTB the board hands its firmware (random /chosen/rng-seed unless -icount)."""
    board(config.board)
    if config.board == "spike":
        return fdt.build(devicetree.spike_tree(config.ram_size, config.harts, config.append))
    seed = FIXED_SEED if config.icount is not None else None
    return fdt.build(devicetree.virt_tree(config.ram_size, config.harts, config.append, seed))


def build(config: BootConfig, engine, output=discard, poll=no_input) -> Machine:
    """Assemble and load a machine for `config`, ready to run. `output` receives the
    console's bytes; `poll` is the host's input check (machine.py). Bad input (a file, a
    size, a board) is a UsageError before anything runs."""
    layout = board(config.board)
    machine = Machine(engine, layout.RAM_BASE, config.ram_size, config.harts,
                      time_csr=layout.TIME_CSR, icount=config.icount,
                      no_reboot=config.no_reboot, output=output, poll=poll,
                      reset_pc=layout.ROM_BASE)
    load_guests(machine, config)
    layout.attach(machine, config)
    tree = device_tree_blob(config)
    fdt_addr = fdt_address(machine.ram_base, config.ram_size, len(tree))
    check_room(machine, fdt_addr, len(tree))
    machine.install(fdt_addr, tree)
    next_addr = machine.kernel.entry if machine.kernel else 0
    rom = Rom(bootrom.reset_vector(machine.ram_base, fdt_addr, next_addr), layout.ROM_SIZE)
    machine.attach(layout.ROM_BASE, rom, executable=True)
    return machine


def check_room(machine: Machine, fdt_addr: int, size: int) -> None:
    """The device tree goes at the top of RAM: it must not land on a loaded image."""
    if fdt_addr < machine.ram_base:
        raise UsageError("RAM is too small to hold the device tree")
    for image in machine.images:
        for addr, _, seg_size in image.segments:
            if addr < fdt_addr + size and fdt_addr < addr + seg_size:
                raise UsageError(f"{image.path}: RAM is too small: the image reaches "
                                 f"{addr + seg_size:#x}, where the device tree goes "
                                 f"({fdt_addr:#x}); try a larger -m")


def load_guests(machine: Machine, config: BootConfig) -> None:
    """Load the firmware and the kernel QEMU's way (this file's docstring) into RAM."""
    firmware = None
    limit = machine.ram_size                    # no file can be larger than what it must fit in
    if config.bios is None and config.kernel is None:
        from downstairs.machine import demo     # imported only when it is what boots
        firmware = demo.image()
    elif config.bios not in (None, "none"):
        firmware = load_image(config.bios, machine.ram_base, limit)
    elif config.bios is None:
        raise UsageError("-kernel without -bios: give -bios none to start the kernel at "
                         f"{machine.ram_base:#x}, or -bios FILE for firmware such as OpenSBI")
    if firmware is not None:
        machine.load(firmware, "firmware")
    if config.kernel:
        end = firmware.end if firmware else machine.ram_base
        machine.load(load_image(config.kernel, align_up(end, 2 << 20), limit), "kernel")


def align_up(value: int, alignment: int) -> int:
    """value rounded up to a multiple of alignment."""
    return (value + alignment - 1) // alignment * alignment


def fdt_address(ram_base: int, ram_size: int, size: int) -> int:
    """Where QEMU puts the device tree: the top of RAM (below 3 GiB), aligned down to 2 MiB."""
    top = ram_base + min(ram_size, (3 << 30) - ram_base)
    return (top - size) // (2 << 20) * (2 << 20)
