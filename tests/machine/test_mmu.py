"""Virtual memory: Sv39 and Sv48 walks, permission faults, A/D updates, superpages,
sfence.vma and MPRV.

Privileged spec 4.3.1 (PTE format), 4.3.2 (the translation process: V, W-without-R,
leaf permissions with SUM and MXR, misaligned superpages, A and D), 4.4 (Sv48), 4.1.11
(satp), 4.2.1 (sfence.vma), 3.1.6.3 (MPRV, SUM, MXR). Faults are instruction (12), load
(13) and store/AMO (15) page faults with the virtual address in tval.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import CODE, M_TRAP, PRV_M, PRV_S, PRV_U, S_TRAP, Bench, enter_mode
from tests.machine.paging import A, D, R, SV39, SV48, U, V, W, X, PageTables

VA = 0x40000000                    # a test page's virtual address
PA = 0x80200000                    # ... and the RAM behind it (outside the identity map)
SUM, MXR, MPRV = 1 << 18, 1 << 19, 1 << 17
BODY = CODE + 0x100


def paged(engine, mode=SV39):
    """A bench with the identity map installed, PMP open for S/U and a byte pattern
    (byte i holds i mod 256) in the 16 KiB at PA."""
    bench = Bench(engine)
    bench.open_pmp()
    tables = PageTables(bench, mode)
    tables.identity()
    tables.install()
    bench.write(PA, bytes(range(256)) * 64)
    return bench, tables


def run_s(bench, words, regs, priv=PRV_S):
    enter_mode(bench, priv, words)
    bench.set_regs(regs)
    return bench.run()


def expect_fault(bench, cause, tval, vector=M_TRAP):
    assert bench.hart.pc == vector, f"no trap: pc={bench.hart.pc:#x}"
    if vector == M_TRAP:
        assert (bench.hart.mcause, bench.hart.mtval) == (cause, tval)
    else:
        assert (bench.hart.scause, bench.hart.stval) == (cause, tval)


def test_load_store_through_a_page(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    run_s(bench, [e.i("ld", 5, 10, 8), e.s("sd", 6, 10, 16), e.i("lbu", 7, 11, -1)],
          {10: VA, 11: VA + 0x1000, 6: 0x1122334455667788})
    assert bench.hart.pc == bench.end
    assert bench.reg(5) == int.from_bytes(bytes(range(8, 16)), "little")
    assert bench.read_u64(PA + 16) == 0x1122334455667788
    assert bench.reg(7) == 0xFF


@pytest.mark.parametrize("word,cause", [(e.i("ld", 5, 10, 0), 13), (e.s("sd", 5, 10, 0), 15),
                                        (e.amo("amoadd", "d", 5, 10, 6), 15), (e.amo("lr", "d", 5, 10), 13),
                                        (e.i("jalr", 0, 10, 0), 12)])
def test_invalid_pte(engine, word, cause):
    bench, tables = paged(engine)
    tables.map(VA, PA, R | W | X | A | D)             # V clear
    run_s(bench, [word], {10: VA + 8 if cause != 12 else VA})
    expect_fault(bench, cause, VA + 8 if cause != 12 else VA)


@pytest.mark.parametrize("word,cause", [(e.i("ld", 5, 10, 0), 13), (e.s("sd", 5, 10, 0), 15)])
def test_write_without_read_is_reserved(engine, word, cause):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | W | A | D)
    run_s(bench, [word], {10: VA})
    expect_fault(bench, cause, VA)


def test_store_to_read_only_page(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | A | D)
    run_s(bench, [e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 0)], {10: VA})
    expect_fault(bench, 15, VA)
    assert bench.hart.mepc == BODY + 4


def test_fetch_from_non_executable_page(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    run_s(bench, [e.i("jalr", 0, 10, 0)], {10: VA + 0x10})
    expect_fault(bench, 12, VA + 0x10)
    assert bench.hart.mepc == VA + 0x10


def test_u_page_from_s_needs_sum_for_loads(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | U | A | D)
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA})
    expect_fault(bench, 13, VA)
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | U | A | D)
    bench.hart.mstatus |= SUM
    run_s(bench, [e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 8)], {10: VA})
    assert bench.hart.pc == bench.end


def test_sum_never_allows_executing_u_pages(engine):
    bench, tables = paged(engine)
    bench.write(PA, e.to_bytes([e.c_nop()]))
    tables.map(VA, PA, V | R | X | U | A | D)
    bench.hart.mstatus |= SUM
    run_s(bench, [e.i("jalr", 0, 10, 0)], {10: VA})
    expect_fault(bench, 12, VA)


def test_u_mode_cannot_touch_s_pages(engine):
    bench, tables = paged(engine)
    bench.write(PA, e.to_bytes([e.c_nop(), e.i("ld", 5, 11, 0)]))
    tables.map(VA, PA, V | R | X | U | A | D)          # the U program
    tables.map(VA + 0x1000, PA + 0x1000, V | R | W | A | D)   # an S data page
    bench.hart.mepc = VA
    bench.hart.mstatus = bench.hart.mstatus & ~(3 << 11)
    bench.open_pmp()
    bench.write_words(CODE, [e.MRET])
    bench.hart.pc = CODE
    bench.set_regs({11: VA + 0x1000})
    bench.run()
    expect_fault(bench, 13, VA + 0x1000)
    assert bench.hart.mepc == VA + 2 and (bench.hart.mstatus >> 11) & 3 == PRV_U


def test_mxr_makes_executable_pages_readable(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | X | A | D)
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA})
    expect_fault(bench, 13, VA)
    bench, tables = paged(engine)
    tables.map(VA, PA, V | X | A | D)
    bench.hart.mstatus |= MXR
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA})
    assert bench.hart.pc == bench.end and bench.reg(5) == 0x0706050403020100


@pytest.mark.parametrize("va", [1 << 38, 0x0000008000000000, 0xFFFFFFBFFFFFF000, 0x8000000000000000])
def test_non_canonical_sv39_address(engine, va):
    bench, tables = paged(engine)
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: va})
    expect_fault(bench, 13, va)


def test_high_canonical_sv39_address_translates(engine):
    bench, tables = paged(engine)
    high = 0xFFFFFFC000000000                           # VPN[2] = 256, sign-extended
    tables.map(high, PA, V | R | A | D)
    run_s(bench, [e.i("lbu", 5, 10, 7)], {10: high})
    assert bench.hart.pc == bench.end and bench.reg(5) == 7


def test_misaligned_superpage(engine):
    bench, tables = paged(engine)
    tables.map(0x40200000, PA + 0x1000, V | R | A | D, level=1)    # PPN[0] != 0
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: 0x40200000})
    expect_fault(bench, 13, 0x40200000)


def test_misaligned_gigapage(engine):
    bench, tables = paged(engine)
    tables.map(0xC0000000, PA, V | R | A | D, level=2)             # PA is not 1 GiB aligned
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: 0xC0000000})
    expect_fault(bench, 13, 0xC0000000)


def test_reserved_pte_bits_fault(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | A | D | (1 << 63))
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA})
    expect_fault(bench, 13, VA)


def test_pointer_at_the_last_level_faults(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V)                                # non-leaf at level 0
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA})
    expect_fault(bench, 13, VA)


def test_page_table_outside_memory_is_an_access_fault(engine):
    bench, tables = paged(engine)
    slot = tables.pte_address(VA, 1)
    bench.write_u64(slot, ((0x40000000 >> 12) << 10) | V)   # next table at an unmapped address
    run_s(bench, [e.i("ld", 5, 10, 0), e.s("sd", 5, 10, 0)], {10: VA})
    expect_fault(bench, 5, VA)


def test_accessed_and_dirty_bits(engine):
    bench, tables = paged(engine)
    slot = tables.map(VA, PA, V | R | W)
    enter_mode(bench, PRV_S, [e.i("ld", 5, 10, 0), e.c_nop(), e.s("sd", 5, 10, 8)])
    bench.set_regs({10: VA})
    bench.step()
    assert bench.read_u64(slot) & (A | D) == A          # a load sets A only
    bench.run_to_end()
    assert bench.read_u64(slot) & (A | D) == A | D      # a store sets D too


def test_fetch_sets_accessed(engine):
    bench, tables = paged(engine)
    bench.write(PA, e.to_bytes([e.i("addi", 5, 0, 9), e.i("jalr", 0, 11, 0)]))
    slot = tables.map(VA, PA, V | R | X)
    run_s(bench, [e.i("jalr", 0, 10, 0)], {10: VA, 11: BODY + 4})
    assert bench.hart.pc == bench.end and bench.reg(5) == 9
    assert bench.read_u64(slot) & (A | D) == A


def test_megapage(engine):
    bench, tables = paged(engine)
    tables.map(0x40200000, PA, V | R | W | A | D, level=1)
    run_s(bench, [e.i("lbu", 5, 10, 0), e.s("sd", 11, 12, 0)],
          {10: 0x40200000 + 0x1234, 11: 77, 12: 0x40200000 + 0x1FFFF8})
    assert bench.hart.pc == bench.end
    assert bench.reg(5) == 0x34
    assert bench.read_u64(PA + 0x1FFFF8) == 77


def test_gigapage(engine):
    bench, tables = paged(engine)
    tables.map(0xC0000000, 0x80000000, V | R | A | D, level=2)
    run_s(bench, [e.i("lbu", 5, 10, 0)], {10: 0xC0000000 + (PA - 0x80000000) + 0x33})
    assert bench.hart.pc == bench.end and bench.reg(5) == 0x33


def test_sv48(engine):
    bench, tables = paged(engine, SV48)
    far = 0x0000100000000000 | VA                       # needs the fourth level
    tables.map(far, PA, V | R | W | A | D)
    run_s(bench, [e.i("lbu", 5, 10, 5), e.s("sb", 5, 10, 6)], {10: far})
    assert bench.hart.pc == bench.end and bench.reg(5) == 5
    assert bench.read(PA + 6, 1) == b"\x05"


def test_sv48_canonical_check(engine):
    bench, tables = paged(engine, SV48)
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: 0x0000800000000000})
    expect_fault(bench, 13, 0x0000800000000000)


def test_sv48_address_beyond_sv39_is_fine_in_sv48_only(engine):
    bench, tables = paged(engine, SV48)
    va = 0x0000008000000000                              # bit 39: non-canonical in Sv39
    tables.map(va, PA, V | R | A | D)
    run_s(bench, [e.i("lbu", 5, 10, 9)], {10: va})
    assert bench.hart.pc == bench.end and bench.reg(5) == 9


def test_sfence_vma_flushes_a_changed_mapping(engine):
    bench, tables = paged(engine)
    slot = tables.map(VA, PA, V | R | A | D)
    enter_mode(bench, PRV_S, [e.i("lbu", 5, 10, 1), e.c_nop(), e.sfence_vma(), e.i("lbu", 6, 10, 1)])
    bench.set_regs({10: VA})
    bench.step()
    bench.write_u64(slot, ((PA + 0x1000) >> 12) << 10 | V | R | A | D)
    bench.write(PA + 0x1001, b"\xAB")
    bench.run_to_end()
    assert bench.reg(5) == 1
    assert bench.reg(6) == 0xAB


def test_satp_write_changes_the_mapping(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | A | D)
    other = PageTables(bench, SV39, base=0x80100000)
    other.identity()
    other.map(VA, PA + 0x1000, V | R | A | D)
    bench.write(PA + 0x1002, b"\xCD")
    enter_mode(bench, PRV_S, [e.i("lbu", 5, 10, 2), e.csr("csrrw", 0, 0x180, 11), e.sfence_vma(),
                              e.i("lbu", 6, 10, 2)])
    bench.set_regs({10: VA, 11: other.satp()})
    bench.run_to_end()
    assert (bench.reg(5), bench.reg(6)) == (2, 0xCD)


def test_page_fault_delegated_to_s(engine):
    bench, tables = paged(engine)
    bench.hart.medeleg = 1 << 13
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA + 0x10})
    expect_fault(bench, 13, VA + 0x10, S_TRAP)


def test_load_crossing_into_an_unmapped_page(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    run_s(bench, [e.i("ld", 5, 10, 0)], {10: VA + 0xFFC, 5: 3})
    assert bench.hart.pc == M_TRAP and bench.hart.mcause == 13
    assert bench.hart.mtval in (VA + 0xFFC, VA + 0x1000)
    assert bench.reg(5) == 3


def test_store_crossing_into_an_unmapped_page_writes_nothing(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    before = bench.read(PA + 0xFF8, 8)
    run_s(bench, [e.s("sd", 6, 10, 0)], {10: VA + 0xFFC, 6: 0xFFFFFFFFFFFFFFFF})
    assert bench.hart.pc == M_TRAP and bench.hart.mcause == 15
    assert bench.hart.mtval in (VA + 0xFFC, VA + 0x1000)
    assert bench.read(PA + 0xFF8, 8) == before


def test_fetch_crossing_into_an_unmapped_page(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | X | A | D)
    bench.write(PA + 0xFFE, e.to_bytes([e.i("addi", 5, 0, 1)])[:2])
    run_s(bench, [e.i("jalr", 0, 10, 0)], {10: VA + 0xFFE})
    expect_fault(bench, 12, VA + 0x1000)
    assert bench.hart.mepc == VA + 0xFFE


def test_fetch_crossing_two_mapped_pages(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | X | A | D)
    tables.map(VA + 0x1000, PA + 0x3000, V | R | X | A | D)
    word = e.to_bytes([e.i("addi", 5, 0, 42)])
    bench.write(PA + 0xFFE, word[:2])
    bench.write(PA + 0x3000, word[2:] + e.to_bytes([e.i("jalr", 0, 11, 0)]))
    run_s(bench, [e.i("jalr", 0, 10, 0)], {10: VA + 0xFFE, 11: BODY + 4})
    assert bench.hart.pc == bench.end and bench.reg(5) == 42


def test_mprv_loads_through_the_page_tables(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    bench.hart.mstatus |= MPRV | (PRV_S << 11)
    bench.program([e.i("lbu", 5, 10, 3), e.s("sb", 11, 10, 4)])   # M-mode code, fetched physically
    bench.set_regs({10: VA, 11: 0x99})
    bench.run_to_end()
    assert bench.reg(5) == 3
    assert bench.read(PA + 4, 1) == b"\x99"


def test_mprv_with_mpp_m_is_physical(engine):
    bench, tables = paged(engine)
    bench.hart.mstatus |= MPRV | (PRV_M << 11)
    bench.program([e.i("lbu", 5, 10, 3)])
    bench.set_regs({10: PA})
    bench.run_to_end()
    assert bench.reg(5) == 3


def test_mprv_fault_reports_the_virtual_address(engine):
    bench, tables = paged(engine)
    bench.hart.mstatus |= MPRV | (PRV_S << 11)
    bench.program([e.i("ld", 5, 10, 0)])
    bench.set_regs({10: VA})
    bench.run_to_trap()
    assert (bench.hart.mcause, bench.hart.mtval) == (13, VA)


def test_mprv_with_mpp_u_respects_u_bit(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)               # an S page
    bench.hart.mstatus |= MPRV | (PRV_U << 11)
    bench.program([e.i("ld", 5, 10, 0)])
    bench.set_regs({10: VA})
    bench.run_to_trap()
    assert (bench.hart.mcause, bench.hart.mtval) == (13, VA)


def test_bare_mode_in_s_is_physical(engine):
    bench = Bench(engine)
    bench.write(PA, b"\x5A")
    enter_mode(bench, PRV_S, [e.i("lbu", 5, 10, 0)])
    bench.set_regs({10: PA})
    bench.run_to_end()
    assert bench.reg(5) == 0x5A


def test_leaf_pointing_at_nothing_is_an_access_fault(engine):
    bench, tables = paged(engine)
    tables.map(VA, 0x40000000, V | R | W | A | D)       # no RAM or device there
    run_s(bench, [e.i("ld", 5, 10, 8)], {10: VA})
    expect_fault(bench, 5, VA + 8)
    bench, tables = paged(engine)
    tables.map(VA, 0x40000000, V | R | W | A | D)
    run_s(bench, [e.s("sd", 5, 10, 8)], {10: VA})
    expect_fault(bench, 7, VA + 8)


def test_mprv_applies_to_atomics(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | A | D)
    bench.hart.mstatus |= MPRV | (PRV_S << 11)
    bench.write_u64(PA + 8, 40)
    bench.program([e.amo("amoadd", "d", 5, 10, 11), e.amo("lr", "d", 6, 10), e.amo("sc", "d", 7, 10, 11)])
    bench.set_regs({10: VA + 8, 11: 2})
    bench.run_to_end()
    assert (bench.reg(5), bench.reg(6), bench.reg(7)) == (40, 42, 0)
    assert bench.read_u64(PA + 8) == 2


def test_amo_on_a_read_only_page_is_a_store_page_fault(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | A | D)
    run_s(bench, [e.amo("amoor", "w", 5, 10, 6)], {10: VA + 4, 5: 7})
    expect_fault(bench, 15, VA + 4)
    assert bench.reg(5) == 7


def test_amo_sets_dirty(engine):
    bench, tables = paged(engine)
    slot = tables.map(VA, PA, V | R | W)
    run_s(bench, [e.amo("amoadd", "d", 5, 10, 6)], {10: VA})
    assert bench.hart.pc == bench.end
    assert bench.read_u64(slot) & (A | D) == A | D


@pytest.mark.parametrize("word,cause", [(e.s("sd", 5, 10, 0), 15), (e.i("jalr", 0, 10, 0), 12),
                                        (e.amo("amoswap", "d", 5, 10, 5), 15)])
def test_non_canonical_store_and_fetch(engine, word, cause):
    va = 0x0000004000000000
    bench, tables = paged(engine)
    run_s(bench, [word], {10: va})
    expect_fault(bench, cause, va)


# ---- the TLB's context tags: no flush on a privilege or sstatus change, yet no stale verdict --

def test_clearing_sum_takes_effect_on_a_page_already_in_the_tlb(engine):
    """A U page loaded with SUM set is in the TLB; after csrc sstatus.SUM the same load must
    fault, although nothing flushed the TLB."""
    bench, tables = paged(engine)
    tables.map(VA, PA, V | R | W | U | A | D)
    bench.hart.mstatus |= SUM
    run_s(bench, [e.i("ld", 5, 10, 0), e.csr("csrrc", 0, 0x100, 12), e.i("ld", 6, 10, 8)],
          {10: VA, 12: SUM})
    expect_fault(bench, 13, VA + 8)
    assert bench.reg(5) == 0x0706050403020100


def test_clearing_mxr_takes_effect_on_a_page_already_in_the_tlb(engine):
    bench, tables = paged(engine)
    tables.map(VA, PA, V | X | A | D)
    bench.hart.mstatus |= MXR
    run_s(bench, [e.i("ld", 5, 10, 0), e.csr("csrrc", 0, 0x100, 12), e.i("ld", 6, 10, 0)],
          {10: VA, 12: MXR})
    expect_fault(bench, 13, VA)


def test_s_page_in_the_tlb_is_still_denied_to_u_mode_after_sret(engine):
    """S-mode touches an S data page (now in the TLB), then sret drops to U-mode code that
    loads from the same page: a load page fault, from U."""
    bench, tables = paged(engine)
    bench.write(PA, e.to_bytes([e.i("ld", 5, 11, 0)]))
    tables.map(VA, PA, V | R | X | U | A | D)                  # the U program
    tables.map(VA + 0x1000, PA + 0x1000, V | R | W | A | D)    # an S data page
    bench.hart.sepc = VA
    bench.hart.mstatus &= ~(1 << 8)                            # SPP = U
    run_s(bench, [e.i("ld", 6, 11, 0), e.SRET], {11: VA + 0x1000})
    expect_fault(bench, 13, VA + 0x1000)
    assert bench.hart.mepc == VA and (bench.hart.mstatus >> 11) & 3 == PRV_U
    assert bench.reg(6) == int.from_bytes(bytes(range(0, 8)), "little")
