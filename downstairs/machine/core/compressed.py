"""The C extension: every 16-bit instruction is a short spelling of a 32-bit one.

Unprivileged ISA chapter 16 ("C" Standard Extension for Compressed Instructions), RV64C.
`expand` turns a 16-bit parcel into the 32-bit instruction it stands for (tables 16.5-16.7
list the quadrants), so the hart executes one instruction set. Reserved encodings expand to
ILLEGAL; HINTs (a compressed instruction writing x0, or a shift by zero) expand to an
instruction that changes nothing, which is what a HINT must do.

execute.py caches each parcel's expansion the first time it runs, so this plain, readable
code runs once per distinct parcel.
"""

from downstairs.isa import encode as e
from downstairs.machine.core import alu

ILLEGAL = 1            # never a 32-bit instruction: those end in 0b11


def bits(value: int, hi: int, lo: int) -> int:
    """Bits hi..lo of a parcel, as the spec's tables write c[hi:lo]."""
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def signed(value: int, width: int) -> int:
    """A `width`-bit immediate field read as signed (alu.sext), as the Python int the
    encoders take (they check the range and want a negative number for a negative one)."""
    pattern = alu.sext(value, width)
    return pattern - (1 << 64) if pattern >> 63 else pattern


def expand(c: int) -> int:
    """The 32-bit instruction a 16-bit parcel `c` stands for, by its quadrant (c[1:0]); ILLEGAL
    for a reserved encoding and for quadrant 3 (not a 16-bit parcel)."""
    quadrant = c & 3
    funct3 = bits(c, 15, 13)
    if quadrant == 0:
        return quadrant0(c, funct3)
    if quadrant == 1:
        return quadrant1(c, funct3)
    if quadrant == 2:
        return quadrant2(c, funct3)
    return ILLEGAL


def quadrant0(c: int, funct3: int) -> int:
    """Quadrant 0 (table 16.5): c.addi4spn and the loads and stores on x8-x15 (CIW, CL, CS)."""
    rd = 8 + bits(c, 4, 2)                 # rd' and rs2' name x8..x15
    rs1 = 8 + bits(c, 9, 7)
    # Offsets of the CL/CS formats: word accesses scale by 4, doubleword ones by 8
    word = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6)
    double = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6)
    if funct3 == 0:                        # c.addi4spn
        imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 3)
        return e.i("addi", rd, 2, imm) if imm else ILLEGAL
    if funct3 == 1:                        # c.fld
        return e.i_type(e.LOAD_FP, 3, rd, rs1, double)
    if funct3 == 2:                        # c.lw
        return e.i("lw", rd, rs1, word)
    if funct3 == 3:                        # c.ld
        return e.i("ld", rd, rs1, double)
    if funct3 == 5:                        # c.fsd
        return e.s_type(e.STORE_FP, 3, rs1, rd, double)
    if funct3 == 6:                        # c.sw
        return e.s("sw", rd, rs1, word)
    if funct3 == 7:                        # c.sd
        return e.s("sd", rd, rs1, double)
    return ILLEGAL                         # funct3 4 is reserved


def quadrant1(c: int, funct3: int) -> int:
    """Quadrant 1 (table 16.6): c.addi, c.addiw, c.li, c.lui/c.addi16sp, the CA/CB arithmetic,
    c.j and the branches."""
    rd = bits(c, 11, 7)
    imm6 = signed((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6)
    if funct3 == 0:                        # c.addi (c.nop when rd = 0)
        return e.i("addi", rd, rd, imm6)
    if funct3 == 1:                        # c.addiw
        return e.i("addiw", rd, rd, imm6) if rd else ILLEGAL
    if funct3 == 2:                        # c.li
        return e.i("addi", rd, 0, imm6)
    if funct3 == 3:
        if rd == 2:                        # c.addi16sp
            imm = signed((bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4) | (bits(c, 5, 5) << 6)
                       | (bits(c, 4, 3) << 7) | (bits(c, 2, 2) << 5), 10)
            return e.i("addi", 2, 2, imm) if imm else ILLEGAL
        if imm6 == 0:                      # c.lui with a zero immediate is reserved
            return ILLEGAL
        return e.lui(rd, imm6 & 0xFFFFF)
    if funct3 == 4:
        return arithmetic(c)
    if funct3 == 5:                        # c.j
        return e.jal(0, jump_offset(c))
    rs1 = 8 + bits(c, 9, 7)
    offset = signed((bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6)
                  | (bits(c, 4, 3) << 1) | (bits(c, 2, 2) << 5), 9)
    return e.b("beq" if funct3 == 6 else "bne", rs1, 0, offset)     # c.beqz, c.bnez


def jump_offset(c: int) -> int:
    """The signed 12-bit offset of c.j (CJ format: the bits are scattered over c[12:2])."""
    return signed((bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4) | (bits(c, 10, 9) << 8)
                | (bits(c, 8, 8) << 10) | (bits(c, 7, 7) << 6) | (bits(c, 6, 6) << 7)
                | (bits(c, 5, 3) << 1) | (bits(c, 2, 2) << 5), 12)


def arithmetic(c: int) -> int:
    """Quadrant 1, funct3 100: shifts, andi, and register-register operations on x8..x15."""
    rd = 8 + bits(c, 9, 7)
    rs2 = 8 + bits(c, 4, 2)
    shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2)
    kind = bits(c, 11, 10)
    if kind == 0:
        return e.shift("srli", rd, rd, shamt)
    if kind == 1:
        return e.shift("srai", rd, rd, shamt)
    if kind == 2:
        return e.i("andi", rd, rd, signed(shamt, 6))
    op = bits(c, 6, 5)
    if bits(c, 12, 12) == 0:
        return e.r(("sub", "xor", "or", "and")[op], rd, rd, rs2)
    if op < 2:
        return e.r(("subw", "addw")[op], rd, rd, rs2)
    return ILLEGAL


def quadrant2(c: int, funct3: int) -> int:
    """Quadrant 2 (table 16.7): c.slli, the stack-pointer loads and stores, c.jr/c.mv/c.ebreak/
    c.jalr/c.add."""
    rd = bits(c, 11, 7)
    rs2 = bits(c, 6, 2)
    if funct3 == 0:                        # c.slli
        return e.shift("slli", rd, rd, (bits(c, 12, 12) << 5) | rs2)
    # Stack-pointer-relative offsets (CI and CSS formats)
    lw_off = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6)
    ld_off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6)
    sw_off = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6)
    sd_off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)
    if funct3 == 1:                        # c.fldsp
        return e.i_type(e.LOAD_FP, 3, rd, 2, ld_off)
    if funct3 == 2:                        # c.lwsp
        return e.i("lw", rd, 2, lw_off) if rd else ILLEGAL
    if funct3 == 3:                        # c.ldsp
        return e.i("ld", rd, 2, ld_off) if rd else ILLEGAL
    if funct3 == 4:
        if bits(c, 12, 12) == 0:
            if rs2 == 0:                   # c.jr
                return e.i("jalr", 0, rd, 0) if rd else ILLEGAL
            return e.r("add", rd, 0, rs2)  # c.mv
        if rs2 == 0:
            if rd == 0:
                return e.EBREAK            # c.ebreak
            return e.i("jalr", 1, rd, 0)   # c.jalr
        return e.r("add", rd, rd, rs2)     # c.add
    if funct3 == 5:                        # c.fsdsp
        return e.s_type(e.STORE_FP, 3, 2, rs2, sd_off)
    if funct3 == 6:                        # c.swsp
        return e.s("sw", rs2, 2, sw_off)
    return e.s("sd", rs2, 2, sd_off)       # c.sdsp
