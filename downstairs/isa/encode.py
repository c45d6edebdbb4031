"""RISC-V instruction encoder: Python values in, 32- and 16-bit instruction words out.

Follows the RISC-V Unprivileged ISA, chapter 2 ("Base Instruction Formats" R/I/S/B/U/J),
chapter 24 ("RV32/64G Instruction Set Listings") for the opcode and funct fields, and
chapter 16 ("C" Standard Extension) for the compressed formats (CR, CI, CSS, CIW, CL, CS,
CA, CB, CJ).

The boot ROM, the demo program, the tests and the compiler's assembler all build machine
code with these functions, so an encoding is written down once. Registers are numbers
0..31; `REG` maps ABI names (a0, sp, ...) to them.
"""

ABI_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
             "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
             "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
             "t3", "t4", "t5", "t6"]
REG = {name: i for i, name in enumerate(ABI_NAMES)}
REG.update({f"x{i}": i for i in range(32)})
REG["fp"] = 8


class EncodeError(ValueError):
    """An operand that does not fit the instruction's field."""


def _check(value: int, bits: int, signed: bool, what: str) -> int:
    """`value` as the low `bits` bits of a field (two's complement if `signed`); an EncodeError
    naming `what` if it does not fit."""
    low = -(1 << (bits - 1)) if signed else 0
    high = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if not low <= value <= high:
        raise EncodeError(f"{what} {value} does not fit in {bits} {'signed' if signed else 'unsigned'} bits")
    return value & ((1 << bits) - 1)


# ---- the six base formats (Unprivileged ISA 2.2, 2.3) ----------------------------------
#
#        31        25 24     20 19     15 14  12 11       7 6       0
#   R   |  funct7    |   rs2   |   rs1   |funct3|    rd    | opcode  |
#   I   |     imm[11:0]        |   rs1   |funct3|    rd    | opcode  |
#   S   | imm[11:5]  |   rs2   |   rs1   |funct3| imm[4:0] | opcode  |
#   B   |12|imm[10:5]|   rs2   |   rs1   |funct3|imm[4:1]11| opcode  |
#   U   |              imm[31:12]               |    rd    | opcode  |
#   J   |20|   imm[10:1]   |11|   imm[19:12]   |    rd    | opcode  |
#
# B and J immediates are even (bit 0 is not stored); I, S, B and J ones are sign-extended
# from their top bit, which always sits in bit 31.

def r_type(opcode: int, funct3: int, funct7: int, rd: int, rs1: int, rs2: int) -> int:
    """An R-type word from its fields (drawn above)."""
    return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def i_type(opcode: int, funct3: int, rd: int, rs1: int, imm: int) -> int:
    """An I-type word; imm is a signed 12-bit number."""
    imm = _check(imm, 12, True, "immediate")
    return (imm << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode


def s_type(opcode: int, funct3: int, rs1: int, rs2: int, imm: int) -> int:
    """An S-type word; imm (signed 12 bits) is split into imm[11:5] and imm[4:0]."""
    imm = _check(imm, 12, True, "offset")
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 31) << 7) | opcode


def b_type(opcode: int, funct3: int, rs1: int, rs2: int, offset: int) -> int:
    """A B-type word for an even, signed 13-bit offset, its bits scattered as drawn above."""
    if offset & 1:
        raise EncodeError(f"branch offset {offset} is odd")
    imm = _check(offset, 13, True, "branch offset")
    return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) \
        | (funct3 << 12) | (((imm >> 1) & 0xF) << 8) | (((imm >> 11) & 1) << 7) | opcode


def u_type(opcode: int, rd: int, imm20: int) -> int:
    """`imm20` is the upper immediate as written in assembly (lui a0, 0x12345)."""
    return (_check(imm20 & 0xFFFFF if imm20 < 0 else imm20, 20, False, "upper immediate") << 12) | (rd << 7) | opcode


def j_type(opcode: int, rd: int, offset: int) -> int:
    """A J-type word for an even, signed 21-bit offset, its bits scattered as drawn above."""
    if offset & 1:
        raise EncodeError(f"jump offset {offset} is odd")
    imm = _check(offset, 21, True, "jump offset")
    return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3FF) << 21) | (((imm >> 11) & 1) << 20) \
        | (((imm >> 12) & 0xFF) << 12) | (rd << 7) | opcode


# ---- opcode map (Unprivileged ISA, table 24.1) ------------------------------------------

LOAD, LOAD_FP, MISC_MEM, OP_IMM, AUIPC, OP_IMM_32 = 0x03, 0x07, 0x0F, 0x13, 0x17, 0x1B
STORE, STORE_FP, AMO, OP, LUI, OP_32 = 0x23, 0x27, 0x2F, 0x33, 0x37, 0x3B
BRANCH, JALR, JAL, SYSTEM = 0x63, 0x67, 0x6F, 0x73

# name -> (opcode, funct3, funct7) for register-register operations
R_OPS = {
    "add": (OP, 0, 0x00), "sub": (OP, 0, 0x20), "sll": (OP, 1, 0), "slt": (OP, 2, 0),
    "sltu": (OP, 3, 0), "xor": (OP, 4, 0), "srl": (OP, 5, 0), "sra": (OP, 5, 0x20),
    "or": (OP, 6, 0), "and": (OP, 7, 0),
    "mul": (OP, 0, 1), "mulh": (OP, 1, 1), "mulhsu": (OP, 2, 1), "mulhu": (OP, 3, 1),
    "div": (OP, 4, 1), "divu": (OP, 5, 1), "rem": (OP, 6, 1), "remu": (OP, 7, 1),
    "addw": (OP_32, 0, 0), "subw": (OP_32, 0, 0x20), "sllw": (OP_32, 1, 0),
    "srlw": (OP_32, 5, 0), "sraw": (OP_32, 5, 0x20),
    "mulw": (OP_32, 0, 1), "divw": (OP_32, 4, 1), "divuw": (OP_32, 5, 1),
    "remw": (OP_32, 6, 1), "remuw": (OP_32, 7, 1),
}
# name -> (opcode, funct3) for register-immediate operations and loads
I_OPS = {
    "addi": (OP_IMM, 0), "slti": (OP_IMM, 2), "sltiu": (OP_IMM, 3), "xori": (OP_IMM, 4),
    "ori": (OP_IMM, 6), "andi": (OP_IMM, 7), "addiw": (OP_IMM_32, 0), "jalr": (JALR, 0),
    "lb": (LOAD, 0), "lh": (LOAD, 1), "lw": (LOAD, 2), "ld": (LOAD, 3),
    "lbu": (LOAD, 4), "lhu": (LOAD, 5), "lwu": (LOAD, 6),
}
# name -> (opcode, funct3, high bits of imm[11:6]) for shifts by an immediate
SHIFT_OPS = {
    "slli": (OP_IMM, 1, 0x00), "srli": (OP_IMM, 5, 0x00), "srai": (OP_IMM, 5, 0x10),
    "slliw": (OP_IMM_32, 1, 0x00), "srliw": (OP_IMM_32, 5, 0x00), "sraiw": (OP_IMM_32, 5, 0x10),
}
# The B extension (Zba, Zbb, Zbc, Zbs; bit-manipulation spec 1.0.0), kept apart from the base
# tables above because not every peer has it (unicorn does not):
# name -> (opcode, funct3, funct7) for register-register operations,
ZB_R_OPS = {
    "andn": (OP, 7, 0x20), "orn": (OP, 6, 0x20), "xnor": (OP, 4, 0x20),
    "min": (OP, 4, 0x05), "minu": (OP, 5, 0x05), "max": (OP, 6, 0x05), "maxu": (OP, 7, 0x05),
    "clmul": (OP, 1, 0x05), "clmulr": (OP, 2, 0x05), "clmulh": (OP, 3, 0x05),
    "sh1add": (OP, 2, 0x10), "sh2add": (OP, 4, 0x10), "sh3add": (OP, 6, 0x10),
    "rol": (OP, 1, 0x30), "ror": (OP, 5, 0x30),
    "bclr": (OP, 1, 0x24), "bext": (OP, 5, 0x24), "binv": (OP, 1, 0x34), "bset": (OP, 1, 0x14),
    "add.uw": (OP_32, 0, 0x04), "sh1add.uw": (OP_32, 2, 0x10), "sh2add.uw": (OP_32, 4, 0x10),
    "sh3add.uw": (OP_32, 6, 0x10), "rolw": (OP_32, 1, 0x30), "rorw": (OP_32, 5, 0x30),
}
# name -> (opcode, funct3, imm[11:0]) for the one-register operations (zext.h is packw's
# encoding with rs2 = 0, so its "immediate" is funct7 0x04 << 5),
ZB_UNARY_OPS = {
    "clz": (OP_IMM, 1, 0x600), "ctz": (OP_IMM, 1, 0x601), "cpop": (OP_IMM, 1, 0x602),
    "sext.b": (OP_IMM, 1, 0x604), "sext.h": (OP_IMM, 1, 0x605),
    "orc.b": (OP_IMM, 5, 0x287), "rev8": (OP_IMM, 5, 0x6B8),
    "clzw": (OP_IMM_32, 1, 0x600), "ctzw": (OP_IMM_32, 1, 0x601), "cpopw": (OP_IMM_32, 1, 0x602),
    "zext.h": (OP_32, 4, 0x080),
}
# and name -> (opcode, funct3, imm[11:6]) for those with a shift amount (like SHIFT_OPS).
ZB_SHIFT_OPS = {
    "bseti": (OP_IMM, 1, 0x0A), "bclri": (OP_IMM, 1, 0x12), "binvi": (OP_IMM, 1, 0x1A),
    "rori": (OP_IMM, 5, 0x18), "bexti": (OP_IMM, 5, 0x12),
    "slli.uw": (OP_IMM_32, 1, 0x02), "roriw": (OP_IMM_32, 5, 0x18),
}
S_OPS = {"sb": 0, "sh": 1, "sw": 2, "sd": 3}
B_OPS = {"beq": 0, "bne": 1, "blt": 4, "bge": 5, "bltu": 6, "bgeu": 7}
# A extension: name -> funct5; the width suffix picks funct3 (.w = 2, .d = 3)
AMO_OPS = {"lr": 0x02, "sc": 0x03, "amoswap": 0x01, "amoadd": 0x00, "amoxor": 0x04,
           "amoand": 0x0C, "amoor": 0x08, "amomin": 0x10, "amomax": 0x14,
           "amominu": 0x18, "amomaxu": 0x1C}
CSR_OPS = {"csrrw": 1, "csrrs": 2, "csrrc": 3, "csrrwi": 5, "csrrsi": 6, "csrrci": 7}


def r(name: str, rd: int, rs1: int, rs2: int) -> int:
    """`name rd, rs1, rs2` (add, sub, mul, ...: R_OPS)."""
    opcode, f3, f7 = R_OPS[name]
    return r_type(opcode, f3, f7, rd, rs1, rs2)


def i(name: str, rd: int, rs1: int, imm: int) -> int:
    """`name rd, rs1, imm` for an I-type operation, load or jalr (I_OPS); imm is signed."""
    opcode, f3 = I_OPS[name]
    return i_type(opcode, f3, rd, rs1, imm)


def shift(name: str, rd: int, rs1: int, shamt: int) -> int:
    """`name rd, rs1, shamt` (slli, srai, slliw ...): 6-bit shamt for RV64 shifts, 5-bit for *W."""
    opcode, f3, high = SHIFT_OPS[name]
    _check(shamt, 6 if opcode == OP_IMM else 5, False, "shift amount")
    return i_type(opcode, f3, rd, rs1, 0) | ((high << 6 | shamt) << 20)


def zb(name: str, rd: int, rs1: int, rs2_or_shamt: int = 0) -> int:
    """A B-extension instruction: `name rd, rs1, rs2` (ZB_R_OPS), `name rd, rs1` (ZB_UNARY_OPS)
    or `name rd, rs1, shamt` (ZB_SHIFT_OPS: 6-bit shamt, 5-bit for roriw)."""
    if name in ZB_R_OPS:
        opcode, f3, f7 = ZB_R_OPS[name]
        return r_type(opcode, f3, f7, rd, rs1, rs2_or_shamt)
    if name in ZB_UNARY_OPS:
        opcode, f3, imm12 = ZB_UNARY_OPS[name]
        return (imm12 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
    opcode, f3, high = ZB_SHIFT_OPS[name]
    _check(rs2_or_shamt, 5 if name == "roriw" else 6, False, "shift amount")
    return (high << 26) | (rs2_or_shamt << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def s(name: str, rs2: int, rs1: int, offset: int) -> int:
    """Store: `s("sd", value_reg, base_reg, offset)` is `sd value, offset(base)`."""
    return s_type(STORE, S_OPS[name], rs1, rs2, offset)


def b(name: str, rs1: int, rs2: int, offset: int) -> int:
    """`name rs1, rs2, offset` for a branch (beq ... bgeu); offset from this instruction."""
    return b_type(BRANCH, B_OPS[name], rs1, rs2, offset)


def lui(rd: int, imm20: int) -> int:
    """`lui rd, imm20`: rd = imm20 << 12, sign-extended."""
    return u_type(LUI, rd, imm20)


def auipc(rd: int, imm20: int) -> int:
    """`auipc rd, imm20`: rd = pc + (imm20 << 12)."""
    return u_type(AUIPC, rd, imm20)


def jal(rd: int, offset: int) -> int:
    """`jal rd, offset`: jump to pc + offset, rd = the return address."""
    return j_type(JAL, rd, offset)


def amo(name: str, width: str, rd: int, rs1: int, rs2: int = 0, aq: bool = False, rl: bool = False) -> int:
    """`amo("amoadd", "d", rd, addr, src)`; for lr, rs2 must stay 0."""
    f3 = {"w": 2, "d": 3}[width]
    f7 = (AMO_OPS[name] << 2) | (int(aq) << 1) | int(rl)
    return r_type(AMO, f3, f7, rd, rs1, rs2)


def csr(name: str, rd: int, csr_number: int, rs1_or_uimm: int) -> int:
    """Zicsr: for the *i forms the last operand is the 5-bit immediate."""
    return (_check(csr_number, 12, False, "CSR number") << 20) | (rs1_or_uimm << 15) \
        | (CSR_OPS[name] << 12) | (rd << 7) | SYSTEM


# ---- fixed words ------------------------------------------------------------------------

ECALL, EBREAK = 0x00000073, 0x00100073
MRET, SRET, WFI = 0x30200073, 0x10200073, 0x10500073
FENCE_I = 0x0000100F
PAUSE = 0x0100000F          # Zihintpause: fence w,0


def fence(pred: int = 0xF, succ: int = 0xF) -> int:
    """`fence pred, succ`: the order of earlier (pred) and later (succ) I, O, R, W accesses."""
    return (pred << 24) | (succ << 20) | MISC_MEM


def sfence_vma(rs1: int = 0, rs2: int = 0) -> int:
    """`sfence.vma rs1, rs2`: flush translations (of address rs1, ASID rs2; x0: all)."""
    return r_type(SYSTEM, 0, 0x09, 0, rs1, rs2)


def li(rd: int, value: int) -> list[int]:
    """Load any 64-bit constant into rd: lui/addi(w) for 32-bit values, otherwise a
    build-up by shifts (the sequence is long but exact; good enough for a ROM)."""
    value &= (1 << 64) - 1
    signed = value - (1 << 64) if value >> 63 else value
    if -2048 <= signed < 2048:
        return [i("addi", rd, 0, signed)]
    if -(1 << 31) <= signed < (1 << 31):
        low = ((signed & 0xFFF) ^ 0x800) - 0x800
        high = ((signed - low) >> 12) & 0xFFFFF
        words = [lui(rd, high)]
        if low:
            words.append(i_type(OP_IMM_32, 0, rd, rd, low))
        return words
    low = ((signed & 0xFFF) ^ 0x800) - 0x800
    rest = (signed - low) >> 12
    shift_by = 12
    while rest & 1 == 0:
        rest >>= 1
        shift_by += 1
    words = li(rd, rest)
    words.append(shift("slli", rd, rd, shift_by))
    if low:
        words.append(i("addi", rd, rd, low))
    return words


# ---- the compressed formats (chapter 16) -----------------------------------------------
#
#   CR    funct4 15:12 | rd/rs1 11:7               | rs2 6:2                  | op 1:0
#   CI    funct3 15:13 | imm 12 | rd/rs1 11:7      | imm 6:2                  | op
#   CSS   funct3 15:13 | imm 12:7                  | rs2 6:2                  | op
#   CIW   funct3 15:13 | imm 12:5                                | rd' 4:2    | op
#   CL    funct3 15:13 | imm 12:10 | rs1' 9:7      | imm 6:5     | rd' 4:2    | op
#   CS    funct3 15:13 | imm 12:10 | rs1' 9:7      | imm 6:5     | rs2' 4:2   | op
#   CA    funct6 15:10             | rd'/rs1' 9:7  | funct2 6:5  | rs2' 4:2   | op
#   CB    funct3 15:13 | off 12:10 | rs1' 9:7      | off 6:2                  | op
#   CJ    funct3 15:13 | jump target 12:2                                     | op
#
# A primed register is 3 bits naming x8..x15; where each immediate bit goes differs per
# instruction (the spec's tables 16.5-16.7), hence one function per instruction below.

def _creg(reg: int) -> int:
    """The 3-bit field for one of x8..x15 (an EncodeError for any other register)."""
    if not 8 <= reg <= 15:
        raise EncodeError(f"x{reg} is not one of x8..x15 that a compressed instruction can name")
    return reg - 8


def _bits(value: int, hi: int, lo: int) -> int:
    """Bits hi..lo of value (the spec's imm[hi:lo])."""
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def c_cr(funct4: int, rd_rs1: int, rs2: int, op: int) -> int:
    """A CR-format parcel from its fields."""
    return (funct4 << 12) | (rd_rs1 << 7) | (rs2 << 2) | op


def c_ci(funct3: int, rd: int, imm6: int, op: int) -> int:
    """CI with the common immediate layout imm[5] at bit 12, imm[4:0] at 6:2."""
    return (funct3 << 13) | (_bits(imm6, 5, 5) << 12) | (rd << 7) | (_bits(imm6, 4, 0) << 2) | op


def c_nop() -> int:
    """`c.nop` (c.addi x0, 0)."""
    return 0x0001


def c_addi(rd: int, imm: int) -> int:
    """`c.addi rd, imm`: imm a signed 6-bit number."""
    return c_ci(0, rd, _check(imm, 6, True, "immediate"), 1)


def c_addiw(rd: int, imm: int) -> int:
    """`c.addiw rd, imm` (RV64; rd not x0)."""
    return c_ci(1, rd, _check(imm, 6, True, "immediate"), 1)


def c_li(rd: int, imm: int) -> int:
    """`c.li rd, imm`: rd = a signed 6-bit immediate."""
    return c_ci(2, rd, _check(imm, 6, True, "immediate"), 1)


def c_lui(rd: int, imm6: int) -> int:
    """imm6 is the 6-bit signed value of bits 17:12 of the result."""
    return c_ci(3, rd, _check(imm6, 6, True, "immediate"), 1)


def c_addi16sp(imm: int) -> int:
    """`c.addi16sp imm`: sp += imm, a signed multiple of 16 up to +-512."""
    v = _check(imm, 10, True, "immediate")
    return (3 << 13) | (_bits(v, 9, 9) << 12) | (2 << 7) | (_bits(v, 4, 4) << 6) | (_bits(v, 6, 6) << 5) \
        | (_bits(v, 8, 7) << 3) | (_bits(v, 5, 5) << 2) | 1


def c_addi4spn(rd: int, imm: int) -> int:
    """`c.addi4spn rd', imm`: rd' = sp + imm, an unsigned multiple of 4 below 1024."""
    v = _check(imm, 10, False, "immediate")
    return (_bits(v, 5, 4) << 11) | (_bits(v, 9, 6) << 7) | (_bits(v, 2, 2) << 6) | (_bits(v, 3, 3) << 5) \
        | (_creg(rd) << 2)


def c_slli(rd: int, shamt: int) -> int:
    """`c.slli rd, shamt` (6-bit shamt)."""
    return c_ci(0, rd, _check(shamt, 6, False, "shift amount"), 2)


def _c_alu_imm(funct2: int, rd: int, imm: int) -> int:
    """The CB-format ALU parcel (c.srli, c.srai, c.andi) on rd' with a 6-bit immediate."""
    return (4 << 13) | (_bits(imm, 5, 5) << 12) | (funct2 << 10) | (_creg(rd) << 7) | (_bits(imm, 4, 0) << 2) | 1


def c_srli(rd: int, shamt: int) -> int:
    """`c.srli rd', shamt`."""
    return _c_alu_imm(0, rd, _check(shamt, 6, False, "shift amount"))


def c_srai(rd: int, shamt: int) -> int:
    """`c.srai rd', shamt`."""
    return _c_alu_imm(1, rd, _check(shamt, 6, False, "shift amount"))


def c_andi(rd: int, imm: int) -> int:
    """`c.andi rd', imm` (signed 6 bits)."""
    return _c_alu_imm(2, rd, _check(imm, 6, True, "immediate"))


C_CA_OPS = {"sub": (0, 0), "xor": (0, 1), "or": (0, 2), "and": (0, 3), "subw": (1, 0), "addw": (1, 1)}


def c_ca(name: str, rd: int, rs2: int) -> int:
    """`name rd', rs2'` for the CA arithmetic (c.sub, c.xor, c.or, c.and, c.subw, c.addw)."""
    bit12, funct2 = C_CA_OPS[name]
    return (4 << 13) | (bit12 << 12) | (3 << 10) | (_creg(rd) << 7) | (funct2 << 5) | (_creg(rs2) << 2) | 1


def c_mv(rd: int, rs2: int) -> int:
    """`c.mv rd, rs2` (add rd, x0, rs2)."""
    return c_cr(0x8, rd, rs2, 2)


def c_add(rd: int, rs2: int) -> int:
    """`c.add rd, rs2` (add rd, rd, rs2)."""
    return c_cr(0x9, rd, rs2, 2)


def c_jr(rs1: int) -> int:
    """`c.jr rs1` (jalr x0, 0(rs1))."""
    return c_cr(0x8, rs1, 0, 2)


def c_jalr(rs1: int) -> int:
    """`c.jalr rs1` (jalr ra, 0(rs1))."""
    return c_cr(0x9, rs1, 0, 2)


def c_ebreak() -> int:
    """`c.ebreak`."""
    return 0x9002


def c_j(offset: int) -> int:
    """`c.j offset`: a signed, even 12-bit offset (CJ)."""
    v = _check(offset, 12, True, "jump offset")
    return (5 << 13) | (_bits(v, 11, 11) << 12) | (_bits(v, 4, 4) << 11) | (_bits(v, 9, 8) << 9) \
        | (_bits(v, 10, 10) << 8) | (_bits(v, 6, 6) << 7) | (_bits(v, 7, 7) << 6) | (_bits(v, 3, 1) << 3) \
        | (_bits(v, 5, 5) << 2) | 1


def _c_branch(funct3: int, rs1: int, offset: int) -> int:
    """The CB-format branch (c.beqz, c.bnez) on rs1' with a signed, even 9-bit offset."""
    v = _check(offset, 9, True, "branch offset")
    return (funct3 << 13) | (_bits(v, 8, 8) << 12) | (_bits(v, 4, 3) << 10) | (_creg(rs1) << 7) \
        | (_bits(v, 7, 6) << 5) | (_bits(v, 2, 1) << 3) | (_bits(v, 5, 5) << 2) | 1


def c_beqz(rs1: int, offset: int) -> int:
    """`c.beqz rs1', offset`."""
    return _c_branch(6, rs1, offset)


def c_bnez(rs1: int, offset: int) -> int:
    """`c.bnez rs1', offset`."""
    return _c_branch(7, rs1, offset)


def c_lw(rd: int, rs1: int, offset: int) -> int:
    """`c.lw rd', offset(rs1')`: an unsigned multiple of 4 below 128."""
    v = _check(offset, 7, False, "offset")
    return (2 << 13) | (_bits(v, 5, 3) << 10) | (_creg(rs1) << 7) | (_bits(v, 2, 2) << 6) \
        | (_bits(v, 6, 6) << 5) | (_creg(rd) << 2)


def c_ld(rd: int, rs1: int, offset: int) -> int:
    """`c.ld rd', offset(rs1')`: an unsigned multiple of 8 below 256."""
    v = _check(offset, 8, False, "offset")
    return (3 << 13) | (_bits(v, 5, 3) << 10) | (_creg(rs1) << 7) | (_bits(v, 7, 6) << 5) | (_creg(rd) << 2)


def c_sw(rs2: int, rs1: int, offset: int) -> int:
    """`c.sw rs2', offset(rs1')`: c.lw's fields with the store's funct3."""
    return c_lw(rs2, rs1, offset) | (4 << 13)


def c_sd(rs2: int, rs1: int, offset: int) -> int:
    """`c.sd rs2', offset(rs1')`: c.ld's fields with the store's funct3."""
    return c_ld(rs2, rs1, offset) | (4 << 13)


def c_lwsp(rd: int, offset: int) -> int:
    """`c.lwsp rd, offset(sp)`: an unsigned multiple of 4 below 256."""
    v = _check(offset, 8, False, "offset")
    return (2 << 13) | (_bits(v, 5, 5) << 12) | (rd << 7) | (_bits(v, 4, 2) << 4) | (_bits(v, 7, 6) << 2) | 2


def c_ldsp(rd: int, offset: int) -> int:
    """`c.ldsp rd, offset(sp)`: an unsigned multiple of 8 below 512."""
    v = _check(offset, 9, False, "offset")
    return (3 << 13) | (_bits(v, 5, 5) << 12) | (rd << 7) | (_bits(v, 4, 3) << 5) | (_bits(v, 8, 6) << 2) | 2


def c_swsp(rs2: int, offset: int) -> int:
    """`c.swsp rs2, offset(sp)`: an unsigned multiple of 4 below 256."""
    v = _check(offset, 8, False, "offset")
    return (6 << 13) | (_bits(v, 5, 2) << 9) | (_bits(v, 7, 6) << 7) | (rs2 << 2) | 2


def c_sdsp(rs2: int, offset: int) -> int:
    """`c.sdsp rs2, offset(sp)`: an unsigned multiple of 8 below 512."""
    v = _check(offset, 9, False, "offset")
    return (7 << 13) | (_bits(v, 5, 3) << 10) | (_bits(v, 8, 6) << 7) | (rs2 << 2) | 2


def to_bytes(words: list[int]) -> bytes:
    """Little-endian machine code; words below 0x10000 whose low bits are not 0b11 are
    compressed (16-bit) instructions."""
    out = bytearray()
    for w in words:
        out += w.to_bytes(2 if (w & 3) != 3 else 4, "little")
    return bytes(out)
