"""The instruction cycle: fetch, decode, execute, retire, one instruction at a time.

RV64I (Unprivileged ISA chapters 2 and 5), M (7), A (8, in atomic.py), C (16, expanded by
compressed.py), F and D (11, 12, in fpu.py over softfloat.py), Zicsr (9, in csr.py),
Zifencei (3) and the privileged instructions ecall, ebreak, mret, sret, wfi and sfence.vma
(privileged spec 3.3). Instruction fields follow the base formats of 2.2-2.3; the opcode map
is table 24.1.

This is the hot path. A fetch, load or store whose page is in the TLB goes straight to RAM
here; anything else (a TLB miss, a device, a fault) goes to memory.py. When something
raises an exception, the trap has already been entered and `h.trapped` is set: the
instruction is abandoned without retiring. Instructions that can change which interrupts
are deliverable (CSR writes, xRET, wfi) and device accesses end the run, so the board
looks at interrupts before the next instruction.
"""

import cython

from downstairs.machine.core import alu, atomic, compressed, csr, fpu, memory, physmem, trap
from downstairs.machine.core.consts import (
    EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW,
    PRV_M, PRV_S, PRV_U,
)
from downstairs.machine.core.state import Hart

# The constants of the hot loop. The compiled engine has them as C compile-time constants
# (execute.pxd), so masks like `& MASK64` cost nothing there; CPython needs their values.
if not cython.compiled:
    from downstairs.machine.core.consts import (
        ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, MASK32, MASK64, SIGN64, TLB_EMPTY, TLB_INDEX_MASK,
    )

# Major opcodes (table 24.1). The compiled engine sees them as a C enum (execute.pxd), so the
# dispatch below becomes a jump table; the reference engine needs the same names as values.
if not cython.compiled:
    LOAD, MISC_MEM, OP_IMM, AUIPC, OP_IMM_32 = 0x03, 0x0F, 0x13, 0x17, 0x1B
    STORE, AMO, OP, LUI, OP_32 = 0x23, 0x2F, 0x33, 0x37, 0x3B
    BRANCH, JALR, JAL, SYSTEM = 0x63, 0x67, 0x6F, 0x73
    UPPER20 = 0xFFFFF000               # the U-type immediate field

# The expansion of every 16-bit parcel seen so far (0: not expanded yet).
RVC_ILLEGAL = compressed.ILLEGAL
if cython.compiled:
    RVC_EMPTY: cython.int
    for RVC_EMPTY in range(65536):
        RVC[RVC_EMPTY] = 0
else:
    RVC = [0] * 65536


def ram_load(h: Hart, offset: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """A TLB hit reads RAM in place: physmem.ram_read, inlined into the hot loop."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 4:
            return cython.cast(cython.p_uint, p)[0]
        if size == 8:
            return cython.cast(cython.p_ulonglong, p)[0]
        if size == 2:
            return cython.cast(cython.p_ushort, p)[0]
        return p[0]
    return physmem.ram_read(h, offset, size)


def ram_store(h: Hart, offset: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> None:
    """A TLB hit writes RAM in place: physmem.ram_write, inlined into the hot loop."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 8:
            cython.cast(cython.p_ulonglong, p)[0] = value
        elif size == 4:
            cython.cast(cython.p_uint, p)[0] = cython.cast(cython.uint, value)
        elif size == 2:
            cython.cast(cython.p_ushort, p)[0] = cython.cast(cython.ushort, value)
        else:
            p[0] = cython.cast(cython.uchar, value)
    else:
        physmem.ram_write(h, offset, size, value)


def sext(value: cython.ulonglong, bits: cython.int) -> cython.ulonglong:
    """Sign-extend the low `bits` bits of value to 64."""
    sign: cython.ulonglong = cython.cast(cython.ulonglong, 1) << (bits - 1)
    low: cython.ulonglong = value & ((sign << 1) - 1)
    return ((low ^ sign) - sign) & MASK64


def sra(value: cython.ulonglong, shamt: cython.int) -> cython.ulonglong:
    """Arithmetic shift right of a 64-bit pattern: bias to unsigned, shift, unbias."""
    return (((value ^ SIGN64) >> shamt) - (SIGN64 >> shamt)) & MASK64


def lt(a: cython.ulonglong, b: cython.ulonglong) -> cython.bint:
    """Signed less-than on two's-complement patterns."""
    return (a ^ SIGN64) < (b ^ SIGN64)


def illegal(h: Hart, bits: cython.ulonglong) -> None:
    trap.exception(h, EXC_ILLEGAL_INSN, bits)


def run(h: Hart, budget: cython.ulonglong) -> cython.ulonglong:
    """Run up to `budget` instructions; return how many retired. Takes a pending interrupt
    first; returns at once while the hart sleeps in wfi with nothing to wake it. A trapping
    instruction counts against the budget too, so a hart stuck taking the same fault over and
    over (a broken trap vector) still returns to the board, which stays responsive."""
    if h.waiting:
        if h.mip & h.mie == 0:
            return 0
        h.waiting = 0
    trap.take_interrupt(h)
    retired: cython.ulonglong = 0
    steps: cython.ulonglong = 0
    base: cython.ulonglong = h.instret     # instret is h.instret at entry + retired so far
    h.device_access = 0
    h.trapped = 0
    # The page the last fetch came from, as (virtual page start, RAM offset): most
    # instructions follow one another on the same page, so most fetches skip the TLB lookup.
    fetch_page: cython.ulonglong = TLB_EMPTY
    fetch_off: cython.ulonglong = 0
    pc: cython.ulonglong
    npc: cython.ulonglong
    insn: cython.ulonglong
    raw: cython.ulonglong
    vpn: cython.ulonglong
    index: cython.int
    opcode: cython.int
    rd: cython.int
    rs1: cython.int
    rs2: cython.int
    funct3: cython.int
    funct7: cython.int
    a: cython.ulonglong
    b: cython.ulonglong
    imm: cython.ulonglong
    addr: cython.ulonglong
    value: cython.ulonglong
    shamt: cython.int
    size: cython.int
    stop: cython.bint = False
    pc = h.pc                                # kept in a register; h.pc is written for the slow paths
    while steps < budget:
        steps += 1
        if h.trapped:                        # the last instruction trapped: new pc, new TLBs
            h.trapped = 0
            fetch_page = TLB_EMPTY
            pc = h.pc
        h.pc = pc
        # ---- fetch: RAM in place unless the instruction might straddle a page -------------
        # One unsigned compare: on the cached page, and not its last halfword (where a 32-bit
        # instruction would straddle into the next page).
        if (pc - fetch_page) & MASK64 < 0xFFE:
            raw = ram_load(h, fetch_off + (pc & 0xFFF), 4)
        else:
            vpn = pc >> 12
            index = vpn & TLB_INDEX_MASK
            if h.tlb_vpn[ACCESS_FETCH][index] == vpn and (pc & 0xFFF) != 0xFFE:
                fetch_page = vpn << 12
                fetch_off = h.tlb_off[ACCESS_FETCH][index]
                raw = ram_load(h, fetch_off + (pc & 0xFFF), 4)
            else:
                h.instret = (base + retired) & MASK64
                raw = memory.fetch(h, pc)
                if h.trapped:
                    continue
        # ---- decode ----------------------------------------------------------------------
        if raw & 3 != 3:
            raw &= 0xFFFF
            insn = RVC[raw]
            if insn == 0:
                insn = compressed.expand(raw)
                RVC[raw] = insn
            if insn == RVC_ILLEGAL:
                illegal(h, raw)
                continue
            npc = pc + 2
        else:
            raw &= MASK32
            insn = raw
            npc = pc + 4
        opcode = insn & 0x7F
        rd = (insn >> 7) & 31
        rs1 = (insn >> 15) & 31
        rs2 = (insn >> 20) & 31
        funct3 = (insn >> 12) & 7
        a = h.x[rs1]
        # ---- execute ---------------------------------------------------------------------
        if opcode == OP_IMM:
            imm = sext(insn >> 20, 12)
            shamt = (insn >> 20) & 63
            if funct3 == 0:
                h.x[rd] = (a + imm) & MASK64
            elif funct3 == 1:
                if insn >> 26:
                    illegal(h, raw)
                    continue
                h.x[rd] = (a << shamt) & MASK64
            elif funct3 == 2:
                h.x[rd] = lt(a, imm)
            elif funct3 == 3:
                h.x[rd] = a < imm
            elif funct3 == 4:
                h.x[rd] = a ^ imm
            elif funct3 == 5:
                if insn >> 26 == 0:
                    h.x[rd] = a >> shamt
                elif insn >> 26 == 0x10:
                    h.x[rd] = sra(a, shamt)
                else:
                    illegal(h, raw)
                    continue
            elif funct3 == 6:
                h.x[rd] = a | imm
            else:
                h.x[rd] = a & imm
        elif opcode == LOAD:
            if funct3 == 7:
                illegal(h, raw)
                continue
            addr = (a + sext(insn >> 20, 12)) & MASK64
            size = 1 << (funct3 & 3)
            vpn = addr >> 12
            index = vpn & TLB_INDEX_MASK
            if h.tlb_vpn[ACCESS_LOAD][index] == vpn and (addr & 0xFFF) + size <= 0x1000:
                value = ram_load(h, h.tlb_off[ACCESS_LOAD][index] + (addr & 0xFFF), size)
            else:
                h.instret = (base + retired) & MASK64
                value = memory.load(h, addr, size)
                if h.trapped:
                    continue
                stop = h.device_access != 0  # a device may have raised an interrupt
            if funct3 < 3:
                value = sext(value, 8 * size)
            h.x[rd] = value
        elif opcode == STORE:
            if funct3 > 3:
                illegal(h, raw)
                continue
            addr = (a + sext(((insn >> 25) << 5) | ((insn >> 7) & 31), 12)) & MASK64
            size = 1 << funct3
            vpn = addr >> 12
            index = vpn & TLB_INDEX_MASK
            if h.tlb_vpn[ACCESS_STORE][index] == vpn and (addr & 0xFFF) + size <= 0x1000:
                ram_store(h, h.tlb_off[ACCESS_STORE][index] + (addr & 0xFFF), size, h.x[rs2])
            else:
                h.instret = (base + retired) & MASK64
                memory.store(h, addr, size, h.x[rs2])
                if h.trapped:
                    continue
                stop = h.device_access != 0
        elif opcode == OP:
            b = h.x[rs2]
            funct7 = insn >> 25
            if funct7 == 0:
                if funct3 == 0:
                    h.x[rd] = (a + b) & MASK64
                elif funct3 == 1:
                    h.x[rd] = (a << (b & 63)) & MASK64
                elif funct3 == 2:
                    h.x[rd] = lt(a, b)
                elif funct3 == 3:
                    h.x[rd] = a < b
                elif funct3 == 4:
                    h.x[rd] = a ^ b
                elif funct3 == 5:
                    h.x[rd] = a >> (b & 63)
                elif funct3 == 6:
                    h.x[rd] = a | b
                else:
                    h.x[rd] = a & b
            elif funct7 == 0x20 and funct3 == 0:
                h.x[rd] = (a - b) & MASK64
            elif funct7 == 0x20 and funct3 == 5:
                h.x[rd] = sra(a, b & 63)
            elif funct7 == 1:
                if funct3 == 0:
                    h.x[rd] = (a * b) & MASK64
                elif funct3 == 1:
                    h.x[rd] = alu.mulh(a, b)
                elif funct3 == 2:
                    h.x[rd] = alu.mulhsu(a, b)
                elif funct3 == 3:
                    h.x[rd] = alu.mulhu(a, b)
                elif funct3 == 4:
                    h.x[rd] = alu.div(a, b)
                elif funct3 == 5:
                    h.x[rd] = alu.divu(a, b)
                elif funct3 == 6:
                    h.x[rd] = alu.rem(a, b)
                else:
                    h.x[rd] = alu.remu(a, b)
            else:
                illegal(h, raw)
                continue
        elif opcode == LUI:
            h.x[rd] = sext(insn & UPPER20, 32)
        elif opcode == AUIPC:
            h.x[rd] = (pc + sext(insn & UPPER20, 32)) & MASK64
        elif opcode == JAL:
            imm = sext(((insn >> 31) << 20) | (((insn >> 12) & 0xFF) << 12)
                       | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3FF) << 1), 21)
            h.x[rd] = npc
            npc = (pc + imm) & MASK64
        elif opcode == JALR:
            if funct3 != 0:
                illegal(h, raw)
                continue
            h.x[rd] = npc
            npc = (a + sext(insn >> 20, 12)) & (MASK64 - 1)
        elif opcode == BRANCH:
            b = h.x[rs2]
            if funct3 == 0:
                taken: cython.bint = a == b
            elif funct3 == 1:
                taken = a != b
            elif funct3 == 4:
                taken = lt(a, b)
            elif funct3 == 5:
                taken = not lt(a, b)
            elif funct3 == 6:
                taken = a < b
            elif funct3 == 7:
                taken = a >= b
            else:
                illegal(h, raw)
                continue
            if taken:
                npc = (pc + sext(((insn >> 31) << 12) | (((insn >> 7) & 1) << 11)
                                 | (((insn >> 25) & 0x3F) << 5) | (((insn >> 8) & 0xF) << 1), 13)) & MASK64
        elif opcode == OP_IMM_32:
            shamt = rs2                       # bits 24:20: a 5-bit shift amount
            if funct3 == 0:
                h.x[rd] = alu.sext32(a + sext(insn >> 20, 12))
            elif funct3 == 1 and insn >> 25 == 0:
                h.x[rd] = alu.sext32(a << shamt)
            elif funct3 == 5 and insn >> 25 == 0:
                h.x[rd] = alu.sext32((a & MASK32) >> shamt)
            elif funct3 == 5 and insn >> 25 == 0x20:
                h.x[rd] = sra(alu.sext32(a), shamt)
            else:
                illegal(h, raw)
                continue
        elif opcode == OP_32:
            b = h.x[rs2]
            funct7 = insn >> 25
            if funct7 == 0 and funct3 == 0:
                h.x[rd] = alu.sext32(a + b)
            elif funct7 == 0x20 and funct3 == 0:
                h.x[rd] = alu.sext32(a - b)
            elif funct7 == 0 and funct3 == 1:
                h.x[rd] = alu.sext32(a << (b & 31))
            elif funct7 == 0 and funct3 == 5:
                h.x[rd] = alu.sext32((a & MASK32) >> (b & 31))
            elif funct7 == 0x20 and funct3 == 5:
                h.x[rd] = sra(alu.sext32(a), b & 31)
            elif funct7 == 1 and funct3 == 0:
                h.x[rd] = alu.sext32(a * b)
            elif funct7 == 1 and funct3 >= 4:
                h.x[rd] = alu.divw(a, b, funct3 & 1, funct3 >= 6)
            else:
                illegal(h, raw)
                continue
        elif opcode == AMO:
            h.instret = (base + retired) & MASK64
            atomic.execute(h, insn)
            if h.trapped:
                continue
            stop = True
        elif opcode == MISC_MEM:
            # fence orders memory for other harts and devices; here every access is already
            # complete in order. fence.i: there is no instruction cache to synchronise.
            if funct3 > 1:
                illegal(h, raw)
                continue
        elif opcode == SYSTEM:
            h.instret = (base + retired) & MASK64
            if funct3 == 0:
                npc = system(h, insn, raw, npc)
            elif funct3 == 4:
                illegal(h, raw)
            else:
                csr.execute(h, insn)
                base = (h.instret - retired) & MASK64   # minstret may have been written
            if h.trapped:
                continue
            stop = True
        else:
            fpu.execute(h, insn, raw)         # LOAD-FP, STORE-FP, FMADD..FNMADD, OP-FP (F, D)
            if h.trapped:
                continue
        # ---- retire ----------------------------------------------------------------------
        h.x[0] = 0
        pc = npc
        retired += 1
        if stop:
            break
    if h.trapped:
        h.trapped = 0
    else:
        h.pc = pc
    h.instret = (base + retired) & MASK64
    return retired


def system(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong, npc: cython.ulonglong) -> cython.ulonglong:
    """The privileged instructions of funct3 = 0 (privileged spec 3.3). Returns the next pc."""
    funct7: cython.int = insn >> 25
    rs2: cython.int = (insn >> 20) & 31
    if insn == 0x00000073:                                        # ecall
        trap.exception(h, EXC_ECALL_U + h.priv, 0)
    elif insn == 0x00100073:                                      # ebreak
        trap.exception(h, EXC_BREAKPOINT, 0)                      # tval 0, as QEMU reports it
    elif insn == 0x30200073:                                      # mret
        if h.priv != PRV_M:
            illegal(h, raw)
        else:
            trap.mret(h)
            return h.pc
    elif insn == 0x10200073:                                      # sret
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TSR):
            illegal(h, raw)
        else:
            trap.sret(h)
            return h.pc
    elif insn == 0x10500073:                                      # wfi
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TW):
            illegal(h, raw)
        else:
            h.waiting = 1
    elif funct7 == 0x09 and (insn >> 7) & 31 == 0:                # sfence.vma
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TVM):
            illegal(h, raw)
        else:
            h.flush_tlb()
    else:
        illegal(h, raw)
    return npc
