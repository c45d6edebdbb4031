"""Loads, stores and the A extension: widths, sign extension, misalignment, LR/SC, AMOs.

Unprivileged ISA 2.6 and 5.3 (loads and stores; misaligned accesses are allowed here, as on
QEMU, including ones that cross a page), chapter 8 (A: LR/SC and the AMOs). Privileged spec
3.6 for access faults on addresses no device answers, table 3.6 for the causes.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import CODE, DATA, Bench, u64

ALL = (1 << 64) - 1
PATTERN = bytes([0x80, 0x01, 0xFF, 0x7F, 0x00, 0x00, 0x00, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
UNMAPPED = 0x40000000          # nothing on this test machine's bus answers here


def data_bench(engine, words, regs=None, data=PATTERN, at=DATA) -> Bench:
    bench = Bench(engine)
    bench.write(at, data)
    bench.program(words)
    bench.set_regs({10: at, **(regs or {})})
    return bench


@pytest.mark.parametrize("name,offset,expected", [
    ("lb", 0, u64(-128)), ("lbu", 0, 0x80), ("lb", 3, 0x7F), ("lb", 2, ALL),
    ("lh", 0, 0x0180), ("lh", 6, 0xFFFFFFFFFFFF8000), ("lhu", 6, 0x8000),
    ("lw", 4, 0xFFFFFFFF80000000), ("lwu", 4, 0x80000000), ("lw", 0, 0x7FFF0180),
    ("ld", 0, 0x800000007FFF0180), ("ld", 8, 0x8877665544332211),
    # misaligned (allowed)
    ("lh", 1, 0xFFFFFFFFFFFFFF01), ("lw", 1, 0x007FFF01), ("lw", 5, 0x11800000),
    ("ld", 3, 0x332211800000007F), ("lhu", 7, 0x1180), ("lwu", 6, 0x22118000),
])
def test_load_widths_and_sign_extension(engine, name, offset, expected):
    bench = data_bench(engine, [e.i(name, 5, 10, offset)])
    bench.run_to_end()
    assert bench.reg(5) == expected


def test_load_negative_offset_and_x0(engine):
    bench = data_bench(engine, [e.i("ld", 5, 11, -8), e.i("ld", 0, 10, 0)], {11: DATA + 16})
    bench.run_to_end()
    assert bench.reg(5) == 0x8877665544332211
    assert bench.reg(0) == 0


@pytest.mark.parametrize("name,offset,size", [
    ("sb", 0, 1), ("sh", 0, 2), ("sw", 0, 4), ("sd", 0, 8),
    ("sh", 3, 2), ("sw", 5, 4), ("sd", 7, 8), ("sb", -1, 1), ("sd", -3, 8),
])
def test_store_writes_only_its_bytes(engine, name, offset, size):
    base = DATA + 0x100
    bench = data_bench(engine, [e.s(name, 5, 10, offset)], {5: 0x0102030405060708}, bytes([0xEE] * 32), base - 8)
    bench.set_regs({10: base})
    bench.run_to_end()
    memory = bench.read(base - 8, 32)
    expected = bytearray([0xEE] * 32)
    expected[8 + offset:8 + offset + size] = (0x0102030405060708).to_bytes(8, "little")[:size]
    assert memory == bytes(expected)


def test_accesses_across_a_page_boundary(engine):
    edge = DATA + 0x1000 - 3          # a doubleword from 3 bytes before the page end
    bench = data_bench(engine, [e.s("sd", 5, 10, 0), e.i("ld", 6, 10, 0), e.i("lw", 7, 10, 1)],
                       {5: 0x1122334455667788}, bytes(16), edge - 5)
    bench.set_regs({10: edge})
    bench.run_to_end()
    assert bench.read_u64(edge) == 0x1122334455667788
    assert bench.reg(6) == 0x1122334455667788
    assert bench.reg(7) == 0x44556677


@pytest.mark.parametrize("word,cause", [
    (e.i("lb", 5, 10, 0), 5), (e.i("ld", 5, 10, 0), 5), (e.s("sw", 5, 10, 0), 7), (e.s("sd", 5, 10, 0), 7),
])
def test_unmapped_physical_address_is_an_access_fault(engine, word, cause):
    bench = data_bench(engine, [word], {10: UNMAPPED + 8, 5: 7})
    bench.run_to_trap()
    assert bench.hart.mcause == cause
    assert bench.hart.mtval == UNMAPPED + 8
    assert bench.hart.mepc == CODE
    assert bench.reg(5) == 7                  # the faulting load wrote nothing


def test_fetch_from_unmapped_address_is_an_instruction_access_fault(engine):
    bench = Bench(engine)
    bench.program([e.i("jalr", 0, 10, 0)])
    bench.set_regs({10: UNMAPPED})
    bench.run_to_trap()
    assert bench.hart.mcause == 1
    assert bench.hart.mtval == UNMAPPED
    assert bench.hart.mepc == UNMAPPED


def test_load_past_the_end_of_ram_is_an_access_fault(engine):
    bench = Bench(engine)
    end = 0x80000000 + bench.machine.ram_size
    bench.program([e.i("ld", 5, 10, 0)])
    bench.set_regs({10: end - 4})
    bench.run_to_trap()
    assert bench.hart.mcause == 5
    assert bench.hart.mtval in (end - 4, end)   # the whole access or its first missing byte


# ---- LR/SC (8.2) ---------------------------------------------------------------------------

def lrsc(engine, words, memory=0x1111, regs=None) -> Bench:
    bench = data_bench(engine, words, {7: 0x2222, **(regs or {})}, u64(memory).to_bytes(8, "little"))
    return bench


@pytest.mark.parametrize("width", ["w", "d"])
def test_lr_sc_succeeds(engine, width):
    bench = lrsc(engine, [e.amo("lr", width, 5, 10), e.amo("sc", width, 6, 10, 7)], memory=0xAAAABBBBCCCCDDDD)
    bench.run_to_end()
    assert bench.reg(6) == 0
    if width == "d":
        assert bench.reg(5) == 0xAAAABBBBCCCCDDDD
        assert bench.read_u64(DATA) == 0x2222
    else:
        assert bench.reg(5) == 0xFFFFFFFFCCCCDDDD      # lr.w sign-extends
        assert bench.read_u64(DATA) == 0xAAAABBBB00002222


def test_sc_without_reservation_fails(engine):
    bench = lrsc(engine, [e.amo("sc", "d", 6, 10, 7)])
    bench.run_to_end()
    assert bench.reg(6) == 1
    assert bench.read_u64(DATA) == 0x1111


def test_second_sc_fails(engine):
    bench = lrsc(engine, [e.amo("lr", "d", 5, 10), e.amo("sc", "d", 6, 10, 7), e.amo("sc", "d", 8, 10, 9)],
                 regs={9: 0x3333})
    bench.run_to_end()
    assert (bench.reg(6), bench.reg(8)) == (0, 1)
    assert bench.read_u64(DATA) == 0x2222


def test_sc_to_another_address_fails(engine):
    bench = lrsc(engine, [e.amo("lr", "d", 5, 10), e.amo("sc", "d", 6, 11, 7)], regs={11: DATA + 8})
    bench.run_to_end()
    assert bench.reg(6) == 1
    assert bench.read_u64(DATA + 8) == 0


def test_sc_fails_when_another_agent_changed_the_value(engine):
    bench = lrsc(engine, [e.amo("lr", "d", 5, 10), e.amo("sc", "d", 6, 10, 7)])
    bench.step()                                    # lr
    bench.write_u64(DATA, 0x9999)                   # another hart (or DMA) stores there
    bench.run_to_end()
    assert bench.reg(6) == 1
    assert bench.read_u64(DATA) == 0x9999


def test_trap_drops_the_reservation(engine):
    handler = CODE + 0x800
    bench = lrsc(engine, [e.amo("lr", "d", 5, 10), e.ECALL, e.amo("sc", "d", 6, 10, 7)])
    # The handler skips the ecall and returns: mepc += 4; mret
    bench.write_words(handler, [e.csr("csrrs", 28, 0x341, 0), e.i("addi", 28, 28, 4),
                                e.csr("csrrw", 0, 0x341, 28), e.MRET])
    bench.hart.mtvec = handler
    bench.run_to_end()
    assert bench.hart.mcause == 11
    assert bench.reg(6) == 1
    assert bench.read_u64(DATA) == 0x1111


# ---- AMOs (8.4) --------------------------------------------------------------------------------

def amo_model(name: str, width: str, old: int, operand: int) -> int:
    """The value the AMO leaves in memory, on Python integers."""
    bits = 32 if width == "w" else 64
    mask = (1 << bits) - 1
    a, b = old & mask, operand & mask
    sa = a - (1 << bits) if a >> (bits - 1) else a
    sb = b - (1 << bits) if b >> (bits - 1) else b
    result = {"amoswap": b, "amoadd": a + b, "amoxor": a ^ b, "amoand": a & b, "amoor": a | b,
              "amomin": min(sa, sb), "amomax": max(sa, sb), "amominu": min(a, b),
              "amomaxu": max(a, b)}[name]
    return result & mask


AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"]
AMO_VALUES = [(0xFFFFFFFFFFFFFFF0, 5), (5, 0xFFFFFFFFFFFFFFF0), (0x1234567880000001, 0x9ABCDEF000000003),
              (0x7FFFFFFFFFFFFFFF, 0x8000000000000000), (0x00000000FFFFFFFF, 1)]


@pytest.mark.parametrize("width", ["w", "d"])
@pytest.mark.parametrize("name", AMOS)
def test_amo(engine, name, width):
    for old, operand in AMO_VALUES:
        bench = data_bench(engine, [e.amo(name, width, 5, 10, 6)], {6: operand},
                           old.to_bytes(8, "little") + b"\xA5" * 8)
        bench.run_to_end()
        if width == "d":
            assert bench.reg(5) == old
            assert bench.read_u64(DATA) == amo_model(name, "d", old, operand), (hex(old), hex(operand))
        else:
            low = old & 0xFFFFFFFF
            assert bench.reg(5) == u64(low - (1 << 32) if low >> 31 else low)
            assert bench.read_u32(DATA) == amo_model(name, "w", old, operand), (hex(old), hex(operand))
            assert bench.read_u32(DATA + 4) == old >> 32    # the other half is untouched
        assert bench.read(DATA + 8, 8) == b"\xA5" * 8


def test_amo_with_rd_x0_and_rd_equal_rs2(engine):
    bench = data_bench(engine, [e.amo("amoadd", "d", 0, 10, 6), e.amo("amoswap", "d", 6, 10, 6)],
                       {6: 5}, (100).to_bytes(8, "little"))
    bench.run_to_end()
    assert bench.reg(0) == 0
    assert bench.reg(6) == 105                      # old value, read before rs2 was overwritten
    assert bench.read_u64(DATA) == 5


@pytest.mark.parametrize("word,offset,cause", [
    (e.amo("amoadd", "w", 5, 10, 6), 2, 6), (e.amo("amoadd", "d", 5, 10, 6), 4, 6),
    (e.amo("amoswap", "w", 5, 10, 6), 1, 6), (e.amo("amomaxu", "d", 5, 10, 6), 7, 6),
    (e.amo("sc", "d", 5, 10, 6), 4, 6), (e.amo("sc", "w", 5, 10, 6), 2, 6),
    (e.amo("lr", "d", 5, 10), 4, 4), (e.amo("lr", "w", 5, 10), 2, 4),
])
def test_misaligned_atomics_trap(engine, word, offset, cause):
    bench = data_bench(engine, [word], {6: 1, 5: 77})
    bench.set_regs({10: DATA + offset})
    bench.run_to_trap()
    assert bench.hart.mcause == cause
    assert bench.hart.mtval == DATA + offset
    assert bench.reg(5) == 77
    assert bench.read(DATA, 16) == PATTERN


@pytest.mark.parametrize("word,cause", [
    (e.amo("amoadd", "d", 5, 10, 6), 7), (e.amo("lr", "w", 5, 10), 5), (e.amo("amoswap", "w", 5, 10, 6), 7),
])
def test_atomic_to_unmapped_address_is_an_access_fault(engine, word, cause):
    bench = data_bench(engine, [word])
    bench.set_regs({10: UNMAPPED})
    bench.run_to_trap()
    assert bench.hart.mcause == cause
    assert bench.hart.mtval == UNMAPPED


@pytest.mark.parametrize("word", [
    e.r_type(e.AMO, 2, 0x02 << 2, 5, 10, 6),      # lr.w with rs2 != 0
    e.r_type(e.AMO, 1, 0x00, 5, 10, 6),           # amoadd with funct3 = 1
    e.r_type(e.AMO, 2, 0x05 << 2, 5, 10, 6),      # funct5 = 5: no such AMO
])
def test_reserved_amo_encodings_are_illegal(engine, word):
    bench = data_bench(engine, [word])
    bench.run_to_trap()
    assert bench.hart.mcause == 2
    assert bench.hart.mtval == word


def test_self_modifying_code_with_fence_i(engine):
    """Store a new instruction over a later one, fence.i, then run it."""
    bench = Bench(engine)
    target = CODE + 12
    bench.program([e.s("sw", 6, 10, 0), e.FENCE_I, e.c_nop(), e.c_nop(), e.i("addi", 5, 0, 1)])
    bench.set_regs({10: target, 6: e.i("addi", 5, 0, 77)})
    bench.run_to_end()
    assert bench.reg(5) == 77
