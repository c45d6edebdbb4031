"""The hardware as the firmware sees it: QEMU's `virt` board (QEMU hw/riscv/virt.c, our
machine/boards.py), what the firmware does to the board itself, and the hart's CSRs and the
bits of them it touches (RISC-V privileged spec 1.12: the CSR map in 2.2, M-mode in chapter 3,
S-mode in chapter 4; Sstc for stimecmp and menvcfg.STCE).

    0x00100000  sifive_test: write 0x5555 to power off, 0x3333 | code << 16 to fail, 0x7777 reset
    0x02000000  CLINT: msip[hart] at +4*hart (bit 0 raises the hart's M software interrupt),
                mtimecmp[hart] at +0x4000 + 8*hart, mtime at +0xBFF8
    0x10000000  16550A UART (console.py)
    0x80000000  RAM: this firmware, then the next stage at 0x80200000 (QEMU's -kernel)

    mstatus   63 SD | 22 TSR 21 TW 20 TVM 19 MXR 18 SUM 17 MPRV | 12:11 MPP | 8 SPP
              7 MPIE | 5 SPIE | 3 MIE | 1 SIE
    mip/mie   11 MEI | 9 SEI | 7 MTI | 5 STI | 3 MSI | 1 SSI   (pending / enabled)
    mcause    63 interrupt | code
"""

from downstairs.compiler.runtime import u32, u64, store32, store64

TEST = 0x100000
TEST_PASS = 0x5555
TEST_FAIL = 0x3333
TEST_RESET = 0x7777
CLINT_MSIP = 0x2000000
CLINT_MTIMECMP = 0x2004000
FW_JUMP_ADDR = 0x80200000        # the next stage when the boot ROM gave no fw_dynamic info
MAX_HARTS = 8
HART_STACK = 0x1000

# CSRs
MSTATUS = 0x300
MEDELEG = 0x302
MIDELEG = 0x303
MIE = 0x304
MCOUNTEREN = 0x306
MENVCFG = 0x30A
MIP = 0x344
PMPCFG0 = 0x3A0
PMPADDR0 = 0x3B0
PMPADDR1 = 0x3B1
MVENDORID = 0xF11
MARCHID = 0xF12
MIMPID = 0xF13
STVEC = 0x105
SCOUNTEREN = 0x106
SEPC = 0x141
SCAUSE = 0x142
STVAL = 0x143
SATP = 0x180
STIMECMP = 0x14D

# mstatus
SIE = 1 << 1
SPIE = 1 << 5
MPIE = 1 << 7
SPP = 1 << 8
MPP_SHIFT = 11
MPP = 3 << 11

# mip / mie
SSIP = 1 << 1
MSIP = 1 << 3
STIP = 1 << 5
MTIP = 1 << 7
SEIP = 1 << 9

MENVCFG_STCE = 1 << 63

# mcause (exception codes; interrupts have bit 63 set)
INTERRUPT = 1 << 63
LOAD_MISALIGNED = 4
STORE_MISALIGNED = 6
ECALL_S = 9
INSN_PAGE_FAULT = 12
LOAD_PAGE_FAULT = 13
IRQ_MSI = 3
IRQ_MTI = 7

PRV_U = 0
PRV_S = 1
PRV_M = 3


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
