"""Zicsr and the CSR file: access rights per mode, read-only and unknown CSRs, WARL fields.

Unprivileged ISA chapter 9 (csrrw/csrrs/csrrc and the immediate forms); privileged spec 2.1
(bits 11:10 = 0b11 means read-only, bits 9:8 the lowest privilege allowed), 3.1 (misa,
mstatus, mtvec, medeleg/mideleg, mip/mie, mepc), 3.1.11 and 4.1.3 (mcounteren and
scounteren), 4.1.11 (satp: an unsupported MODE makes the whole write ignored).
An access that is not allowed is an illegal-instruction exception with the instruction in
mtval.
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import M_TRAP, PRV_M, PRV_S, PRV_U, Bench, enter_mode, run_program

MSTATUS, MISA, MEDELEG, MIDELEG, MIE, MTVEC, MCOUNTEREN = 0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306
MSCRATCH, MEPC, MCAUSE, MTVAL, MIP = 0x340, 0x341, 0x342, 0x343, 0x344
SSTATUS, SIE, STVEC, SCOUNTEREN, SSCRATCH, SEPC, SIP, SATP = 0x100, 0x104, 0x105, 0x106, 0x140, 0x141, 0x144, 0x180
CYCLE, TIME, INSTRET, HPM3 = 0xC00, 0xC01, 0xC02, 0xC03
MVENDORID, MHARTID, MINSTRET, MCYCLE = 0xF11, 0xF14, 0xB02, 0xB00
MPP = 3 << 11


def csr_in_mode(engine, priv: int, word: int, setup=None) -> Bench:
    bench = Bench(engine)
    if setup:
        setup(bench)
    enter_mode(bench, priv, [word])
    bench.run()
    return bench


def assert_illegal(bench: Bench, word: int, from_priv: int) -> None:
    assert bench.hart.pc == M_TRAP, "expected an illegal-instruction trap"
    assert bench.hart.mcause == 2
    assert bench.hart.mtval == word
    assert (bench.hart.mstatus & MPP) >> 11 == from_priv


# ---- the instructions themselves ------------------------------------------------------------

def test_csr_read_modify_write_forms(engine):
    bench = run_program(engine, [
        e.csr("csrrw", 5, MSCRATCH, 10),      # x5 = 0, mscratch = 0xF0
        e.csr("csrrs", 6, MSCRATCH, 11),      # x6 = 0xF0, mscratch |= 0x0F
        e.csr("csrrc", 7, MSCRATCH, 12),      # x7 = 0xFF, mscratch &= ~0x3C
        e.csr("csrrwi", 8, MSCRATCH, 31),     # x8 = 0xC3, mscratch = 31
        e.csr("csrrsi", 9, MSCRATCH, 0),      # a pure read: x9 = 31
        e.csr("csrrci", 13, MSCRATCH, 1),     # x13 = 31, mscratch = 30
        e.csr("csrrs", 14, MSCRATCH, 0),      # x14 = 30
        e.csr("csrrw", 0, MSCRATCH, 15),      # write without reading
    ], {10: 0xF0, 11: 0x0F, 12: 0x3C, 15: 0xFFFFFFFFFFFFFFFF})
    assert [bench.reg(n) for n in (5, 6, 7, 8, 9, 13, 14)] == [0, 0xF0, 0xFF, 0xC3, 31, 31, 30]
    assert bench.hart.mscratch == 0xFFFFFFFFFFFFFFFF


def test_csrrw_with_rd_equal_rs1_swaps(engine):
    bench = run_program(engine, [e.csr("csrrw", 5, MSCRATCH, 5)], {5: 42})
    assert bench.reg(5) == 0 and bench.hart.mscratch == 42


def test_misa_mhartid_and_mstatus_xlen(engine):
    bench = run_program(engine, [e.csr("csrrs", 5, MISA, 0), e.csr("csrrs", 6, MHARTID, 0),
                                 e.csr("csrrs", 7, MSTATUS, 0), e.csr("csrrs", 8, MVENDORID, 0)])
    letters = "".join(chr(ord("A") + i) for i in range(26) if bench.reg(5) >> i & 1)
    assert bench.reg(5) >> 62 == 2                     # MXL = 64-bit
    assert letters == "ACDFIMSU"
    assert bench.reg(5) == 0x800000000014112D
    assert bench.reg(6) == 0
    assert (bench.reg(7) >> 32) & 3 == 2 and (bench.reg(7) >> 34) & 3 == 2    # UXL, SXL
    assert bench.reg(8) == 0


def test_instret_counts_retired_instructions(engine):
    bench = run_program(engine, [e.c_nop(), e.i("addi", 0, 0, 0), e.c_nop(),
                                 e.csr("csrrs", 5, INSTRET, 0), e.csr("csrrs", 6, MINSTRET, 0),
                                 e.csr("csrrs", 7, CYCLE, 0)])
    assert (bench.reg(5), bench.reg(6)) == (3, 4)
    assert bench.reg(7) >= 5


def test_minstret_write(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MINSTRET, 10), e.c_nop(), e.csr("csrrs", 5, MINSTRET, 0)],
                        {10: 1000})
    assert bench.reg(5) == 1001          # the written value, then one more instruction retired


# ---- access rights (2.1) ------------------------------------------------------------------------

@pytest.mark.parametrize("priv,number", [
    (PRV_S, MSTATUS), (PRV_S, MSCRATCH), (PRV_S, MEPC), (PRV_S, MHARTID), (PRV_S, MINSTRET),
    (PRV_U, SSTATUS), (PRV_U, SATP), (PRV_U, MSTATUS), (PRV_U, SSCRATCH),
])
def test_csr_above_the_current_mode_is_illegal(engine, priv, number):
    word = e.csr("csrrs", 5, number, 0)
    bench = csr_in_mode(engine, priv, word)
    assert_illegal(bench, word, priv)
    assert bench.reg(5) == 0


def test_s_mode_may_use_s_csrs(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_S, [e.csr("csrrw", 5, SSCRATCH, 10), e.csr("csrrs", 6, SSCRATCH, 0),
                              e.csr("csrrs", 7, SSTATUS, 0)])
    bench.set_regs({10: 0x5A5A})
    bench.run_to_end()
    assert bench.reg(6) == 0x5A5A
    assert bench.reg(7) & (1 << 3) == 0           # sstatus does not show MIE
    assert (bench.reg(7) >> 32) & 3 == 2          # but shows UXL = 64-bit


@pytest.mark.parametrize("word", [
    e.csr("csrrw", 0, MHARTID, 5), e.csr("csrrs", 5, MVENDORID, 6), e.csr("csrrwi", 0, CYCLE, 1),
    e.csr("csrrci", 5, INSTRET, 2), e.csr("csrrw", 5, TIME, 0),
])
def test_writing_a_read_only_csr_is_illegal(engine, word):
    bench = Bench(engine)
    bench.program([word])
    bench.set_regs({5: 1, 6: 1})
    bench.run()
    assert_illegal(bench, word, PRV_M)


def test_reading_a_read_only_csr_with_x0_source_is_allowed(engine):
    bench = run_program(engine, [e.csr("csrrs", 5, MHARTID, 0), e.csr("csrrci", 6, CYCLE, 0),
                                 e.csr("csrrc", 7, MVENDORID, 0)])
    assert bench.reg(6) >= 1


@pytest.mark.parametrize("number", [0x001, 0x002, 0x003, 0x3A1, 0x3A3, 0x7C0, 0x800, 0x5C0, 0xFFF, 0x7A5, 0x7A8])   # 0x7A5 tcontrol, 0x7A8 mcontext: not on QEMU 7.2 either
def test_unknown_csr_is_illegal(engine, number):
    word = e.csr("csrrs", 5, number, 0)
    bench = Bench(engine)
    bench.program([word])
    bench.run()
    assert_illegal(bench, word, PRV_M)


# ---- counters and their enables (3.1.11, 4.1.3) ---------------------------------------------

@pytest.mark.parametrize("number,bit", [(CYCLE, 0), (TIME, 1), (INSTRET, 2), (HPM3, 3), (0xC1F, 31)])
def test_counter_access_from_s_follows_mcounteren(engine, number, bit):
    word = e.csr("csrrs", 5, number, 0)
    denied = csr_in_mode(engine, PRV_S, word, lambda b: b.csr_write(MCOUNTEREN, ~(1 << bit)))
    assert_illegal(denied, word, PRV_S)
    allowed = csr_in_mode(engine, PRV_S, word, lambda b: b.csr_write(MCOUNTEREN, 1 << bit))
    assert allowed.hart.pc == allowed.end


@pytest.mark.parametrize("m,s,ok", [(0, 0, False), (1, 0, False), (0, 1, False), (1, 1, True)])
def test_counter_access_from_u_needs_both_enables(engine, m, s, ok):
    word = e.csr("csrrs", 5, INSTRET, 0)

    def setup(bench):
        bench.csr_write(MCOUNTEREN, m << 2)
        bench.csr_write(SCOUNTEREN, s << 2)
    bench = csr_in_mode(engine, PRV_U, word, setup)
    if ok:
        assert bench.hart.pc == bench.end
    else:
        assert_illegal(bench, word, PRV_U)


def test_m_mode_reads_counters_without_enables(engine):
    bench = run_program(engine, [e.csr("csrrs", 5, CYCLE, 0), e.csr("csrrs", 6, HPM3, 0)])
    assert bench.reg(6) == 0


# ---- WARL fields ------------------------------------------------------------------------------

def test_mstatus_mpp_2_is_not_stored(engine):
    bench = run_program(engine, [
        e.csr("csrrs", 0, MSTATUS, 10),          # MPP = 1 (S)
        e.csr("csrrs", 5, MSTATUS, 0),
        e.csr("csrrc", 0, MSTATUS, 11),          # clear MPP ...
        e.csr("csrrs", 0, MSTATUS, 12),          # ... and set MPP = 2: not a mode here
        e.csr("csrrs", 6, MSTATUS, 0),
    ], {10: 1 << 11, 11: MPP, 12: 2 << 11})
    assert (bench.reg(5) & MPP) >> 11 == 1
    assert (bench.reg(6) & MPP) >> 11 in (0, 1)   # a legal mode, never 2
    bench2 = Bench(engine)
    bench2.hart.mstatus = 3 << 11
    bench2.program([e.csr("csrrw", 0, MSTATUS, 10), e.csr("csrrs", 5, MSTATUS, 0)])
    bench2.set_regs({10: 2 << 11})
    bench2.run_to_end()
    assert (bench2.reg(5) & MPP) >> 11 == 3       # "2 leaves MPP unchanged"


def test_sstatus_cannot_touch_machine_fields(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, SSTATUS, 10), e.csr("csrrs", 5, MSTATUS, 0)],
                        {10: 0xFFFFFFFFFFFFFFFF})
    status = bench.reg(5)
    assert status & (1 << 3) == 0 and status & MPP == 0 and status & (1 << 17) == 0    # MIE, MPP, MPRV
    assert status & (1 << 1) and status & (1 << 18) and status & (1 << 19)            # SIE, SUM, MXR


@pytest.mark.parametrize("mode,accepted", [(0, True), (8, True), (9, True), (1, False), (10, False), (15, False)])
def test_satp_mode_warl(engine, mode, accepted):
    old = (8 << 60) | 0x80010
    value = (mode << 60) | 0x80020
    bench = Bench(engine)
    bench.program([e.csr("csrrw", 0, SATP, 10), e.csr("csrrs", 5, SATP, 0)])
    bench.set_regs({10: value})
    bench.csr_write(SATP, old)
    bench.run_to_end()
    assert bench.reg(5) == (value if accepted else old)


def test_mepc_and_sepc_clear_bit0(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MEPC, 10), e.csr("csrrw", 0, SEPC, 10),
                                 e.csr("csrrs", 5, MEPC, 0), e.csr("csrrs", 6, SEPC, 0)], {10: 0x80000003})
    assert bench.reg(5) == 0x80000002 and bench.reg(6) == 0x80000002


def test_mtvec_reserved_modes_are_not_stored(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MTVEC, 10), e.csr("csrrs", 5, MTVEC, 0),
                                 e.csr("csrrw", 0, MTVEC, 11), e.csr("csrrs", 6, MTVEC, 0)],
                        {10: 0x80004001, 11: 0x80008002})
    assert bench.reg(5) == 0x80004001
    assert bench.reg(6) & 3 < 2


def test_delegation_registers_warl(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MEDELEG, 10), e.csr("csrrs", 5, MEDELEG, 0),
                                 e.csr("csrrw", 0, MIDELEG, 10), e.csr("csrrs", 6, MIDELEG, 0)],
                        {10: 0xFFFFFFFFFFFFFFFF})
    assert bench.reg(5) & (1 << 11) == 0          # ecall from M can never be delegated
    assert bench.reg(5) & 0x1FF == 0x1FF
    assert bench.reg(6) == 0x222                  # only the S-level interrupts


def test_mip_software_writable_bits(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MIP, 10), e.csr("csrrs", 5, MIP, 0)],
                        {10: 0xFFFFFFFFFFFFFFFF})
    assert bench.reg(5) == 0x222                  # SSIP, STIP, SEIP; M bits come from devices


def test_sie_sip_see_only_delegated_bits(engine):
    bench = Bench(engine)
    bench.hart.mie = 0xAAA
    bench.hart.mip = 0x080                        # MTIP
    bench.hart.mideleg = 0x020                    # STI delegated
    bench.program([e.csr("csrrs", 5, SIE, 0), e.csr("csrrs", 6, SIP, 0),
                   e.csr("csrrw", 0, SIP, 10), e.csr("csrrs", 7, MIP, 0)])
    bench.set_regs({10: 0x222})
    bench.run_to_end()
    assert bench.reg(5) == 0x020
    assert bench.reg(6) == 0
    assert bench.reg(7) == 0x080                  # SSIP is not delegated: sip cannot set it


def test_minstret_wraps_at_64_bits(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MINSTRET, 10), e.c_nop(), e.c_nop(),
                                 e.csr("csrrs", 5, MINSTRET, 0)], {10: 0xFFFFFFFFFFFFFFFF})
    assert bench.reg(5) == 1
    assert bench.hart.instret == 2


def test_mcycle_wraps_at_64_bits(engine):
    bench = run_program(engine, [e.csr("csrrw", 0, MCYCLE, 10), e.c_nop(), e.c_nop(),
                                 e.csr("csrrs", 5, MCYCLE, 0), e.csr("csrrs", 6, CYCLE, 0)],
                        {10: 0xFFFFFFFFFFFFFFFF})
    assert bench.reg(5) == 1
    assert bench.reg(6) == 2


def test_mcycle_write_keeps_counting(engine):
    bench = run_program(engine, [e.c_nop(), e.c_nop(), e.csr("csrrw", 0, MCYCLE, 10), e.c_nop(),
                                 e.csr("csrrs", 5, MCYCLE, 0), e.csr("csrrs", 6, MINSTRET, 0)], {10: 100})
    assert bench.reg(5) == 101
    assert bench.reg(6) == 5                      # instret is not affected by an mcycle write
