"""Physical memory protection (privileged spec 3.7).

Entries are checked in order and the lowest-numbered one that matches any byte of an access
decides it: all bytes must be inside that entry, and its R/W/X bits must allow the access.
No match: M-mode is allowed, S and U are denied (once PMP exists). M-mode obeys only locked
(L) entries, which also cannot be changed until reset. Address matching: TOR (from the
previous pmpaddr up to this one), NA4 (4 bytes) and NAPOT (trailing ones give the size).
A failed check is an access fault (1, 5, 7) with the address in tval.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import CODE, DATA, M_TRAP, PRV_S, PRV_U, Bench, enter_mode

PMPCFG0, PMPADDR0 = 0x3A0, 0x3B0
R, W, X, L = 1, 2, 4, 0x80
OFF, TOR, NA4, NAPOT = 0, 1 << 3, 2 << 3, 3 << 3
BODY = CODE + 0x100


def napot(base: int, size: int) -> int:
    return (base >> 2) | ((size >> 3) - 1)


def configure(bench: Bench, entries: list[tuple[int, int]]) -> None:
    """entries: (cfg byte, pmpaddr) for entries 0, 1, 2, ..."""
    cfg = 0
    for i, (byte, addr) in enumerate(entries):
        bench.csr_write(PMPADDR0 + i, addr)
        cfg |= byte << (8 * i)
    bench.csr_write(PMPCFG0, cfg)


# Entry 0 in most tests: the first 8 KiB of RAM (code and trap vectors), execute and read.
CODE_ENTRY = (NAPOT | X | R, napot(CODE, 0x2000))


def run_in(engine, priv, words, entries, regs=None) -> Bench:
    bench = Bench(engine)
    configure(bench, entries)
    bench.write(DATA, bytes(range(64)))
    enter_mode(bench, priv, words, open_pmp=False)
    bench.set_regs({10: DATA, **(regs or {})})
    bench.run()
    return bench


def assert_fault(bench, cause, tval):
    assert bench.hart.pc == M_TRAP, f"expected an access fault, pc={bench.hart.pc:#x}"
    assert (bench.hart.mcause, bench.hart.mtval) == (cause, tval)


@pytest.mark.parametrize("priv", [PRV_S, PRV_U])
def test_s_and_u_without_any_entry_are_denied(engine, priv):
    bench = Bench(engine)
    enter_mode_no_check(bench, priv)
    bench.run()
    assert_fault(bench, 1, BODY)


def enter_mode_no_check(bench, priv):
    bench.program([e.c_nop()], BODY)
    bench.hart.mstatus = bench.hart.mstatus & ~(3 << 11) | (priv << 11)
    bench.hart.mepc = BODY
    bench.write_words(CODE, [e.MRET])
    bench.hart.pc = CODE


def test_m_mode_without_entries_is_allowed(engine):
    bench = Bench(engine)
    bench.program([e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 8)])
    bench.set_regs({10: DATA})
    bench.run_to_end()


def test_napot_region(engine):
    entries = [CODE_ENTRY, (NAPOT | R | W, napot(DATA, 0x1000))]
    ok = run_in(engine, PRV_S, [e.i("ld", 5, 10, 0), e.s("sd", 5, 11, -8)], entries, {11: DATA + 0x1000})
    assert ok.hart.pc == ok.end
    denied = run_in(engine, PRV_S, [e.i("ld", 5, 11, 0)], entries, {11: DATA + 0x1000})
    assert_fault(denied, 5, DATA + 0x1000)
    below = run_in(engine, PRV_S, [e.i("lbu", 5, 11, 0)], entries, {11: DATA - 1 + 0x10000})
    assert_fault(below, 5, DATA - 1 + 0x10000)


def test_napot_read_only_region_denies_stores_and_fetches(engine):
    entries = [CODE_ENTRY, (NAPOT | R, napot(DATA, 0x1000))]
    store = run_in(engine, PRV_S, [e.s("sw", 5, 10, 4)], entries)
    assert_fault(store, 7, DATA + 4)
    fetch = run_in(engine, PRV_U, [e.i("jalr", 0, 10, 0)], entries)
    assert_fault(fetch, 1, DATA)


def test_code_without_x_cannot_run(engine):
    bench = run_in(engine, PRV_S, [e.c_nop()], [(NAPOT | R | W, napot(CODE, 0x2000))])
    assert_fault(bench, 1, BODY)


def test_tor_range(engine):
    # entry 1: TOR from pmpaddr0 (DATA + 0x100) to pmpaddr1 (DATA + 0x200), R and W
    low, high = DATA + 0x100, DATA + 0x200
    entries = [(OFF, low >> 2), (TOR | R | W, high >> 2), CODE_ENTRY]
    ok = run_in(engine, PRV_S, [e.i("ld", 5, 11, 0), e.i("ld", 6, 11, 0xF8), e.s("sd", 6, 11, 0)],
                entries, {11: low})
    assert ok.hart.pc == ok.end
    above = run_in(engine, PRV_S, [e.i("lbu", 5, 11, 0)], entries, {11: high})
    assert_fault(above, 5, high)
    below = run_in(engine, PRV_S, [e.i("lbu", 5, 11, -1)], entries, {11: low})
    assert_fault(below, 5, low - 1)


def test_tor_entry_zero_starts_at_address_zero(engine):
    entries = [(TOR | R | W | X, (DATA + 0x40) >> 2)]
    ok = run_in(engine, PRV_S, [e.i("ld", 5, 10, 0x38)], entries)
    assert ok.hart.pc == ok.end
    denied = run_in(engine, PRV_S, [e.i("ld", 5, 10, 0x40)], entries)
    assert_fault(denied, 5, DATA + 0x40)


def test_na4(engine):
    entries = [(NA4 | R, (DATA + 8) >> 2), CODE_ENTRY]
    ok = run_in(engine, PRV_S, [e.i("lw", 5, 10, 8)], entries)
    assert ok.hart.pc == ok.end and ok.reg(5) == 0x0B0A0908
    next_word = run_in(engine, PRV_S, [e.i("lw", 5, 10, 12)], entries)
    assert_fault(next_word, 5, DATA + 12)


def test_partial_match_fails_even_if_a_later_entry_allows(engine):
    entries = [(NA4 | R, DATA >> 2), (NAPOT | R | W, napot(DATA, 0x1000)), CODE_ENTRY]
    bench = run_in(engine, PRV_S, [e.i("ld", 5, 10, 0)], entries, {5: 7})
    assert_fault(bench, 5, DATA)
    assert bench.reg(5) == 7
    straddle = run_in(engine, PRV_S, [e.i("lw", 5, 10, 2)], entries)
    assert_fault(straddle, 5, DATA + 2)


def test_lowest_numbered_entry_wins(engine):
    entries = [(NAPOT | R, napot(DATA, 0x1000)), (NAPOT | R | W, napot(DATA, 0x2000)), CODE_ENTRY]
    bench = run_in(engine, PRV_S, [e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 0)], entries)
    assert_fault(bench, 7, DATA)
    later = run_in(engine, PRV_S, [e.s("sd", 5, 11, 0)], entries, {11: DATA + 0x1000})
    assert later.hart.pc == later.end


def test_locked_entry_applies_to_m_mode(engine):
    bench = Bench(engine)
    configure(bench, [(L | NAPOT | R, napot(DATA, 0x1000))])
    bench.program([e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 0)])
    bench.set_regs({10: DATA})
    bench.run()
    assert_fault(bench, 7, DATA)
    # the same entry unlocked leaves M-mode alone
    bench = Bench(engine)
    configure(bench, [(NAPOT | R, napot(DATA, 0x1000))])
    bench.program([e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 0)])
    bench.set_regs({10: DATA})
    bench.run_to_end()


def test_locked_entry_denies_m_mode_fetch(engine):
    bench = Bench(engine)
    configure(bench, [(L | NAPOT | R | W, napot(DATA, 0x1000))])
    bench.write_words(DATA, [e.c_nop()])
    bench.program([e.i("jalr", 0, 10, 0)])
    bench.set_regs({10: DATA})
    bench.run()
    assert_fault(bench, 1, DATA)


def test_locked_entry_cannot_be_changed(engine):
    bench = Bench(engine)
    configure(bench, [(L | NAPOT | R, napot(DATA, 0x1000))])
    bench.csr_write(PMPCFG0, NAPOT | R | W | X)
    bench.csr_write(PMPADDR0, 0x1234)
    assert bench.csr_read(PMPCFG0) & 0xFF == L | NAPOT | R
    assert bench.csr_read(PMPADDR0) == napot(DATA, 0x1000)


def test_locked_tor_entry_freezes_the_address_below(engine):
    bench = Bench(engine)
    configure(bench, [(OFF, DATA >> 2), (L | TOR | R, (DATA + 0x100) >> 2)])
    bench.csr_write(PMPADDR0, 0)
    assert bench.csr_read(PMPADDR0) == DATA >> 2


def test_write_without_read_is_not_stored(engine):
    bench = Bench(engine)
    bench.csr_write(PMPCFG0, NAPOT | W)
    assert (bench.csr_read(PMPCFG0) & (R | W)) != W


def test_pmpcfg_registers_exist_only_even_on_rv64(engine):
    bench = Bench(engine)
    word = e.csr("csrrs", 5, 0x3A1, 0)
    bench.program([e.csr("csrrs", 5, 0x3A2, 0), word])
    bench.run()
    assert bench.hart.pc == M_TRAP and bench.hart.mcause == 2 and bench.hart.mtval == word


@pytest.mark.parametrize("log2_size", [12, 30, 31, 32, 33, 40, 56])
def test_large_napot_regions(engine, log2_size):
    """A NAPOT region of 2^k bytes around RAM: S-mode runs code in it. pmpaddr holds
    k - 3 trailing ones; the whole 56-bit space is 54 ones."""
    size = 1 << log2_size
    base = CODE & ~(size - 1)
    addr = (base >> 2) | ((size >> 3) - 1) if log2_size < 56 else (1 << 54) - 1
    bench = Bench(engine)
    configure(bench, [(NAPOT | R | W | X, addr)])
    enter_mode(bench, PRV_S, [e.i("ld", 5, 10, 0), e.c_nop()], open_pmp=False)
    bench.set_regs({10: CODE})
    pc = bench.run()
    assert pc == bench.end, f"trapped: mcause={bench.hart.mcause} mtval={bench.hart.mtval:#x}"


def test_page_table_walk_is_checked_by_pmp(engine):
    from tests.machine.paging import A, D, V, PageTables
    from tests.machine.paging import R as PR
    bench = Bench(engine)
    tables = PageTables(bench)
    tables.identity()
    tables.map(0x40000000, DATA, V | PR | A | D)
    tables.install()
    # S may run the code page but not read the page tables
    configure(bench, [(NAPOT | X | R, napot(CODE, 0x2000)), (NAPOT | R, napot(DATA, 0x1000))])
    enter_mode_no_check(bench, PRV_S)
    bench.run()
    assert_fault(bench, 1, BODY)                       # the fetch's walk reads the tables


def test_pmp_change_takes_effect_for_cached_pages(engine):
    entries = [CODE_ENTRY, (NAPOT | R, napot(DATA, 0x1000))]
    bench = Bench(engine)
    configure(bench, entries)
    enter_mode(bench, PRV_S, [e.i("ld", 5, 10, 0), e.i("ld", 6, 10, 8)], open_pmp=False)
    bench.set_regs({10: DATA})
    bench.step()                                        # the first load fills the TLB
    configure(bench, [CODE_ENTRY, (NAPOT, napot(DATA, 0x1000))])   # no longer readable
    bench.run()
    assert_fault(bench, 5, DATA + 8)
