"""Sstc (stimecmp, menvcfg.STCE, STIP driven by time >= stimecmp) and the two clocks behind
`time`: the host clock and QEMU-style -icount instruction time (machine.py)."""

from downstairs.isa import encode as e
from downstairs.machine.clock import InstructionClock
from downstairs.machine.machine import Machine
from tests.machine.harness import M_TRAP, PRV_S, Bench, enter_mode

STIMECMP, MENVCFG, MCOUNTEREN, MIP, MIE, TIME = 0x14D, 0x30A, 0x306, 0x344, 0x304, 0xC01
STCE = 1 << 63
STIP = 1 << 5


def s_mode_reads_stimecmp(engine, menvcfg, mcounteren):
    bench = Bench(engine)
    bench.csr_write(MENVCFG, menvcfg)
    bench.csr_write(MCOUNTEREN, mcounteren)
    bench.csr_write(STIMECMP, 1234)
    enter_mode(bench, PRV_S, [e.csr("csrrs", 10, STIMECMP, 0)])
    pc = bench.run()
    return bench, pc


def test_stimecmp_needs_stce_and_tm_below_m(engine):
    bench, pc = s_mode_reads_stimecmp(engine, 0, 2)
    assert pc == M_TRAP and bench.hart.mcause == 2
    bench, pc = s_mode_reads_stimecmp(engine, STCE, 0)
    assert pc == M_TRAP and bench.hart.mcause == 2
    bench, pc = s_mode_reads_stimecmp(engine, STCE, 2)
    assert pc == bench.end and bench.reg(10) == 1234


def test_menvcfg_keeps_stce(engine):
    bench = Bench(engine)
    bench.csr_write(MENVCFG, (1 << 64) - 1)
    assert bench.csr_read(MENVCFG) == STCE | 1


def test_stip_follows_stimecmp_and_is_read_only_with_stce(engine):
    machine = Machine(engine, 0x80000000, 1 << 20, icount=0)
    hart = machine.harts[0]
    engine.csr.write(hart, MENVCFG, STCE)
    engine.csr.write(hart, STIMECMP, 10)
    machine.instructions = 999                    # time = 9 ticks at 100 ns per tick
    machine.deliver_interrupts(0, hart)
    assert not hart.mip & STIP
    machine.instructions = 1000
    machine.deliver_interrupts(0, hart)
    assert hart.mip & STIP
    engine.csr.write(hart, MIP, 0)                # M-mode cannot clear a wire it does not own
    assert hart.mip & STIP
    engine.csr.write(hart, MENVCFG, 0)
    engine.csr.write(hart, MIP, 0)                # without Sstc, STIP is M-mode's to write
    assert not hart.mip & STIP


def test_icount_time_is_instructions_times_two_to_the_shift(engine):
    machine = Machine(engine, 0x80000000, 1 << 20, icount=3)
    hart = machine.harts[0]
    machine.instructions = 10_000
    assert engine.csr.read(hart, TIME) == 10_000 * 8 // 100
    machine.clock.set_mtime(5)
    assert machine.clint is None and engine.csr.read(hart, TIME) == 5


def test_wfi_under_icount_jumps_to_the_next_deadline(engine):
    """A hart asleep with its S timer armed: the board skips time forward instead of
    waiting, and the timer interrupt wakes it."""
    machine = Machine(engine, 0x80000000, 1 << 20, icount=0)
    hart = machine.harts[0]
    assert isinstance(machine.clock, InstructionClock)
    code = e.to_bytes([e.WFI, e.jal(0, 0)])
    machine.write_memory(0x80000000, code)
    hart.pc = 0x80000000
    engine.csr.write(hart, MENVCFG, STCE)
    engine.csr.write(hart, STIMECMP, 1_000_000)   # 0.1 s from now
    engine.csr.write(hart, MIE, STIP)
    hart.mtvec = 0x80000004
    hart.mstatus |= 1 << 3                         # MIE: the interrupt is taken in M-mode
    machine.run(limit=50_000)
    assert machine.clock.mtime() >= 1_000_000
    assert hart.mcause == (1 << 63) | 5 and hart.pc == 0x80000004


def test_sixteen_hpm_counters_hold_what_is_written(engine):
    """mhpmcounter3..18 are writable like QEMU's 16 (OpenSBI counts them this way); they count
    no event. mhpmcounter19..31 and every mhpmevent are zero."""
    bench = Bench(engine)
    for n in (3, 18, 19, 31):
        bench.csr_write(0xB00 + n, 1000 + n)
    assert [bench.csr_read(0xB00 + n) for n in (3, 18, 19, 31)] == [1003, 1018, 0, 0]
    assert bench.csr_read(0xC03) == 1003              # hpmcounter3 is the same register
    bench.csr_write(0x323, 5)
    assert bench.csr_read(0x323) == 0
