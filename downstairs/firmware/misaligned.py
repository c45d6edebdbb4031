"""Misaligned loads and stores from S- and U-mode, done byte by byte, as OpenSBI's
lib/sbi/sbi_misaligned_ldst.c does (privileged spec 3.1.15: cause 4 for loads, 6 for stores,
mtval = the address). The instruction is read at mepc, and the bytes accessed, through the
trapped code's own translation (mprv accesses with mstatus.MPP = its mode); a fault on the way
is a nested trap from M-mode (hart.fault_taken) that S-mode then gets instead. Floating-point
loads and stores (their registers are not in the TrapFrame), AMOs and LR/SC go to S-mode.

    LOAD 0x03 funct3: 0 lb 1 lh 2 lw 3 ld 4 lbu 5 lhu 6 lwu      STORE 0x23: 0 sb 1 sh 2 sw 3 sd
    RVC quadrant 0 funct3: 2 c.lw 3 c.ld 6 c.sw 7 c.sd  (rd'/rs2' = bits 4:2, + 8)
    RVC quadrant 2 funct3: 2 c.lwsp 3 c.ldsp (rd = bits 11:7) 6 c.swsp 7 c.sdsp (rs2 = bits 6:2)
"""

from downstairs.compiler.runtime import u8, u64, TrapFrame, hart_id, csr_read, csr_write
from downstairs.compiler.runtime import mprv_load8, mprv_load16, mprv_store8
from board import MSTATUS, MPP, LOAD_PAGE_FAULT, INSN_PAGE_FAULT
import hart

SIGNED = 1 << 4
STORE = 1 << 5


def as_trapped_mode(status: u64) -> None:
    """Point mstatus.MPP at the trapped code's mode for the mprv access that follows, which
    may fault (hart.expect_fault)."""
    csr_write(MSTATUS, (csr_read(MSTATUS) & ~u64(MPP)) | (status & MPP))
    hart.expect_fault()


def fetch(frame: TrapFrame) -> u64:
    """The trapped instruction, or 0 with hart.probes[...].cause set if reading it faulted."""
    as_trapped_mode(frame.status)
    low = u64(mprv_load16(frame.pc))
    if hart.faulted() == 0 and low & 3 == 3:
        as_trapped_mode(frame.status)
        low |= u64(mprv_load16(frame.pc + 2)) << 16
        if hart.faulted() != 0:
            return 0
    return low


def decode(insn: u64) -> u64:
    """width | SIGNED | STORE | register << 8 for the loads and stores above, else 0."""
    funct3 = (insn >> 12) & 7
    if insn & 0x7F == 0x03 and funct3 != 7:
        width = u64(1) << (funct3 & 3)
        return width | (SIGNED if funct3 < 4 and width < 8 else 0) | (((insn >> 7) & 31) << 8)
    if insn & 0x7F == 0x23 and funct3 < 4:
        return (u64(1) << funct3) | STORE | (((insn >> 20) & 31) << 8)
    quadrant = insn & 3
    c3 = (insn >> 13) & 7                     # 2 c.lw(sp) 3 c.ld(sp) 6 c.sw(sp) 7 c.sd(sp)
    if (quadrant == 0 or quadrant == 2) and c3 & 3 >= 2:
        kind = (u64(4) if c3 & 1 == 0 else u64(8)) | (STORE if c3 >= 6 else SIGNED)
        if quadrant == 0:
            return kind | ((((insn >> 2) & 7) + 8) << 8)
        return kind | (((insn >> 7 if c3 < 6 else insn >> 2) & 31) << 8)
    return 0


def emulate(frame: TrapFrame) -> None:
    """Do the misaligned access the trapped code asked for, or hand S-mode the trap."""
    probe = hart.probes[hart_id()]
    insn = fetch(frame)
    if probe.cause != 0:
        hart.redirect(frame, INSN_PAGE_FAULT if probe.cause == LOAD_PAGE_FAULT else probe.cause, frame.pc)
        return
    what = decode(insn)
    if what == 0:
        hart.redirect(frame, frame.cause, frame.tval)
        return
    width = what & 0xF
    reg = (what >> 8) & 31
    where = frame.tval
    value: u64 = 0 if what & STORE == 0 else frame.regs[reg]
    for k in range(width):
        as_trapped_mode(frame.status)
        if what & STORE != 0:
            mprv_store8(where + k, u8((value >> (8 * k)) & 0xFF))
        else:
            value |= u64(mprv_load8(where + k)) << (8 * k)
        if hart.faulted() != 0:
            hart.redirect(frame, probe.cause, probe.tval)
            return
    if what & STORE == 0:
        if what & SIGNED != 0 and width < 8 and (value >> (8 * width - 1)) & 1 != 0:
            value |= ~u64(0) << (8 * width)
        if reg != 0:
            frame.regs[reg] = value
    frame.pc += 4 if insn & 3 == 3 else 2
