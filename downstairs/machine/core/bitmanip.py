"""The B extension: Zba, Zbb, Zbc and Zbs (RISC-V Bit-Manipulation ISA-extensions 1.0.0).

Zba speeds up address arithmetic (shNadd: index << N + base; the .uw forms take an unsigned
32-bit index), Zbb is basic bit manipulation (and-not, rotates, counts of zeros and ones,
min/max, sign and zero extension, byte reversal), Zbc carry-less multiplication (CRCs, GCM)
and Zbs single-bit operations. All are plain functions of one or two registers, so
execute.py decodes each into one op, I_BITMANIP, with `decode` below naming which operation
it is (the number the run loop keeps in the decoded slot's funct3 field) and the shift
amount in the immediate; `execute` computes the result.

Where they live in the opcode map (funct7 or imm[11:6] / imm[11:0], funct3):

    OP       andn 0100000 111   orn 0100000 110   xnor 0100000 100
             min 0000101 100   minu 101   max 110   maxu 111
             clmul 0000101 001   clmulr 010   clmulh 011
             sh1add 0010000 010   sh2add 100   sh3add 110
             rol 0110000 001   ror 0110000 101
             bclr 0100100 001   bext 0100100 101   binv 0110100 001   bset 0010100 001
    OP-32    add.uw 0000100 000   zext.h 0000100 100 (rs2 = 0)
             sh1add.uw 0010000 010   sh2add.uw 100   sh3add.uw 110
             rolw 0110000 001   rorw 0110000 101
    OP-IMM   funct3 001: bseti 001010   bclri 010010   binvi 011010     (imm[11:6], shamt[5:0])
                         clz 0x600   ctz 0x601   cpop 0x602   sext.b 0x604   sext.h 0x605
             funct3 101: rori 011000   bexti 010010   orc.b 0x287   rev8 0x6b8 (RV64)
    OP-IMM-32 funct3 001: slli.uw 000010 (6-bit shamt)   clzw 0x600   ctzw 0x601   cpopw 0x602
              funct3 101: roriw 0110000 (5-bit shamt)
"""

import cython

from downstairs.isa.encode import OP, OP_32, OP_IMM, OP_IMM_32
from downstairs.machine.core.consts import MASK32, MASK64, SIGN64

# The operations, as decode() names them (kept in a decoded slot's funct3 byte). Where
# funct3 or the immediate picks among neighbours, their numbers are consecutive in that order.
B_ADD_UW, B_SH1ADD, B_SH2ADD, B_SH3ADD = 0, 1, 2, 3          # shNadd: N = the number
B_SH1ADD_UW, B_SH2ADD_UW, B_SH3ADD_UW, B_SLLI_UW = 4, 5, 6, 7
B_ANDN, B_ORN, B_XNOR = 8, 9, 10
B_CLZ, B_CTZ, B_CPOP = 11, 12, 13                            # imm 0x600, 0x601, 0x602
B_CLZW, B_CTZW, B_CPOPW = 14, 15, 16
B_MIN, B_MINU, B_MAX, B_MAXU = 17, 18, 19, 20                # funct3 4, 5, 6, 7
B_SEXT_B, B_SEXT_H, B_ZEXT_H = 21, 22, 23                    # imm 0x604, 0x605
B_ROL, B_ROLW, B_ROR, B_RORI, B_RORIW, B_RORW = 24, 25, 26, 27, 28, 29
B_ORC_B, B_REV8 = 30, 31
B_CLMUL, B_CLMULR, B_CLMULH = 32, 33, 34                     # funct3 1, 2, 3
B_BCLR, B_BCLRI, B_BEXT, B_BEXTI, B_BINV, B_BINVI, B_BSET, B_BSETI = 35, 36, 37, 38, 39, 40, 41, 42
NOT_B = -1


def decode(insn: cython.ulonglong) -> cython.int:
    """Which B operation the 32-bit instruction `insn` is (the table above), or NOT_B."""
    opcode: cython.int = insn & 0x7F
    funct3: cython.int = (insn >> 12) & 7
    funct7: cython.int = insn >> 25
    rs2: cython.int = (insn >> 20) & 31
    imm12: cython.int = insn >> 20
    imm6: cython.int = insn >> 26                     # imm[11:6], above a 6-bit shift amount
    if opcode == OP:
        if funct7 == 0x20:
            if funct3 == 7:
                return B_ANDN
            if funct3 == 6:
                return B_ORN
            if funct3 == 4:
                return B_XNOR
        elif funct7 == 0x05:
            if funct3 >= 4:
                return B_MIN + funct3 - 4
            if funct3 >= 1:
                return B_CLMUL + funct3 - 1
        elif funct7 == 0x10 and (funct3 == 2 or funct3 == 4 or funct3 == 6):
            return B_SH1ADD + funct3 // 2 - 1
        elif funct7 == 0x30:
            if funct3 == 1:
                return B_ROL
            if funct3 == 5:
                return B_ROR
        elif funct7 == 0x24:
            if funct3 == 1:
                return B_BCLR
            if funct3 == 5:
                return B_BEXT
        elif funct7 == 0x34 and funct3 == 1:
            return B_BINV
        elif funct7 == 0x14 and funct3 == 1:
            return B_BSET
    elif opcode == OP_32:
        if funct7 == 0x04 and funct3 == 0:
            return B_ADD_UW
        if funct7 == 0x04 and funct3 == 4 and rs2 == 0:
            return B_ZEXT_H
        if funct7 == 0x10 and (funct3 == 2 or funct3 == 4 or funct3 == 6):
            return B_SH1ADD_UW + funct3 // 2 - 1
        if funct7 == 0x30:
            if funct3 == 1:
                return B_ROLW
            if funct3 == 5:
                return B_RORW
    elif opcode == OP_IMM:
        if funct3 == 1:
            if imm6 == 0x0A:
                return B_BSETI
            if imm6 == 0x12:
                return B_BCLRI
            if imm6 == 0x1A:
                return B_BINVI
            if 0x600 <= imm12 <= 0x602:
                return B_CLZ + imm12 - 0x600
            if imm12 == 0x604 or imm12 == 0x605:
                return B_SEXT_B + imm12 - 0x604
        elif funct3 == 5:
            if imm6 == 0x18:
                return B_RORI
            if imm6 == 0x12:
                return B_BEXTI
            if imm12 == 0x287:
                return B_ORC_B
            if imm12 == 0x6B8:
                return B_REV8
    elif opcode == OP_IMM_32:
        if funct3 == 1:
            if imm6 == 0x02:
                return B_SLLI_UW
            if 0x600 <= imm12 <= 0x602:
                return B_CLZW + imm12 - 0x600
        elif funct3 == 5 and funct7 == 0x30:
            return B_RORIW
    return NOT_B


def clz(value: cython.ulonglong, bits: cython.int) -> cython.ulonglong:
    """Leading zeros in the low `bits` bits of value (`bits` when they are all zero)."""
    n: cython.int = 0
    top: cython.ulonglong = cython.cast(cython.ulonglong, 1) << (bits - 1)
    while n < bits and not value & (top >> n):
        n += 1
    return n


def ctz(value: cython.ulonglong, bits: cython.int) -> cython.ulonglong:
    """Trailing zeros in the low `bits` bits of value (`bits` when they are all zero)."""
    n: cython.int = 0
    while n < bits and not (value >> n) & 1:
        n += 1
    return n


def cpop(value: cython.ulonglong) -> cython.ulonglong:
    """The number of set bits (a SWAR population count: pairs, nibbles, then bytes summed)."""
    value = value - ((value >> 1) & 0x5555555555555555)
    value = (value & 0x3333333333333333) + ((value >> 2) & 0x3333333333333333)
    value = (value + (value >> 4)) & 0x0F0F0F0F0F0F0F0F
    return ((value * 0x0101010101010101) & MASK64) >> 56


def rotate_right(value: cython.ulonglong, amount: cython.int, bits: cython.int) -> cython.ulonglong:
    """value (its low `bits` bits, 32 or 64) rotated right by amount mod bits; the *W forms
    then sign-extend the 32-bit result."""
    mask: cython.ulonglong = MASK64 if bits == 64 else MASK32
    amount &= bits - 1
    value &= mask
    if amount == 0:
        result: cython.ulonglong = value
    else:
        result = ((value >> amount) | (value << (bits - amount))) & mask
    if bits == 32:
        return sext32(result)
    return result


def sext32(value: cython.ulonglong) -> cython.ulonglong:
    """The low 32 bits of value, sign-extended to 64."""
    value &= MASK32
    return (value ^ 0x80000000) - 0x80000000 & MASK64


def clmul_bits(a: cython.ulonglong, b: cython.ulonglong, first: cython.int) -> cython.ulonglong:
    """Bits first .. first + 63 of the 128-bit carry-less product of a and b (XOR in place of
    addition): 0 gives clmul, 64 clmulh, 63 clmulr."""
    result: cython.ulonglong = 0
    i: cython.int
    for i in range(64):
        if (b >> i) & 1:
            # a << i contributes bits i .. i + 63 of the product; keep the window's part
            if i >= first:
                result ^= (a << (i - first)) & MASK64
            elif first - i < 64:
                result ^= a >> (first - i)
    return result


def orc_b(value: cython.ulonglong) -> cython.ulonglong:
    """Each byte of value becomes 0xFF if any of its bits is set, else 0x00."""
    result: cython.ulonglong = 0
    i: cython.int
    for i in range(0, 64, 8):
        if (value >> i) & 0xFF:
            result |= cython.cast(cython.ulonglong, 0xFF) << i
    return result


def rev8(value: cython.ulonglong) -> cython.ulonglong:
    """The bytes of value in reverse order."""
    result: cython.ulonglong = 0
    i: cython.int
    for i in range(8):
        result = (result << 8) | ((value >> (8 * i)) & 0xFF)
    return result


def execute(kind: cython.int, a: cython.ulonglong, b: cython.ulonglong, shamt: cython.ulonglong) -> cython.ulonglong:
    """The result of B operation `kind` on rs1 = a and rs2 = b (the immediate forms use
    `shamt` instead of b)."""
    one: cython.ulonglong = 1
    if kind == B_ADD_UW:
        return (b + (a & MASK32)) & MASK64
    if kind <= B_SH3ADD:
        return (b + (a << kind)) & MASK64
    if kind <= B_SH3ADD_UW:
        return (b + ((a & MASK32) << (kind - B_SH1ADD_UW + 1))) & MASK64
    if kind == B_SLLI_UW:
        return ((a & MASK32) << shamt) & MASK64
    if kind == B_ANDN:
        return a & ~b & MASK64
    if kind == B_ORN:
        return (a | ~b) & MASK64
    if kind == B_XNOR:
        return ~(a ^ b) & MASK64
    if kind == B_CLZ:
        return clz(a, 64)
    if kind == B_CLZW:
        return clz(a & MASK32, 32)
    if kind == B_CTZ:
        return ctz(a, 64)
    if kind == B_CTZW:
        return ctz(a, 32)
    if kind == B_CPOP:
        return cpop(a)
    if kind == B_CPOPW:
        return cpop(a & MASK32)
    if kind == B_MAX:
        return a if (a ^ SIGN64) >= (b ^ SIGN64) else b
    if kind == B_MAXU:
        return a if a >= b else b
    if kind == B_MIN:
        return a if (a ^ SIGN64) <= (b ^ SIGN64) else b
    if kind == B_MINU:
        return a if a <= b else b
    if kind == B_SEXT_B:
        return ((a & 0xFF) ^ 0x80) - 0x80 & MASK64
    if kind == B_SEXT_H:
        return ((a & 0xFFFF) ^ 0x8000) - 0x8000 & MASK64
    if kind == B_ZEXT_H:
        return a & 0xFFFF
    if kind == B_ROL:
        return rotate_right(a, 64 - (b & 63), 64)
    if kind == B_ROLW:
        return rotate_right(a, 32 - (b & 31), 32)
    if kind == B_ROR:
        return rotate_right(a, b & 63, 64)
    if kind == B_RORI:
        return rotate_right(a, shamt & 63, 64)
    if kind == B_RORIW:
        return rotate_right(a, shamt & 31, 32)
    if kind == B_RORW:
        return rotate_right(a, b & 31, 32)
    if kind == B_ORC_B:
        return orc_b(a)
    if kind == B_REV8:
        return rev8(a)
    if kind == B_CLMUL:
        return clmul_bits(a, b, 0)
    if kind == B_CLMULH:
        return clmul_bits(a, b, 64)
    if kind == B_CLMULR:
        return clmul_bits(a, b, 63)
    if kind == B_BCLR:
        return a & ~(one << (b & 63)) & MASK64
    if kind == B_BCLRI:
        return a & ~(one << (shamt & 63)) & MASK64
    if kind == B_BEXT:
        return (a >> (b & 63)) & 1
    if kind == B_BEXTI:
        return (a >> (shamt & 63)) & 1
    if kind == B_BINV:
        return a ^ (one << (b & 63))
    if kind == B_BINVI:
        return a ^ (one << (shamt & 63))
    if kind == B_BSET:
        return a | (one << (b & 63))
    return a | (one << (shamt & 63))                  # B_BSETI
