"""Downstairs' SBI firmware: what runs at 0x80000000 when the machine leaves reset
(docs/firmware.md is the tour). Every hart arrives here with a0 = its hart id, a1 = the device
tree, a2 = QEMU's fw_dynamic info (OpenSBI's docs/firmware/fw_dynamic.md):

    fw_dynamic_info   +0 magic "OSBI" (0x4942534f)  +8 version  +16 next_addr  +24 next_mode
                      +32 options  +40 boot_hart

The compiler's entry code gives each hart a stack; the first to arrive runs main(), the others
warm_boot(): they wait in HSM's STOPPED state for hart_start.
"""

from downstairs.compiler.runtime import u64, entry, load64, image_start, wfi
from board import MAX_HARTS, HART_STACK, FW_JUMP_ADDR, power_off, PRV_S, PRV_U
import console
import fdt
import hart
import hsm
import trap  # noqa: F401  (the @machine_trap handler: mtvec points at its entry)

FW_DYNAMIC_MAGIC = 0x4942534F


def fail(message: bytes, value: u64) -> None:
    """A one-line reason on the console, then power off with status 1 (never returns)."""
    console.puts(b"downstairs-sbi: ")
    console.puts(message)
    console.put_hex(value)
    console.puts(b"\n")
    power_off(1)
    while True:
        wfi()


def warm_boot(hartid: u64, tree: u64, info: u64) -> None:
    hart.init()
    hsm.wait_for_start()


@entry(harts=MAX_HARTS, stack=HART_STACK, secondary=warm_boot)
def main(hartid: u64, tree: u64, info: u64) -> None:
    """The boot hart: its CSRs, the harts and memory from the device tree, the firmware's
    memory reserved there, a check that a next stage was loaded, the banner, and that stage in
    S-mode (or U-mode, as fw_dynamic says) with a0 = hart id, a1 = device tree."""
    hart.init()
    next_addr: u64 = FW_JUMP_ADDR
    mode: u64 = PRV_S
    if info != 0 and load64(info) == FW_DYNAMIC_MAGIC:
        next_addr = load64(info + 16)
        mode = load64(info + 24)
    if not fdt.scan(tree):
        fail(b"no usable device tree in a1: ", tree)
    ram_end = fdt.found.memory_base + fdt.found.memory_size
    if not fdt.reserve(tree, image_start(), hart.protected, ram_end):
        fail(b"no room to add /reserved-memory to the device tree at ", tree)
    hsm.init(hartid, fdt.found.harts | (u64(1) << hartid), ram_end)
    if mode != PRV_S and mode != PRV_U:
        fail(b"cannot start the next stage in mode ", mode)
    if not hsm.usable_address(next_addr) or load64(next_addr) == 0:
        fail(b"nothing to run at the next stage's address (no -kernel?): ", next_addr)
    console.puts(b"Downstairs SBI v2.0: ")
    console.put_dec(fdt.found.count)
    console.puts(b" harts, ")
    console.put_dec(fdt.found.memory_size >> 20)
    console.puts(b" MiB, next stage at ")
    console.put_hex(next_addr)
    console.puts(b"\n")
    hart.enter(next_addr, hartid, tree, mode)
