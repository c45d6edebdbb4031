"""QEMU's `virt` board as the firmware sees it (QEMU hw/riscv/virt.c, our machine/boards.py):
where the devices are, and the two things the firmware does to the board itself.

    0x00100000  sifive_test: write 0x5555 to power off, 0x3333 | code << 16 to fail, 0x7777 reset
    0x02000000  CLINT: msip[hart] at +4*hart (bit 0 raises the hart's M software interrupt),
                mtimecmp[hart] at +0x4000 + 8*hart, mtime at +0xBFF8
    0x10000000  16550A UART (console.py)
    0x80000000  RAM: this firmware, then the next stage at 0x80200000 (QEMU's -kernel)
"""

from downstairs.compiler.runtime import u32, u64, store32, store64

TEST = 0x100000
TEST_PASS = 0x5555
TEST_FAIL = 0x3333
TEST_RESET = 0x7777
CLINT_MSIP = 0x2000000
CLINT_MTIMECMP = 0x2004000
RAM_BASE = 0x80000000
FW_JUMP_ADDR = 0x80200000        # the next stage when the boot ROM gave no fw_dynamic info
MAX_HARTS = 8
HART_STACK = 0x1000


def power_off(code: u32) -> None:
    """Power the board off: status 0, or `code` as the emulator's exit status."""
    store32(TEST, TEST_PASS if code == 0 else (code << 16) | TEST_FAIL)


def reset() -> None:
    store32(TEST, TEST_RESET)


def raise_software_interrupt(hart: u64, on: u32) -> None:
    """Set or clear the hart's M-mode software interrupt (mip.MSIP) through the CLINT."""
    store32(CLINT_MSIP + 4 * hart, on)


def set_timer(hart: u64, when: u64) -> None:
    store64(CLINT_MTIMECMP + 8 * hart, when)
