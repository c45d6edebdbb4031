"""Downstairs' SBI firmware: what runs at 0x80000000 when the machine leaves reset
(docs/firmware.md is the tour). Every hart arrives here with a0 = its hart id, a1 = the device
tree, a2 = QEMU's fw_dynamic info (OpenSBI's docs/firmware/fw_dynamic.md):

    fw_dynamic_info   +0 magic "OSBI" (0x4942534f)  +8 version  +16 next_addr  +24 next_mode
                      +32 options  +40 boot_hart

The compiler's entry code gives each hart a stack and picks the first to arrive as the boot
hart (the lottery), which runs main(): set up its CSRs, learn the harts and the memory from the
device tree, reserve its own memory there, check that something was loaded to run next, print
the banner and enter that next stage in S-mode with a0 = hart id, a1 = device tree. The other
harts run warm_boot(): the same CSRs, then they wait in HSM's STOPPED state for hart_start.
"""

from downstairs.compiler.runtime import u64, entry, load64, image_start
from board import MAX_HARTS, HART_STACK, FW_JUMP_ADDR, power_off
from csr import PRV_S, PRV_U
import console
import fdt
import hart
import hsm
import trap  # noqa: F401  (the @machine_trap handler: mtvec points at its entry)

FW_DYNAMIC_MAGIC = 0x4942534F


def fail(message: bytes, value: u64) -> None:
    """A one-line reason on the console, then power off with status 1."""
    console.puts(b"downstairs-sbi: ")
    console.puts(message)
    console.put_hex(value)
    console.putc(10)
    power_off(1)


def warm_boot(hartid: u64, tree: u64, info: u64) -> None:
    hart.init()
    hsm.wait_for_start()


@entry(harts=MAX_HARTS, stack=HART_STACK, secondary=warm_boot)
def main(hartid: u64, tree: u64, info: u64) -> None:
    hart.init()
    next_addr: u64 = FW_JUMP_ADDR
    mode: u64 = PRV_S
    if info != 0 and load64(info) == FW_DYNAMIC_MAGIC:
        next_addr = load64(info + 16)
        mode = load64(info + 24)
    if not fdt.valid(tree):
        fail(b"no device tree in a1: ", tree)
        return
    fdt.scan(tree)
    ram_end = fdt.found.memory_base + fdt.found.memory_size
    if not fdt.reserve(tree, image_start(), hart.protected_size(), ram_end):
        fail(b"no room to add /reserved-memory to the device tree at ", tree)
        return
    hsm.init(hartid, fdt.found.harts | (u64(1) << hartid), ram_end)
    if mode != PRV_S and mode != PRV_U:
        fail(b"cannot start the next stage in mode ", mode)
        return
    if not (hart.firmware_end() <= next_addr < ram_end) or load64(next_addr) == 0:
        fail(b"nothing to run at the next stage's address (no -kernel?): ", next_addr)
        return
    console.puts(b"Downstairs SBI v2.0: ")
    console.put_dec(fdt.found.count)
    console.puts(b" harts, ")
    console.put_dec(fdt.found.memory_size >> 20)
    console.puts(b" MiB, next stage at ")
    console.put_hex(next_addr)
    console.puts(b"\n")
    hart.enter(next_addr, hartid, tree, mode)
