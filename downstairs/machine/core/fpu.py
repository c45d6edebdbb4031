"""The F and D extensions on a hart: decode and run every floating-point instruction.

Unprivileged ISA chapter 11 (F: single precision, fcsr, NaN boxing in 12.2) and 12 (D:
double precision), with the encodings of table 24.1: LOAD-FP and STORE-FP (flw/fld,
fsw/fsd; the compressed c.fld/c.fsd/c.fldsp/c.fsdsp arrive here expanded), the fused
multiply-adds FMADD/FMSUB/FNMSUB/FNMADD, and OP-FP. The arithmetic is softfloat.py's.

f registers are 64 bits wide. A single lives in the low half with the upper 32 bits all
ones (NaN boxing); a single-precision operand that is not boxed reads as the canonical NaN.
fmv.x.w and fsw take the low 32 bits as they are.

Privileged spec 3.1.6.6: mstatus.FS = Off makes every FP instruction (and fcsr access, in
csr.py) an illegal instruction; any write to an f register or to fflags sets FS = Dirty.
A rounding-mode field of 5 or 6, or dynamic (7) while frm holds 5-7, is illegal too (11.2).
"""

import cython

from downstairs.machine.core import alu, memory, physmem, softfloat, trap
from downstairs.machine.core.consts import (
    ACCESS_LOAD, ACCESS_STORE, EXC_ILLEGAL_INSN, MASK32, MASK64, MSTATUS_FS, TLB_INDEX_MASK,
)
from downstairs.machine.core.state import Hart

LOAD_FP, STORE_FP, OP_FP = 0x07, 0x27, 0x53
FMADD, FMSUB, FNMSUB, FNMADD = 0x43, 0x47, 0x4B, 0x4F
BOX = 0xFFFFFFFF00000000            # the upper half of a NaN-boxed single
CANONICAL_S = 0x7FC00000
SIGN32 = 0x80000000
SIGN64 = 0x8000000000000000


def execute(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong) -> None:
    """Run one instruction of the FP opcodes; `raw` is what an illegal-instruction trap
    reports (the 16-bit parcel of a compressed one)."""
    if h.mstatus & MSTATUS_FS == 0:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    opcode: cython.int = insn & 0x7F
    if opcode == LOAD_FP:
        load(h, insn, raw)
    elif opcode == STORE_FP:
        store(h, insn, raw)
    elif opcode == OP_FP:
        op_fp(h, insn, raw)
    elif opcode == FMADD or opcode == FMSUB or opcode == FNMSUB or opcode == FNMADD:
        fused(h, insn, raw)
    else:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)


# ---- registers, flags and the rounding mode --------------------------------------------------

def operand(h: Hart, n: cython.int, d: cython.bint) -> cython.ulonglong:
    """f[n] as a double, or as a single unboxed (canonical NaN if it is not boxed)."""
    value: cython.ulonglong = h.f[n]
    if d:
        return value
    if value >> 32 == MASK32:
        return value & MASK32
    return CANONICAL_S


def set_f(h: Hart, n: cython.int, value: cython.ulonglong, d: cython.bint) -> None:
    """Write f[n] (boxing a single) and mark the FP state dirty."""
    h.f[n] = value if d else (value & MASK32) | BOX
    h.mstatus |= MSTATUS_FS


def accrue(h: Hart) -> None:
    """OR the flags the operation raised into fflags (a change of FP state: dirty)."""
    raised: cython.int = softfloat.take_flags()
    if raised:
        h.fflags |= raised
        h.mstatus |= MSTATUS_FS


def rounding(h: Hart, insn: cython.ulonglong) -> cython.int:
    """The rounding mode an instruction asks for, or -1 if it is reserved (illegal)."""
    rm: cython.int = (insn >> 12) & 7
    if rm == 7:
        rm = h.frm
    return rm if rm <= 4 else -1


# ---- loads and stores (11.5, 12.3) -----------------------------------------------------------

def load(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong) -> None:
    """FLW/FLD: the word or doubleword at rs1 + imm into f[rd] (a single NaN-boxed); the TLB-hit
    path reads RAM directly, anything else goes through memory.load and may trap."""
    funct3: cython.int = (insn >> 12) & 7
    if funct3 != 2 and funct3 != 3:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    size: cython.int = 4 if funct3 == 2 else 8
    addr: cython.ulonglong = (h.x[(insn >> 15) & 31] + alu.sext(insn >> 20, 12)) & MASK64
    vpn: cython.ulonglong = (addr >> 12) | h.ctx_data
    index: cython.int = (addr >> 12) & TLB_INDEX_MASK
    value: cython.ulonglong
    if h.tlb_vpn[ACCESS_LOAD][index] == vpn and (addr & 0xFFF) + size <= 0x1000:
        value = physmem.ram_read(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, size)
    else:
        value = memory.load(h, addr, size)
        if h.trapped:
            return
    set_f(h, (insn >> 7) & 31, value, size == 8)


def store(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong) -> None:
    """FSW/FSD: the low 32 or all 64 bits of f[rs2] to rs1 + imm (S-type offset)."""
    funct3: cython.int = (insn >> 12) & 7
    if funct3 != 2 and funct3 != 3:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    size: cython.int = 4 if funct3 == 2 else 8
    offset: cython.ulonglong = ((insn >> 25) << 5) | ((insn >> 7) & 31)
    addr: cython.ulonglong = (h.x[(insn >> 15) & 31] + alu.sext(offset, 12)) & MASK64
    value: cython.ulonglong = h.f[(insn >> 20) & 31]
    if size == 4:
        value &= MASK32
    vpn: cython.ulonglong = (addr >> 12) | h.ctx_data
    index: cython.int = (addr >> 12) & TLB_INDEX_MASK
    if h.tlb_vpn[ACCESS_STORE][index] == vpn and (addr & 0xFFF) + size <= 0x1000:
        physmem.ram_write(h, (addr + h.tlb_add[ACCESS_STORE][index]) & MASK64, size, value)
    else:
        memory.store(h, addr, size, value)


# ---- fused multiply-add (11.6, R4-type) ----------------------------------------------------

def fused(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong) -> None:
    """FMADD/FMSUB/FNMSUB/FNMADD (R4-type): rs1 * rs2 + rs3 with one rounding, the signs of
    the product and of rs3 flipped as the opcode says."""
    fmt: cython.int = (insn >> 25) & 3
    rm: cython.int = rounding(h, insn)
    if fmt > 1 or rm < 0:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    d: cython.bint = fmt == 1
    sign: cython.ulonglong = SIGN64 if d else SIGN32
    a: cython.ulonglong = operand(h, (insn >> 15) & 31, d)
    b: cython.ulonglong = operand(h, (insn >> 20) & 31, d)
    c: cython.ulonglong = operand(h, insn >> 27, d)
    opcode: cython.int = insn & 0x7F
    if opcode == FMSUB or opcode == FNMADD:
        c ^= sign                                     # ... - c
    if opcode == FNMSUB or opcode == FNMADD:
        a ^= sign                                     # -(a * b) ...
    set_f(h, (insn >> 7) & 31, softfloat.mul_add(d, a, b, c, rm), d)
    accrue(h)


# ---- OP-FP (11.6-11.9, 12.4-12.6) ----------------------------------------------------------

def op_fp(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong) -> None:
    """OP-FP: arithmetic, sign injection, min/max, compares, classify, conversions and moves,
    selected by funct5 and fmt (S or D); reserved encodings are illegal instructions."""
    funct5: cython.int = insn >> 27
    fmt: cython.int = (insn >> 25) & 3
    funct3: cython.int = (insn >> 12) & 7
    rd: cython.int = (insn >> 7) & 31
    rs1: cython.int = (insn >> 15) & 31
    rs2: cython.int = (insn >> 20) & 31
    if fmt > 1:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    d: cython.bint = fmt == 1
    sign: cython.ulonglong = SIGN64 if d else SIGN32
    a: cython.ulonglong = operand(h, rs1, d)
    b: cython.ulonglong = operand(h, rs2, d)
    rm: cython.int = rounding(h, insn)
    if funct5 <= 3 or funct5 == 0x0B or funct5 == 0x08 or funct5 == 0x18 or funct5 == 0x1A:
        if rm < 0:                                    # the instructions with an rm field
            trap.exception(h, EXC_ILLEGAL_INSN, raw)
            return
    if funct5 == 0x00:
        set_f(h, rd, softfloat.add(d, a, b, rm), d)
    elif funct5 == 0x01:
        set_f(h, rd, softfloat.sub(d, a, b, rm), d)
    elif funct5 == 0x02:
        set_f(h, rd, softfloat.mul(d, a, b, rm), d)
    elif funct5 == 0x03:
        set_f(h, rd, softfloat.div(d, a, b, rm), d)
    elif funct5 == 0x0B and rs2 == 0:
        set_f(h, rd, softfloat.sqrt(d, a, rm), d)
    elif funct5 == 0x04 and funct3 <= 2:             # fsgnj, fsgnjn, fsgnjx
        if funct3 == 0:
            a = (a & ~sign) | (b & sign)
        elif funct3 == 1:
            a = (a & ~sign) | (~b & sign)
        else:
            a ^= b & sign
        set_f(h, rd, a, d)
    elif funct5 == 0x05 and funct3 <= 1:             # fmin, fmax
        set_f(h, rd, softfloat.min_max(d, a, b, funct3 == 1), d)
    elif funct5 == 0x08 and d and rs2 == 0:          # fcvt.d.s
        set_f(h, rd, softfloat.widen(operand(h, rs1, False)), True)
    elif funct5 == 0x08 and not d and rs2 == 1:      # fcvt.s.d
        set_f(h, rd, softfloat.narrow(operand(h, rs1, True), rm), False)
    elif funct5 == 0x14 and funct3 <= 2:             # fle, flt, feq
        if funct3 == 2:
            h.x[rd] = softfloat.feq(d, a, b)
        elif funct3 == 1:
            h.x[rd] = softfloat.flt(d, a, b)
        else:
            h.x[rd] = softfloat.fle(d, a, b)
    elif funct5 == 0x18 and rs2 <= 3:                # fcvt.{w,wu,l,lu}.{s,d}
        h.x[rd] = softfloat.to_int(d, a, rm, rs2)
    elif funct5 == 0x1A and rs2 <= 3:                # fcvt.{s,d}.{w,wu,l,lu}
        set_f(h, rd, softfloat.from_int(d, h.x[rs1], rm, rs2), d)
    elif funct5 == 0x1C and rs2 == 0 and funct3 == 0:    # fmv.x.w, fmv.x.d: the bits as they are
        h.x[rd] = h.f[rs1] if d else alu.sext(h.f[rs1], 32)
    elif funct5 == 0x1C and rs2 == 0 and funct3 == 1:    # fclass
        h.x[rd] = softfloat.fclass(d, a)
    elif funct5 == 0x1E and rs2 == 0 and funct3 == 0:    # fmv.w.x, fmv.d.x
        set_f(h, rd, h.x[rs1], d)
    else:
        trap.exception(h, EXC_ILLEGAL_INSN, raw)
        return
    accrue(h)
