"""Traps: ecall causes, delegation, interrupt priority and enables, vectored mtvec, the
xRET stacks, and the TSR/TW/TVM traps.

Privileged spec 3.1.6.1 (MIE/MPIE/MPP, SIE/SPIE/SPP), 3.1.6.5 (TVM, TW, TSR), 3.1.7 (mtvec
modes), 3.1.8 (medeleg/mideleg), 3.1.9 (which interrupts are enabled in which mode, and
their priority MEI > MSI > MTI > SEI > SSI > STI), 3.3.1 (ecall, ebreak), 3.3.2 (mret,
sret), 3.3.3 (wfi), 4.2.1 (sfence.vma).
"""

import pytest

from downstairs.isa import encode as e
from tests.machine.harness import (
    CODE, M_TRAP, PRV_M, PRV_S, PRV_U, S_TRAP, Bench, enter_mode,
)

MIE_BIT, SIE_BIT, MPIE, SPIE, SPP, MPRV = 1 << 3, 1 << 1, 1 << 7, 1 << 5, 1 << 8, 1 << 17
MPP = 3 << 11
TVM, TW, TSR = 1 << 20, 1 << 21, 1 << 22
INTERRUPT = 1 << 63
SSIP, MSIP, STIP, MTIP, SEIP, MEIP = 1 << 1, 1 << 3, 1 << 5, 1 << 7, 1 << 9, 1 << 11
BODY = CODE + 0x100                    # where enter_mode puts the program


def mpp(hart) -> int:
    return (hart.mstatus & MPP) >> 11


# ---- ecall and ebreak ---------------------------------------------------------------------

@pytest.mark.parametrize("priv,cause", [(PRV_U, 8), (PRV_S, 9), (PRV_M, 11)])
def test_ecall_cause_per_mode(engine, priv, cause):
    bench = Bench(engine)
    enter_mode(bench, priv, [e.c_nop(), e.ECALL])
    bench.run_to_trap()
    assert bench.hart.mcause == cause
    assert bench.hart.mepc == BODY + 2
    assert bench.hart.mtval == 0
    assert mpp(bench.hart) == priv
    assert bench.hart.priv == PRV_M


def test_ebreak(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_U, [e.EBREAK])
    bench.run_to_trap()
    assert bench.hart.mcause == 3
    assert bench.hart.mepc == BODY
    assert bench.hart.mtval == 0                 # QEMU 7.2 reports 0 (see tests/guests golden traps output)


# ---- delegation (3.1.8) ------------------------------------------------------------------------

@pytest.mark.parametrize("priv,cause", [(PRV_U, 8), (PRV_S, 9)])
def test_delegated_ecall_goes_to_s(engine, priv, cause):
    bench = Bench(engine)
    bench.hart.medeleg = 1 << cause
    bench.hart.mstatus |= SIE_BIT
    enter_mode(bench, priv, [e.ECALL])
    bench.run_to_trap(S_TRAP)
    h = bench.hart
    assert h.priv == PRV_S
    assert h.scause == cause and h.sepc == BODY and h.stval == 0
    assert bool(h.mstatus & SPP) == (priv == PRV_S)
    assert h.mstatus & SPIE and not h.mstatus & SIE_BIT
    assert h.mcause == 0 and h.mepc == BODY   # M-mode trap state untouched


def test_delegated_illegal_instruction_reports_bits_in_stval(engine):
    bench = Bench(engine)
    bench.hart.medeleg = 1 << 2
    word = e.csr("csrrs", 5, 0x300, 0)           # mstatus from U
    enter_mode(bench, PRV_U, [word])
    bench.run_to_trap(S_TRAP)
    assert bench.hart.scause == 2 and bench.hart.stval == word


def test_exceptions_in_m_mode_are_never_delegated(engine):
    bench = Bench(engine)
    bench.hart.medeleg = 0xB3FF
    bench.program([0xFFFFFFFF])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == 2 and bench.hart.scause == 0


def test_undelegated_exception_from_s_goes_to_m(engine):
    bench = Bench(engine)
    bench.hart.medeleg = 1 << 8                   # only ecall from U
    enter_mode(bench, PRV_S, [e.ECALL])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == 9 and mpp(bench.hart) == PRV_S


# ---- interrupts (3.1.9) ---------------------------------------------------------------------------

def test_interrupt_priority(engine):
    """All six pending and enabled, taken from U-mode one at a time: MEI, MSI, MTI, SEI, SSI, STI."""
    order = []
    pending = MEIP | MSIP | MTIP | SEIP | SSIP | STIP
    while pending:
        bench = Bench(engine)
        bench.hart.mie = 0xAAA
        bench.hart.mip = pending
        enter_mode(bench, PRV_U, [e.c_nop()] * 4)
        bench.run_to_trap(M_TRAP)
        cause = bench.hart.mcause
        assert cause & INTERRUPT
        assert bench.hart.mepc == BODY            # taken before the first instruction ran
        order.append(cause & ~INTERRUPT)
        pending &= ~(1 << (cause & ~INTERRUPT))
    assert order == [11, 3, 7, 9, 1, 5]


def test_m_interrupts_in_m_mode_need_mie(engine):
    bench = Bench(engine)
    bench.hart.mie = MTIP
    bench.hart.mip = MTIP
    bench.program([e.c_nop(), e.c_nop(), e.csr("csrrsi", 0, 0x300, 8), e.c_nop(), e.c_nop()])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == INTERRUPT | 7
    assert bench.hart.mepc == CODE + 8            # right after the csrrsi that set MIE
    assert bench.hart.mstatus & MPIE and not bench.hart.mstatus & MIE_BIT
    assert mpp(bench.hart) == PRV_M


def test_m_interrupt_not_taken_when_mie_disables_it(engine):
    bench = Bench(engine)
    bench.hart.mstatus |= MIE_BIT
    bench.hart.mie = MSIP
    bench.hart.mip = MTIP
    bench.program([e.c_nop(), e.c_nop()])
    bench.run_to_end()


def test_m_interrupt_interrupts_s_mode_with_mie_clear(engine):
    bench = Bench(engine)
    bench.hart.mie = MTIP
    enter_mode(bench, PRV_S, [e.c_nop(), e.c_nop(), e.c_nop()])
    bench.step()
    bench.hart.set_pending(MTIP, True)
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == INTERRUPT | 7
    assert bench.hart.mepc == BODY + 2
    assert mpp(bench.hart) == PRV_S


def test_delegated_interrupt_never_interrupts_m_mode(engine):
    bench = Bench(engine)
    bench.hart.mideleg = SSIP | STIP | SEIP
    bench.hart.mie = SSIP | STIP | SEIP
    bench.hart.mip = SSIP | STIP | SEIP
    bench.hart.mstatus |= MIE_BIT | SIE_BIT
    bench.program([e.c_nop(), e.c_nop()])
    bench.run_to_end()


def test_delegated_interrupt_in_s_mode_needs_sie(engine):
    for sie, taken in ((0, False), (SIE_BIT, True)):
        bench = Bench(engine)
        bench.hart.mideleg = STIP
        bench.hart.mie = STIP
        bench.hart.mip = STIP
        bench.hart.mstatus |= sie
        enter_mode(bench, PRV_S, [e.c_nop(), e.c_nop()])
        pc = bench.run()
        if taken:
            assert pc == S_TRAP
            assert bench.hart.scause == INTERRUPT | 5 and bench.hart.sepc == BODY
            assert bench.hart.mstatus & SPP and bench.hart.mstatus & SPIE
        else:
            assert pc == bench.end


def test_delegated_interrupt_in_u_mode_ignores_sie(engine):
    bench = Bench(engine)
    bench.hart.mideleg = SEIP
    bench.hart.mie = SEIP
    bench.hart.mip = SEIP
    enter_mode(bench, PRV_U, [e.c_nop()])
    bench.run_to_trap(S_TRAP)
    assert bench.hart.scause == INTERRUPT | 9
    assert not bench.hart.mstatus & SPP


def test_undelegated_s_interrupt_goes_to_m(engine):
    bench = Bench(engine)
    bench.hart.mie = SSIP
    bench.hart.mip = SSIP
    enter_mode(bench, PRV_S, [e.c_nop()])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == INTERRUPT | 1


def test_m_interrupt_beats_a_delegated_one(engine):
    bench = Bench(engine)
    bench.hart.mideleg = SEIP
    bench.hart.mie = SEIP | MTIP
    bench.hart.mip = SEIP | MTIP
    enter_mode(bench, PRV_U, [e.c_nop()])
    bench.run_to_trap(M_TRAP)
    assert bench.hart.mcause == INTERRUPT | 7


# ---- vectored mode (3.1.7) -------------------------------------------------------------------

def test_vectored_mtvec(engine):
    base = CODE + 0x1400
    bench = Bench(engine)
    for cause in range(16):
        bench.write_words(base + 4 * cause, [e.jal(0, 0)])
    bench.hart.mtvec = base | 1
    bench.hart.mie = MTIP
    enter_mode(bench, PRV_U, [e.c_nop(), e.ECALL])
    bench.step()
    bench.hart.set_pending(MTIP, True)
    bench.run(stops=[base + 4 * c for c in range(16)])
    assert bench.hart.pc == base + 4 * 7
    assert bench.hart.mcause == INTERRUPT | 7
    # An exception goes to the base
    bench2 = Bench(engine)
    bench2.write_words(base, [e.jal(0, 0)])
    bench2.hart.mtvec = base | 1
    enter_mode(bench2, PRV_U, [e.ECALL])
    bench2.run(stops=[base + 4 * c for c in range(16)])
    assert bench2.hart.pc == base and bench2.hart.mcause == 8


def test_vectored_stvec(engine):
    base = CODE + 0x1800
    bench = Bench(engine)
    for cause in range(16):
        bench.write_words(base + 4 * cause, [e.jal(0, 0)])
    bench.hart.stvec = base | 1
    bench.hart.mideleg = SSIP
    bench.hart.mie = SSIP
    bench.hart.mip = SSIP
    enter_mode(bench, PRV_U, [e.c_nop()])
    bench.run(stops=[base + 4 * c for c in range(16)])
    assert bench.hart.pc == base + 4 * 1


# ---- wfi (3.3.3) -------------------------------------------------------------------------------------

def test_wfi_waits_and_wakes_without_a_trap_when_mie_is_clear(engine):
    bench = Bench(engine)
    bench.hart.mie = MTIP
    bench.program([e.WFI, e.i("addi", 5, 0, 1)])
    bench.step()
    assert bench.hart.waiting
    assert bench.step() == 0 and bench.hart.pc == CODE + 4     # asleep: nothing runs
    bench.hart.set_pending(MTIP, True)
    bench.run_to_end()
    assert bench.reg(5) == 1 and bench.hart.mcause == 0


# ---- xRET (3.1.6.1, 3.3.2) -------------------------------------------------------------------------

def test_trap_entry_saves_the_interrupt_enable(engine):
    bench = Bench(engine)
    bench.hart.mstatus |= MIE_BIT
    bench.program([e.ECALL])
    bench.run_to_trap()
    assert bench.hart.mstatus & MPIE and not bench.hart.mstatus & MIE_BIT
    assert mpp(bench.hart) == PRV_M


@pytest.mark.parametrize("target", [PRV_U, PRV_S, PRV_M])
def test_mret_stack(engine, target):
    bench = Bench(engine)
    bench.hart.mstatus = (bench.hart.mstatus & ~(MPP | MIE_BIT)) | (target << 11) | MPIE | MPRV
    bench.hart.mepc = CODE + 0x200
    bench.program([e.MRET])
    bench.step()
    h = bench.hart
    assert h.priv == target and h.pc == CODE + 0x200
    assert h.mstatus & MIE_BIT and h.mstatus & MPIE
    assert mpp(h) == PRV_U
    assert bool(h.mstatus & MPRV) == (target == PRV_M)      # leaving M-mode clears MPRV


def test_mret_with_mpie_clear(engine):
    bench = Bench(engine)
    bench.hart.mstatus |= MIE_BIT | (PRV_M << 11)
    bench.hart.mepc = CODE + 0x200
    bench.program([e.MRET])
    bench.step()
    assert not bench.hart.mstatus & MIE_BIT and bench.hart.mstatus & MPIE


@pytest.mark.parametrize("spp,target", [(SPP, PRV_S), (0, PRV_U)])
def test_sret_stack(engine, spp, target):
    bench = Bench(engine)
    bench.open_pmp()
    bench.hart.mstatus = (bench.hart.mstatus & ~SIE_BIT) | spp | SPIE | MPRV
    bench.hart.sepc = CODE + 0x300
    bench.program([e.SRET])
    bench.step()
    h = bench.hart
    assert h.priv == target and h.pc == CODE + 0x300
    assert h.mstatus & SIE_BIT and h.mstatus & SPIE and not h.mstatus & SPP
    assert not h.mstatus & MPRV


def test_mret_from_s_is_illegal(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_S, [e.MRET])
    bench.run_to_trap()
    assert bench.hart.mcause == 2 and bench.hart.mtval == e.MRET


def test_sret_from_u_is_illegal(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_U, [e.SRET])
    bench.run_to_trap()
    assert bench.hart.mcause == 2 and bench.hart.mtval == e.SRET


# ---- TSR, TW, TVM (3.1.6.5) -------------------------------------------------------------------------

@pytest.mark.parametrize("bit,word", [
    (TSR, e.SRET), (TW, e.WFI), (TVM, e.sfence_vma()), (TVM, e.csr("csrrs", 5, 0x180, 0)),
    (TVM, e.csr("csrrw", 0, 0x180, 0)),
])
def test_trap_bits_make_s_mode_instructions_illegal(engine, bit, word):
    bench = Bench(engine)
    bench.hart.mstatus |= bit
    bench.hart.sepc = BODY + 4
    bench.hart.mstatus |= SPP
    enter_mode(bench, PRV_S, [word, e.c_nop()])
    bench.run(stops=[M_TRAP, bench.end, BODY + 4])
    assert bench.hart.pc == M_TRAP
    assert bench.hart.mcause == 2 and bench.hart.mtval == word


@pytest.mark.parametrize("word", [e.SRET, e.sfence_vma(), e.csr("csrrs", 5, 0x180, 0)])
def test_same_instructions_allowed_in_s_without_the_bits(engine, word):
    bench = Bench(engine)
    bench.hart.sepc = BODY + 4
    bench.hart.mstatus |= SPP
    enter_mode(bench, PRV_S, [word, e.c_nop(), e.c_nop()])
    bench.run(stops=[M_TRAP, S_TRAP, bench.end, BODY + 4])
    assert bench.hart.pc in (bench.end, BODY + 4)


def test_wfi_in_u_mode_is_illegal(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_U, [e.WFI])
    bench.run_to_trap()
    assert bench.hart.mcause == 2 and bench.hart.mtval == e.WFI


def test_sfence_vma_in_u_mode_is_illegal(engine):
    bench = Bench(engine)
    enter_mode(bench, PRV_U, [e.sfence_vma()])
    bench.run_to_trap()
    assert bench.hart.mcause == 2 and bench.hart.mtval == e.sfence_vma()


def test_tvm_does_not_affect_m_mode(engine):
    bench = Bench(engine)
    bench.hart.mstatus |= TVM | TW | TSR
    bench.program([e.sfence_vma(), e.csr("csrrs", 5, 0x180, 0)])
    bench.run_to_end()


def test_interrupt_taken_right_after_mret_enables_it(engine):
    bench = Bench(engine)
    bench.hart.mie = MSIP
    bench.hart.mip = MSIP
    bench.hart.mstatus |= MPIE | (PRV_M << 11)
    bench.hart.mepc = CODE + 0x200
    bench.write_words(CODE + 0x200, [e.c_nop()])
    bench.program([e.MRET])
    bench.run(stops=[M_TRAP])
    assert bench.hart.mcause == INTERRUPT | 3
    assert bench.hart.mepc == CODE + 0x200


def test_wfi_with_interrupts_enabled_traps_to_the_next_instruction(engine):
    bench = Bench(engine)
    bench.hart.mie = MTIP
    bench.hart.mstatus |= MIE_BIT
    bench.program([e.WFI, e.c_nop()])
    bench.step()
    assert bench.hart.waiting and bench.step() == 0
    bench.hart.set_pending(MTIP, True)
    bench.run_to_trap()
    assert bench.hart.mcause == INTERRUPT | 7
    assert bench.hart.mepc == CODE + 4
    assert not bench.hart.waiting


def test_trapping_instruction_does_not_retire(engine):
    bench = Bench(engine)
    bench.program([e.c_nop(), e.ECALL])
    bench.run(stops=[M_TRAP])
    assert bench.hart.instret == 1           # the nop, not the ecall (the run stops at the vector)


def test_an_interrupt_a_csr_write_unmasks_is_taken_before_the_next_instruction(engine):
    """A pending interrupt that csrrsi mstatus.MIE enables is taken at once, inside the same
    run: mepc is the instruction after the CSR write, and nothing after it executed."""
    bench = Bench(engine)
    bench.hart.mie = MTIP
    bench.hart.mip = MTIP
    bench.program([e.c_nop(), e.c_nop(), e.csr("csrrsi", 0, 0x300, 8)] + [e.c_nop()] * 20)
    assert bench.engine.run(bench.hart, 3) == 3
    assert bench.hart.pc == CODE + 8 and bench.hart.mcause == 0
    bench = Bench(engine)
    bench.hart.mie = MTIP
    bench.hart.mip = MTIP
    bench.program([e.c_nop(), e.c_nop(), e.csr("csrrsi", 0, 0x300, 8)] + [e.c_nop()] * 20)
    bench.engine.run(bench.hart, 4)
    assert bench.hart.mcause == INTERRUPT | 7 and bench.hart.mepc == CODE + 8
    assert bench.hart.instret == 4                    # the nops, csrrsi, one handler instruction


def test_mret_continues_at_mepc_in_the_same_run(engine):
    bench = Bench(engine)
    bench.hart.mstatus |= (PRV_M << 11)
    bench.hart.mepc = CODE + 0x200
    bench.write_words(CODE + 0x200, [e.c_nop()] * 8)
    bench.program([e.c_nop(), e.MRET])
    assert bench.engine.run(bench.hart, 2) == 2
    assert bench.hart.pc == CODE + 0x200
    assert bench.engine.run(bench.hart, 3) == 3
    assert bench.hart.pc == CODE + 0x206
