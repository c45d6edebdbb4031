"""The C extension: each 16-bit form does what its 32-bit spelling does.

Unprivileged ISA chapter 16 (RV64C). Each case runs the compressed encoding and its 32-bit
equivalent from the same registers and memory and compares every register and the scratch
memory; the pc must advance by 2 instead of 4. Jumps (whose link is pc + 2) and reserved
encodings are checked on their own.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import CODE, DATA, Bench

REGS = {1: 0x11, 2: DATA + 0x200, 5: 0x8000000000000123, 6: 0xFFFFFFFF,
        8: 0x7FFFFFFF, 9: 0xFFFFFFFF80000000, 10: DATA, 11: 0xFFFFFFFFFFFFFFFF,
        12: 0x123456789ABCDEF0, 13: 3, 14: 0x8000000000000000, 15: 0}
MEMORY = bytes(range(1, 256)) * 3


def run_one(engine, word: int) -> Bench:
    bench = Bench(engine)
    bench.write(DATA, MEMORY)
    bench.program([word])
    bench.set_regs(REGS)
    bench.run_to_end()
    return bench


EQUIVALENT = [
    ("c.addi4spn", e.c_addi4spn(8, 16), e.i("addi", 8, 2, 16)),
    ("c.addi4spn-max", e.c_addi4spn(15, 1020), e.i("addi", 15, 2, 1020)),
    ("c.lw", e.c_lw(9, 10, 4), e.i("lw", 9, 10, 4)),
    ("c.lw-max", e.c_lw(9, 10, 124), e.i("lw", 9, 10, 124)),
    ("c.ld", e.c_ld(9, 10, 8), e.i("ld", 9, 10, 8)),
    ("c.ld-max", e.c_ld(11, 10, 248), e.i("ld", 11, 10, 248)),
    ("c.sw", e.c_sw(12, 10, 64), e.s("sw", 12, 10, 64)),
    ("c.sd", e.c_sd(12, 10, 248), e.s("sd", 12, 10, 248)),
    ("c.nop", e.c_nop(), e.i("addi", 0, 0, 0)),
    ("c.addi", e.c_addi(5, -3), e.i("addi", 5, 5, -3)),
    ("c.addi-31", e.c_addi(1, 31), e.i("addi", 1, 1, 31)),
    ("c.addiw", e.c_addiw(8, 1), e.i("addiw", 8, 8, 1)),
    ("c.addiw-sext", e.c_addiw(6, 0), e.i("addiw", 6, 6, 0)),
    ("c.li", e.c_li(5, -32), e.i("addi", 5, 0, -32)),
    ("c.li-31", e.c_li(31, 31), e.i("addi", 31, 0, 31)),
    ("c.addi16sp-neg", e.c_addi16sp(-512), e.i("addi", 2, 2, -512)),
    ("c.addi16sp-pos", e.c_addi16sp(496), e.i("addi", 2, 2, 496)),
    ("c.lui-neg", e.c_lui(5, -1), e.lui(5, 0xFFFFF)),
    ("c.lui-pos", e.c_lui(5, 31), e.lui(5, 31)),
    ("c.lui-min", e.c_lui(3, -32), e.lui(3, 0xFFFE0)),
    ("c.srli", e.c_srli(14, 63), e.shift("srli", 14, 14, 63)),
    ("c.srli-1", e.c_srli(11, 1), e.shift("srli", 11, 11, 1)),
    ("c.srai", e.c_srai(14, 1), e.shift("srai", 14, 14, 1)),
    ("c.srai-63", e.c_srai(9, 63), e.shift("srai", 9, 9, 63)),
    ("c.andi", e.c_andi(12, -8), e.i("andi", 12, 12, -8)),
    ("c.andi-pos", e.c_andi(12, 31), e.i("andi", 12, 12, 31)),
    ("c.sub", e.c_ca("sub", 8, 9), e.r("sub", 8, 8, 9)),
    ("c.xor", e.c_ca("xor", 12, 11), e.r("xor", 12, 12, 11)),
    ("c.or", e.c_ca("or", 13, 14), e.r("or", 13, 13, 14)),
    ("c.and", e.c_ca("and", 12, 9), e.r("and", 12, 12, 9)),
    ("c.subw", e.c_ca("subw", 8, 9), e.r("subw", 8, 8, 9)),
    ("c.addw", e.c_ca("addw", 8, 13), e.r("addw", 8, 8, 13)),
    ("c.slli", e.c_slli(5, 63), e.shift("slli", 5, 5, 63)),
    ("c.slli-12", e.c_slli(12, 12), e.shift("slli", 12, 12, 12)),
    ("c.lwsp", e.c_lwsp(5, 252), e.i("lw", 5, 2, 252)),
    ("c.ldsp", e.c_ldsp(5, 504), e.i("ld", 5, 2, 504)),
    ("c.ldsp-8", e.c_ldsp(31, 8), e.i("ld", 31, 2, 8)),
    ("c.swsp", e.c_swsp(12, 252), e.s("sw", 12, 2, 252)),
    ("c.sdsp", e.c_sdsp(12, 504), e.s("sd", 12, 2, 504)),
    ("c.mv", e.c_mv(5, 12), e.r("add", 5, 0, 12)),
    ("c.add", e.c_add(5, 12), e.r("add", 5, 5, 12)),
    ("c.add-hint", e.c_add(0, 12), e.r("add", 0, 0, 12)),
    ("c.slli-hint", e.c_slli(0, 3), e.shift("slli", 0, 0, 3)),
]


@pytest.mark.parametrize("name,short,long", EQUIVALENT, ids=[c[0] for c in EQUIVALENT])
def test_compressed_equals_32bit_form(engine, name, short, long):
    assert short < 0x10000 and short & 3 != 3
    a = run_one(engine, short)
    b = run_one(engine, long)
    assert a.hart.registers() == b.hart.registers()
    assert a.read(DATA, len(MEMORY)) == b.read(DATA, len(MEMORY))
    assert a.end == CODE + 2 and b.end == CODE + 4
    assert a.hart.instret == b.hart.instret == 1


def test_compressed_jumps(engine):
    bench = Bench(engine)
    words = [e.c_j(6),            # 0: -> 6
             e.c_li(5, 1),        # 2: skipped
             e.c_nop(),           # 4: skipped
             e.c_jalr(12),        # 6: -> x12 = CODE+14, ra = CODE+8
             e.c_li(6, 1),        # 8: skipped
             e.c_li(7, 1),        # 10: skipped
             e.c_nop(),           # 12: skipped
             e.c_mv(13, 1),       # 14: x13 = ra
             e.c_jr(14),          # 16: -> x14 = CODE+22
             e.c_li(6, 2),        # 18: skipped
             e.c_li(7, 2),        # 20: skipped
             e.c_beqz(15, 4),     # 22: x15 == 0: taken -> 26
             e.c_li(6, 3),        # 24: skipped
             e.c_bnez(15, 4),     # 26: not taken
             e.c_li(8, 9)]        # 28
    bench.program(words)
    bench.set_regs({12: CODE + 14, 14: CODE + 22, 15: 0})
    bench.run_to_end()
    assert bench.reg(5) == 0 and bench.reg(6) == 0 and bench.reg(7) == 0
    assert bench.reg(1) == CODE + 8 and bench.reg(13) == CODE + 8
    assert bench.reg(8) == 9
    assert bench.hart.instret == 7


def test_c_jalr_with_rs1_equal_ra(engine):
    bench = Bench(engine)
    bench.program([e.c_jalr(1), e.c_li(5, 1), e.c_li(6, 1)])
    bench.set_regs({1: CODE + 4})
    bench.run_to_end()
    assert bench.reg(1) == CODE + 2
    assert bench.reg(5) == 0 and bench.reg(6) == 1


def test_c_ebreak(engine):
    bench = Bench(engine)
    bench.program([e.c_ebreak()])
    bench.run_to_trap()
    assert bench.hart.mcause == 3
    assert bench.hart.mepc == CODE


def test_mixed_16_and_32_bit_stream(engine):
    bench = Bench(engine)
    bench.program([e.c_li(8, 5), e.i("addi", 9, 8, 100), e.c_addi(8, 1), e.r("mul", 10, 8, 9),
                   e.c_ca("sub", 10, 8)])
    bench.run_to_end()
    assert bench.reg(10) == 6 * 105 - 6
    assert bench.end == CODE + 14


RESERVED = [
    ("all-zero", 0x0000),
    ("c.addi4spn-zero-imm", 0x0004),
    ("q0-funct3-4", 0x8000),
    ("c.addiw-rd0", 0x2001),
    ("c.addi16sp-zero", 0x6101),
    ("c.lui-zero", 0x6281),
    ("c.subw-c.addw-reserved-10", (4 << 13) | (1 << 12) | (3 << 10) | (1 << 7) | (2 << 5) | (2 << 2) | 1),
    ("c.subw-c.addw-reserved-11", (4 << 13) | (1 << 12) | (3 << 10) | (1 << 7) | (3 << 5) | (2 << 2) | 1),
    ("c.lwsp-rd0", 0x4002),
    ("c.ldsp-rd0", 0x6002),
    ("c.jr-rs1-0", 0x8002),
    ("c.fld-no-D", 0x2000 | (1 << 2)),
    ("c.fsd-no-D", 0xA000 | (1 << 2)),
    ("c.fldsp-no-D", 0x2002 | (5 << 7)),
    ("c.fsdsp-no-D", 0xA002),
]


@pytest.mark.parametrize("name,parcel", RESERVED, ids=[c[0] for c in RESERVED])
def test_reserved_compressed_is_illegal_with_the_parcel_in_mtval(engine, name, parcel):
    bench = Bench(engine)
    bench.program([parcel, 0x0001])        # the next parcel must not leak into mtval
    bench.write(CODE + 2, b"\xff\xff")
    bench.run_to_trap()
    assert bench.hart.mcause == 2
    assert bench.hart.mtval == parcel
    assert bench.hart.mepc == CODE


def test_compressed_at_the_end_of_a_page(engine):
    """A 16-bit instruction in the last two bytes of a page, with nothing mapped after."""
    bench = Bench(engine)
    last = 0x80000000 + bench.machine.ram_size - 2
    bench.write_words(last, [e.c_li(5, 3)])
    bench.hart.pc = last
    bench.step()
    assert bench.reg(5) == 3
    # The next fetch is past the end of RAM: an instruction access fault
    bench.run_to_trap()
    assert bench.hart.mcause == 1 and bench.hart.mtval == last + 2
