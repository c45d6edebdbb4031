"""RV64I and M: arithmetic, shifts, comparisons, jumps and branches, with their edge cases.

Unprivileged ISA chapters 2 and 5 (RV32I/RV64I) and 7 (M). Expected values are written out
by hand or computed with Python's unbounded integers, never with the core's own helpers.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import CODE, M_TRAP, Bench, run_program, u64

MIN = 1 << 63                 # INT64_MIN as a bit pattern
MAX = (1 << 63) - 1
ALL = (1 << 64) - 1           # -1
W_MIN = 0xFFFFFFFF80000000    # INT32_MIN sign-extended


def sx(value: int) -> int:
    """Bit pattern to Python int (signed)."""
    value &= ALL
    return value - (1 << 64) if value >> 63 else value


def sx32(value: int) -> int:
    value &= 0xFFFFFFFF
    return u64(value - (1 << 32) if value >> 31 else value)


def r_op(engine, name: str, a: int, b: int) -> int:
    bench = run_program(engine, [e.r(name, 7, 5, 6)], {5: a, 6: b})
    return bench.reg(7)


# ---- M: division and remainder (7.2), with the defined results for /0 and overflow -------

DIVISION = [
    ("div", 7, 2, 3), ("div", u64(-7), 2, u64(-3)), ("div", 7, u64(-2), u64(-3)),
    ("div", u64(-7), u64(-2), 3), ("div", 5, 0, ALL), ("div", 0, 0, ALL),
    ("div", MIN, ALL, MIN), ("div", MIN, 1, MIN), ("div", MAX, ALL, MIN + 1),
    ("divu", 7, 2, 3), ("divu", ALL, 2, MAX), ("divu", 5, 0, ALL), ("divu", MIN, ALL, 0),
    ("rem", 7, 2, 1), ("rem", u64(-7), 2, u64(-1)), ("rem", 7, u64(-2), 1),
    ("rem", u64(-7), u64(-2), u64(-1)), ("rem", 5, 0, 5), ("rem", u64(-5), 0, u64(-5)),
    ("rem", MIN, ALL, 0),
    ("remu", ALL, 10, 5), ("remu", 5, 0, 5), ("remu", MIN, ALL, MIN),
    # *W: the low 32 bits as 32-bit numbers, result sign-extended
    ("divw", u64(-7), 2, u64(-3)), ("divw", 0x100000007, 2, 3), ("divw", 5, 0, ALL),
    ("divw", 5, 0x100000000, ALL),                  # low word of the divisor is 0
    ("divw", 0x80000000, ALL, W_MIN), ("divw", 0x80000000, 0xFFFFFFFF, W_MIN),
    ("divuw", 0xFFFFFFFF, 2, 0x7FFFFFFF), ("divuw", 0x80000000, 1, W_MIN),
    ("divuw", 0x12345678, 0, ALL), ("divuw", 0xFFFFFFFF00000010, 4, 4),
    ("remw", u64(-7), 2, u64(-1)), ("remw", 0x80000000, ALL, 0),
    ("remw", 0x180000001, 0, 0xFFFFFFFF80000001), ("remw", 7, 0xFFFFFFFF00000004, 3),
    ("remuw", 0x80000005, 0, 0xFFFFFFFF80000005), ("remuw", 0xFFFFFFFF, 0x10, 15),
    ("remuw", 0x7FFFFFFF, 0, 0x7FFFFFFF), ("remuw", 0x1FFFFFFFF, 0x100000000, 0xFFFFFFFF80000000 | 0x7FFFFFFF),
]


@pytest.mark.parametrize("name,a,b,expected", DIVISION,
                         ids=[f"{c[0]}-{c[1]:x}-{c[2]:x}" for c in DIVISION])
def test_division(engine, name, a, b, expected):
    assert r_op(engine, name, a, b) == expected


# ---- M: multiplication (7.1); the high halves computed with Python's big integers -------

EDGE = [0, 1, 2, ALL, MIN, MAX, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF, 0x123456789ABCDEF0]


def expected_mul(name: str, a: int, b: int) -> int:
    if name == "mul":
        return u64(a * b)
    if name == "mulh":
        return u64((sx(a) * sx(b)) >> 64)
    if name == "mulhsu":
        return u64((sx(a) * b) >> 64)
    if name == "mulhu":
        return u64((a * b) >> 64)
    return sx32(a * b)                                    # mulw


@pytest.mark.parametrize("name", ["mul", "mulh", "mulhsu", "mulhu", "mulw"])
def test_multiplication(engine, name):
    bench = Bench(engine)
    for a in EDGE:
        for b in EDGE:
            bench.hart.reset(CODE)
            bench.program([e.r(name, 7, 5, 6)])
            bench.set_regs({5: a, 6: b})
            bench.run_to_end()
            assert bench.reg(7) == expected_mul(name, a, b), (name, hex(a), hex(b))


def test_mul_hand_values(engine):
    assert r_op(engine, "mulh", ALL, ALL) == 0
    assert r_op(engine, "mulh", MIN, MIN) == 1 << 62
    assert r_op(engine, "mulh", MIN, ALL) == 0
    assert r_op(engine, "mulhu", ALL, ALL) == ALL - 1
    assert r_op(engine, "mulhsu", ALL, ALL) == ALL
    assert r_op(engine, "mulhsu", 2, ALL) == 1
    assert r_op(engine, "mulw", 0x7FFFFFFF, 2) == u64(-2)
    assert r_op(engine, "mulw", 0x100000003, 0x100000005) == 15


# ---- shifts (2.4, 5.2): 6-bit amounts in RV64, 5-bit for *W -------------------------------

SHIFTS = [
    ("sll", 1, 63, MIN), ("sll", 1, 64, 1), ("sll", 1, 65, 2), ("sll", ALL, 0, ALL),
    ("srl", MIN, 63, 1), ("srl", MIN, 64, MIN), ("srl", ALL, 1, MAX),
    ("sra", MIN, 63, ALL), ("sra", MIN, 64, MIN), ("sra", u64(-8), 1, u64(-4)),
    ("sra", MAX, 62, 1),
    ("sllw", 1, 31, W_MIN), ("sllw", 1, 32, 1), ("sllw", 0xFFFFFFFF00000001, 0, 1),
    ("sllw", 3, 31, W_MIN),
    ("srlw", 0x80000000, 0, W_MIN), ("srlw", 0x80000000, 31, 1), ("srlw", 0x80000000, 1, 0x40000000),
    ("srlw", 0xFFFFFFFF80000000, 32, W_MIN), ("srlw", 0xFFFFFFFF00000000, 1, 0),
    ("sraw", 0x80000000, 31, ALL), ("sraw", 0x7FFFFFFF80000000, 4, 0xFFFFFFFFF8000000),
    ("sraw", 0x40000000, 33, 0x20000000), ("sraw", 0xFFFFFFFF7FFFFFFF, 0, 0x7FFFFFFF),
]


@pytest.mark.parametrize("name,a,b,expected", SHIFTS,
                         ids=[f"{c[0]}-{c[1]:x}-{c[2]}" for c in SHIFTS])
def test_register_shift(engine, name, a, b, expected):
    assert r_op(engine, name, a, b) == expected


IMM_SHIFTS = [
    ("slli", 1, 63, MIN), ("srli", MIN, 63, 1), ("srai", MIN, 63, ALL), ("srai", MAX, 63, 0),
    ("slli", ALL, 0, ALL), ("slliw", 1, 31, W_MIN), ("slliw", 0xFFFFFFFF, 0, ALL),
    ("srliw", 0x80000000, 0, W_MIN), ("srliw", 0xFFFFFFFF00000000, 0, 0), ("srliw", ALL, 31, 1),
    ("sraiw", 0x80000000, 31, ALL), ("sraiw", 0x0000000180000000, 1, 0xFFFFFFFFC0000000),
]


@pytest.mark.parametrize("name,a,shamt,expected", IMM_SHIFTS,
                         ids=[f"{c[0]}-{c[1]:x}-{c[2]}" for c in IMM_SHIFTS])
def test_immediate_shift(engine, name, a, shamt, expected):
    bench = run_program(engine, [e.shift(name, 7, 5, shamt)], {5: a})
    assert bench.reg(7) == expected


@pytest.mark.parametrize("word", [
    e.i_type(e.OP_IMM_32, 1, 7, 5, 0) | (32 << 20),           # slliw with shamt[5] set
    e.i_type(e.OP_IMM_32, 5, 7, 5, 0) | (33 << 20),           # srliw with shamt[5] set
    e.i_type(e.OP_IMM, 5, 7, 5, 0) | (0x08 << 26),            # srli with a bad funct6
    e.r_type(e.OP, 0, 0x02, 7, 5, 6),                         # OP with funct7 = 2
    e.r_type(e.OP_32, 1, 0x20, 7, 5, 6),                      # sllw with funct7 = 0x20
    e.r_type(e.OP_32, 2, 0x01, 7, 5, 6),                      # OP-32 M funct3 = 2 (no mulhw)
    e.i_type(e.LOAD, 7, 7, 5, 0),                             # load funct3 = 7
    e.s_type(e.STORE, 4, 5, 6, 0),                            # store funct3 = 4
    e.i_type(e.BRANCH, 2, 0, 5, 0),                           # branch funct3 = 2
    e.i_type(e.JALR, 1, 1, 5, 0),                             # jalr funct3 = 1
    0xFFFFFFFF, 0x0000007F,
])
def test_illegal_32bit_instruction_reports_its_bits(engine, word):
    bench = Bench(engine)
    bench.program([word])
    bench.set_regs({5: 0x80002000, 6: 0x80002000})
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == 2
    assert bench.hart.mtval == word
    assert bench.hart.mepc == CODE
    assert bench.hart.instret == 0           # the illegal instruction did not retire


# ---- *W results are sign-extended (5.2) ----------------------------------------------------

@pytest.mark.parametrize("name,a,b,expected", [
    ("addw", 0x7FFFFFFF, 1, W_MIN), ("addw", 0xFFFFFFFF, 1, 0), ("addw", 0x123456789, 0, 0x23456789),
    ("subw", 0x80000000, 1, 0x7FFFFFFF), ("subw", 0, 1, ALL), ("subw", 0x100000000, 0, 0),
])
def test_word_arithmetic(engine, name, a, b, expected):
    assert r_op(engine, name, a, b) == expected


def test_addiw_sign_extends(engine):
    bench = run_program(engine, [e.i("addiw", 7, 5, 0), e.i("addiw", 8, 6, 1), e.i("addiw", 9, 6, -1)],
                        {5: 0x180000000, 6: 0x7FFFFFFF})
    assert bench.reg(7) == W_MIN
    assert bench.reg(8) == W_MIN
    assert bench.reg(9) == 0x7FFFFFFE


# ---- comparisons and logic with immediates (2.4) -------------------------------------------

@pytest.mark.parametrize("name,a,b,expected", [
    ("slt", ALL, 0, 1), ("sltu", ALL, 0, 0), ("slt", 0, ALL, 0), ("sltu", 0, ALL, 1),
    ("slt", MIN, MAX, 1), ("sltu", MIN, MAX, 0), ("slt", 5, 5, 0), ("sltu", 5, 5, 0),
    ("slt", u64(-2), ALL, 1), ("add", MAX, 1, MIN), ("sub", 0, 1, ALL), ("sub", MIN, 1, MAX),
    ("xor", ALL, 0x0F, ALL ^ 0x0F), ("or", 0xF0, 0x0F, 0xFF), ("and", ALL, MIN, MIN),
])
def test_register_ops(engine, name, a, b, expected):
    assert r_op(engine, name, a, b) == expected


@pytest.mark.parametrize("name,a,imm,expected", [
    ("slti", u64(-2), -1, 1), ("slti", 0, -1, 0), ("sltiu", 5, -1, 1),   # -1 is 2^64-1 unsigned
    ("sltiu", 0, 1, 1), ("sltiu", 7, 1, 0), ("sltiu", ALL, -1, 0),
    ("xori", 0x1234, -1, u64(~0x1234)), ("ori", 0, -2048, u64(-2048)),
    ("andi", 0xFFFFFFFFFFFF0F0F, -16, 0xFFFFFFFFFFFF0F00), ("addi", MAX, 1, MIN),
    ("addi", 0, -2048, u64(-2048)), ("addi", 0, 2047, 2047),
])
def test_immediate_ops(engine, name, a, imm, expected):
    bench = run_program(engine, [e.i(name, 7, 5, imm)], {5: a})
    assert bench.reg(7) == expected


def test_x0_stays_zero(engine):
    bench = run_program(engine, [e.i("addi", 0, 0, 5), e.lui(0, 0x12345), e.r("add", 5, 0, 0)])
    assert bench.reg(0) == 0 and bench.reg(5) == 0


# ---- lui / auipc (2.4) -----------------------------------------------------------------------

def test_lui_auipc(engine):
    bench = run_program(engine, [e.lui(5, 0x80000), e.lui(6, 0x7FFFF), e.auipc(7, 0x80000),
                                 e.auipc(8, 1), e.auipc(9, 0)])
    assert bench.reg(5) == 0xFFFFFFFF80000000
    assert bench.reg(6) == 0x7FFFF000
    assert bench.reg(7) == u64(CODE + 8 - 0x80000000)
    assert bench.reg(8) == CODE + 12 + 0x1000
    assert bench.reg(9) == CODE + 16


# ---- branches (2.5) ---------------------------------------------------------------------------

BRANCHES = [
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("bne", 5, 6, True), ("bne", ALL, ALL, False),
    ("blt", ALL, 0, True), ("blt", 0, ALL, False), ("blt", MIN, MAX, True), ("blt", 3, 3, False),
    ("bge", 0, ALL, True), ("bge", 3, 3, True), ("bge", MIN, MAX, False),
    ("bltu", 0, ALL, True), ("bltu", ALL, 0, False), ("bltu", 3, 3, False),
    ("bgeu", ALL, 0, True), ("bgeu", 3, 3, True), ("bgeu", MAX, MIN, False),
]


@pytest.mark.parametrize("name,a,b,taken", BRANCHES, ids=[f"{c[0]}-{c[1]:x}-{c[2]:x}" for c in BRANCHES])
def test_branch(engine, name, a, b, taken):
    bench = run_program(engine, [e.b(name, 5, 6, 8), e.i("addi", 7, 0, 1), e.i("addi", 8, 0, 1)],
                        {5: a, 6: b})
    assert bench.reg(7) == (0 if taken else 1)
    assert bench.reg(8) == 1
    assert bench.hart.instret == (2 if taken else 3)


def test_backward_branch_loop(engine):
    # x5 = 10; do { x6 += x5; x5 -= 1 } while (x5 != 0)
    bench = run_program(engine, [e.i("addi", 5, 0, 10), e.r("add", 6, 6, 5), e.i("addi", 5, 5, -1),
                                 e.b("bne", 5, 0, -8)])
    assert bench.reg(6) == 55
    assert bench.hart.instret == 1 + 3 * 10


# ---- jal / jalr (2.5) ---------------------------------------------------------------------------

def test_jal_links_and_jumps(engine):
    bench = run_program(engine, [e.jal(1, 8), e.i("addi", 5, 0, 1), e.i("addi", 6, 0, 1), e.jal(0, 4)])
    assert bench.reg(1) == CODE + 4
    assert bench.reg(5) == 0 and bench.reg(6) == 1


def test_jalr_clears_bit0_and_uses_old_rs1(engine):
    target = CODE + 12
    bench = run_program(engine, [e.i("jalr", 1, 1, 1), e.i("addi", 5, 0, 1), e.i("addi", 5, 0, 2),
                                 e.i("addi", 6, 0, 3)], {1: target - 1})
    # rs1 = rd = x1: the target comes from the old x1 (target - 1) + 1 = target, bit 0 clear
    assert bench.reg(1) == CODE + 4
    assert bench.reg(5) == 0 and bench.reg(6) == 3


def test_jalr_odd_target_is_rounded_down(engine):
    bench = run_program(engine, [e.i("jalr", 7, 5, 3), e.i("addi", 6, 0, 9), e.i("addi", 8, 0, 1)],
                        {5: CODE + 5})           # (CODE + 5 + 3) & ~1 = CODE + 8
    assert bench.reg(7) == CODE + 4
    assert bench.reg(6) == 0 and bench.reg(8) == 1


def test_jalr_negative_offset(engine):
    bench = run_program(engine, [e.jal(0, 12), e.i("addi", 6, 0, 7), e.jal(0, 8),
                                 e.i("jalr", 1, 5, -2044)], {5: CODE + 4 + 2044})
    assert bench.reg(6) == 7 and bench.reg(1) == CODE + 16
