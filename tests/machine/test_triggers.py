"""Debug triggers (Sdtrig) and the debugger's breakpoints, on both engines (core/trigger.py).

The guest's side: what a write to tdata1 keeps (QEMU 7.2's choices, measured there with a
bare-metal probe; guests/baremetal/tests/triggers.c is the conformance program run on
both machines), execute, load and store matches raising breakpoint exceptions before the
instruction, also after the instruction was cached or the page put in the TLB. The
debugger's side: software breakpoints and hardware triggers with dmode and action 1 halt the
hart before the access, M-mode cannot take them over, a reset keeps them,
single steps take no interrupt; and the debugger's address translation.
"""

import pytest

from downstairs.isa import encode as e
from downstairs.machine.core import consts as c
from tests.machine.harness import CODE, DATA, M_TRAP, Bench, enter_mode
from tests.machine.paging import A, D, PageTables, R, V, W, X

TSELECT, TDATA1, TDATA2, TDATA3, TINFO = 0x7A0, 0x7A1, 0x7A2, 0x7A3, 0x7A4
TYPE2, TYPE6 = 2 << 60, 6 << 60
L, S, EX, U_BIT, S_BIT, M_BIT = 1, 2, 4, 8, 16, 64

# (written, read back) on QEMU 7.2's trigger 0, each after a write of 0
QEMU_WARL = [
    (0, TYPE2),
    (TYPE2 | 0x0FFFFFFFFFFFFFFF, TYPE2 | 0x5F),
    (TYPE6 | 0x0FFFFFFFFFFFFFFF, TYPE6 | 0x180005F),
    (TYPE2 | M_BIT | EX | (1 << 12), TYPE2 | M_BIT | EX),             # action 1: not from M
    (TYPE2 | M_BIT | EX | (1 << 18), TYPE2 | M_BIT | EX),             # timing
    (TYPE2 | (1 << 59) | M_BIT | EX, TYPE2 | M_BIT | EX),             # dmode
    (TYPE2 | M_BIT | EX | (3 << 7), TYPE2 | M_BIT | EX),              # match
    (TYPE2 | M_BIT | L | (1 << 11), TYPE2 | M_BIT | L),               # chain
    (TYPE2 | (1 << 21) | (1 << 16), TYPE2 | (1 << 21) | (1 << 16)),   # size 5: 64 bits
    (TYPE2 | (1 << 21), TYPE2),                                       # size 4: 48 bits
    (TYPE2 | (3 << 16), TYPE2 | (3 << 16)),
    (TYPE6 | (5 << 16), TYPE6 | (5 << 16)),
    (TYPE6 | (4 << 16), TYPE6),
    (TYPE6 | (7 << 16), TYPE6),
    (TYPE6 | M_BIT | EX | (1 << 22) | (1 << 12) | (2 << 7) | (1 << 16), TYPE6 | M_BIT | EX | (1 << 16)),
]


def csr(bench, number, value=None):
    if value is not None:
        bench.csr_write(number, value)
    return bench.csr_read(number)


@pytest.mark.parametrize("written,kept", QEMU_WARL, ids=[f"{w:#x}" for w, _ in QEMU_WARL])
def test_tdata1_keeps_what_qemu_keeps(engine, written, kept):
    bench = Bench(engine)
    csr(bench, TDATA1, 0)
    assert csr(bench, TDATA1, written) == kept


def test_selection_and_the_fixed_registers(engine):
    bench = Bench(engine)
    assert csr(bench, TSELECT, 1) == 1
    assert csr(bench, TSELECT, 2) == 1                 # past the last: not kept
    csr(bench, TDATA2, 0x1234)
    csr(bench, TSELECT, 0)
    assert csr(bench, TDATA2, 0x5678) == 0x5678
    assert csr(bench, TSELECT, 1) == 1 and csr(bench, TDATA2) == 0x1234
    assert csr(bench, TINFO, 0) == 0x44 and csr(bench, TDATA3, 5) == 0
    for ignored in (3 << 60, 4 << 60, 7 << 60, 15 << 60, 1 << 60):
        csr(bench, TDATA1, TYPE6 | L)
        assert csr(bench, TDATA1, ignored) == TYPE6 | L


def arm(bench, addr, control, index=0):
    csr(bench, TSELECT, index)
    csr(bench, TDATA1, 0)
    csr(bench, TDATA2, addr)
    csr(bench, TDATA1, control)


def test_execute_trigger_fires_before_even_when_cached(engine):
    bench = Bench(engine)
    bench.program([e.i("addi", 5, 5, 1), e.i("addi", 6, 6, 1), e.i("addi", 7, 7, 1)])
    bench.run_to_end()                                 # every instruction now decoded, cached
    arm(bench, CODE + 4, TYPE2 | M_BIT | EX)
    bench.hart.pc = CODE
    bench.run_to_trap(M_TRAP)
    h = bench.hart
    assert (h.mcause, h.mepc, h.mtval) == (3, CODE + 4, 0)
    assert (bench.reg(5), bench.reg(6)) == (2, 1)      # the second addi did not run
    arm(bench, CODE + 4, TYPE2 | S_BIT | U_BIT | EX)  # not in M: runs through
    bench.hart.pc = CODE
    bench.run_to_end()
    assert bench.reg(6) == 2


def test_execute_trigger_in_user_mode(engine):
    bench = Bench(engine)
    enter_mode(bench, 0, [e.c_nop(), e.i("addi", 5, 0, 9)])
    arm(bench, CODE + 0x102, TYPE6 | U_BIT | EX)
    bench.run_to_trap(M_TRAP)
    assert (bench.hart.mcause, bench.hart.mepc, bench.reg(5)) == (3, CODE + 0x102, 0)


@pytest.mark.parametrize("width", ["ld", "lw", "lbu"])
def test_load_trigger_after_the_page_was_in_the_tlb(engine, width):
    bench = Bench(engine)
    bench.write_u64(DATA, 0x1122334455667788)
    bench.program([e.i(width, 6, 5, 0), e.i(width, 7, 5, 0)], CODE)
    bench.set_regs({5: DATA, 6: 0xAA, 7: 0xBB})
    bench.step()                                       # the first load fills the TLB
    arm(bench, DATA, TYPE2 | M_BIT | L)
    bench.run_to_trap(M_TRAP)
    assert (bench.hart.mcause, bench.hart.mepc, bench.reg(7)) == (3, CODE + 4, 0xBB)


def test_store_trigger_matches_any_covered_byte(engine):
    bench = Bench(engine)
    bench.program([e.s("sb", 6, 5, 3), e.s("sw", 6, 5, 0), e.s("sd", 6, 5, 8)])
    bench.set_regs({5: DATA, 6: 0x5A5A5A5A})
    arm(bench, DATA + 2, TYPE6 | M_BIT | S)
    bench.run_to_trap(M_TRAP)                          # the byte at +3 passes; the word stops
    assert bench.hart.mepc == CODE + 4 and bench.read_u64(DATA) == 0x5A000000


def test_amo_is_a_load_and_a_store(engine):
    bench = Bench(engine)
    bench.program([e.amo("amoadd", "d", 6, 5, 7)])
    bench.set_regs({5: DATA, 7: 1})
    arm(bench, DATA, TYPE2 | M_BIT | S)
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == 3 and bench.read_u64(DATA) == 0


# ---- the debugger's side -----------------------------------------------------------------

def test_software_breakpoint_halts_before_the_instruction(engine):
    bench = Bench(engine)
    bench.program([e.i("addi", 5, 5, 1), e.i("addi", 5, 5, 1), e.i("addi", 5, 5, 1)])
    h = bench.hart
    assert engine.trigger.insert_breakpoint(h, CODE + 8)
    retired = engine.run(h, 100)
    assert (h.halt, h.halt_addr, h.pc, retired, h.instret, bench.reg(5)) == (c.HALT_BREAKPOINT, CODE + 8, CODE + 8, 2, 2, 2)
    engine.trigger.remove_breakpoint(h, CODE + 8)
    h.halt = 0
    bench.run_to_end()
    assert bench.reg(5) == 3


def test_debugger_watchpoint_stops_before_the_store(engine):
    """As gdb expects of RISC-V: it then steps over the store itself."""
    bench = Bench(engine)
    bench.program([e.i("addi", 7, 7, 1), e.s("sd", 6, 5, 0), e.i("addi", 7, 7, 1)])
    bench.set_regs({5: DATA + 12, 6: 99})
    h = bench.hart
    assert engine.trigger.insert_trigger(h, S, DATA + 8, 8)
    engine.run(h, 100)
    assert (h.halt, h.halt_addr, h.pc, bench.read_u64(DATA + 8), bench.reg(7)) == (c.HALT_WATCH, DATA + 8, CODE + 4, 0, 1)


@pytest.mark.parametrize("addr,length,tdata2", [
    (0x80000000, 8, 0x80000003), (0x80000003, 2, 0x80000003), (0x80000006, 4, 0x80000007),
    (0x7FFFFFFFFFFFFFFF, 2, 0x3FFFFFFFFFFFFFFF),       # crosses 2^63: the largest block, and it ends
    (0xFFFFFFFFFFFFFFFE, 4, 0xBFFFFFFFFFFFFFFF),       # wraps: likewise (gdbstub refuses both)
])
def test_napot_address_covers_the_range_and_always_ends(engine, addr, length, tdata2):
    """The tdata2 of gdb's watchpoint of `length` bytes at addr; the compiled loop once ran
    forever when the block it needed was 2^64 bytes."""
    assert engine.trigger.napot_address(addr, length) == tdata2


def test_debugger_hardware_breakpoint_and_the_limits(engine):
    bench = Bench(engine)
    bench.program([e.i("addi", 5, 5, 1), e.i("addi", 5, 5, 1)])
    h = bench.hart
    assert engine.trigger.insert_trigger(h, EX, CODE + 4, 4)
    assert engine.trigger.insert_trigger(h, L, DATA, 4)
    assert not engine.trigger.insert_trigger(h, L, DATA + 64, 4)    # both triggers taken
    csr(bench, TSELECT, 0)
    owned = csr(bench, TDATA1)
    assert owned & (1 << 59) and (owned >> 12) & 0xF == 1
    assert csr(bench, TDATA1, 0) == owned and csr(bench, TDATA2, 0) == CODE + 4   # M-mode cannot change it
    h.reset(CODE)
    assert csr(bench, TDATA1) == owned                 # a reset keeps the debugger's triggers
    engine.trigger.update(h)
    engine.run(h, 100)
    assert (h.halt, h.pc, bench.reg(5)) == (c.HALT_TRIGGER, CODE + 4, 1)
    engine.trigger.remove_trigger(h, EX, CODE + 4, 4)
    assert csr(bench, TDATA1) == TYPE2


def test_single_step_takes_no_interrupt(engine):
    bench = Bench(engine)
    bench.program([e.i("addi", 5, 5, 1)])
    h = bench.hart
    h.mstatus |= 1 << 3                                # MIE
    h.mie = h.mip = 1 << 7                             # a pending machine timer interrupt
    h.hold_interrupts = 1
    assert engine.run(h, 1) == 1 and h.pc == CODE + 4 and bench.reg(5) == 1
    h.hold_interrupts = 0
    engine.run(h, 1)
    assert h.pc == M_TRAP and h.mcause == (1 << 63) | 7


def test_debug_translation_walks_without_side_effects(engine):
    bench = Bench(engine)
    tables = PageTables(bench)
    tables.identity()
    leaf = tables.map(0x40000000, DATA, V | R | W)      # no A, no D, no U
    tables.map(0x40003000, DATA, V | X | A)             # execute-only
    tables.install()
    bench.open_pmp()                                   # S-mode's table reads are PMP-checked
    h = bench.hart
    assert engine.mmu.debug_translate(h, 0x40000123, 3) == 0x40000123          # M: physical
    assert engine.mmu.debug_translate(h, 0x40000123, 1) == DATA + 0x123
    assert engine.mmu.debug_translate(h, 0x40003008, 0) == DATA + 8            # any permission
    assert engine.mmu.debug_translate(h, 0x40001000, 1) == c.NO_ADDRESS        # unmapped
    assert bench.read_u64(leaf) & (A | D) == 0 and h.mcause == 0 and not h.trapped
