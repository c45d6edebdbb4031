/* priv.c: privilege modes and trap delegation (privileged spec 3.1.6, 3.1.8, 3.3.2, 4.1.1).
 *
 * M enters S and U with mret (runtime run_in_mode), S enters U with sret (s_run_in_user).
 * Checks: which CSRs each mode may touch; medeleg sends chosen exceptions from S/U to the
 * S handler (scause/sepc/stval, sstatus.SPP) and M sees nothing; mideleg does the same for
 * the S software interrupt; an undelegated S interrupt goes to M even while in S; sstatus
 * is a view of mstatus; mret/sret leave xPP = U; mstatus.TW/TVM/TSR make wfi, satp/sfence.vma
 * and sret illegal in S.
 */
#include "bare.h"

static long read_sstatus(long arg) { return csr_read(sstatus); }
static long read_mstatus(long arg) { return csr_read(mstatus); }
static long read_sscratch(long arg) { return csr_read(sscratch); }

static long u_ecall_twice(long arg)
{
    asm volatile("li a7, 0\n ecall\n li a7, 0\n ecall" ::: "a7", "memory");
    return arg * 2;
}

static long u_illegal(long arg)
{
    asm volatile(".word 0x0000000b" ::: "memory");
    return arg + 1;
}

static long s_delegation(long arg)
{
    csr_write(stvec, (u64)s_trap_entry);
    long r = s_run_in_user(u_ecall_twice, arg);
    return r;
}

static long s_illegal_twice(long arg)
{
    csr_write(stvec, (u64)s_trap_entry);
    asm volatile(".word 0x0000000b" ::: "memory");    /* delegated: taken in S, from S */
    return s_run_in_user(u_illegal, arg);               /* and from U */
}

static long s_soft_interrupt(long arg)
{
    csr_write(stvec, (u64)s_trap_entry);
    csr_set(sie, 1ul << IRQ_S_SOFT);
    csr_set(sip, 1ul << IRQ_S_SOFT);                    /* S may raise its own SSIP */
    long before = strap.irq_count;                      /* SIE is still 0: not taken yet */
    csr_set(sstatus, MSTATUS_SIE);
    asm volatile("nop");
    csr_clear(sstatus, MSTATUS_SIE);
    return before;
}

static long s_wait(long arg) { asm volatile("wfi"); return 1; }
static long s_read_satp(long arg) { return csr_read(satp); }
static long s_sfence(long arg) { sfence_vma(); return 1; }
static long s_sret(long arg) { asm volatile("csrw sepc, %0\n sret\n 1:" :: "r"(0ul) : "memory"); return 1; }
static long s_spin(long arg)
{
    for (volatile int i = 0; i < 100; i++)
        ;
    return 7;
}

int main(void)
{
    /* CSR access by mode: S may use sstatus and sscratch, not mstatus; U none of them */
    trap_reset();
    run_in_mode(PRV_S, read_sstatus, 0);
    run_in_mode(PRV_S, read_sscratch, 0);
    check("priv.s_reads_s_csrs", mtrap.count, 0);
    run_in_mode(PRV_S, read_mstatus, 0);
    check("priv.s_mstatus_illegal", mtrap.cause, CAUSE_ILLEGAL);
    check("priv.s_mstatus_from_s", mtrap.prev_mode, PRV_S);
    trap_reset();
    run_in_mode(PRV_U, read_sstatus, 0);
    check("priv.u_sstatus_illegal", mtrap.cause, CAUSE_ILLEGAL);
    check("priv.u_sstatus_from_u", mtrap.prev_mode, PRV_U);

    /* mret leaves MPP = U (the least-privileged mode) */
    run_in_mode(PRV_S, s_spin, 0);
    check("priv.mret_sets_mpp_u", (csr_read(mstatus) & MSTATUS_MPP) >> 11, PRV_U);

    /* sstatus is a window on mstatus: SIE shows through, MIE does not */
    csr_set(mstatus, MSTATUS_SIE);
    check("priv.sstatus_sie_visible", (csr_read(sstatus) & MSTATUS_SIE) != 0, 1);
    csr_clear(sstatus, MSTATUS_SIE);
    check("priv.sstatus_clears_mstatus", (csr_read(mstatus) & MSTATUS_SIE) != 0, 0);
    csr_write(mie, 0);
    csr_set(mstatus, MSTATUS_MIE);
    check("priv.sstatus_hides_mie", csr_read(sstatus) & MSTATUS_MIE, 0);
    csr_clear(mstatus, MSTATUS_MIE);

    /* medeleg: ecall from U (bit 8) goes to S; S's own ecall (bit 9 clear) still goes to M */
    csr_write(medeleg, (1ul << CAUSE_ECALL_U) | (1ul << CAUSE_ILLEGAL));
    check("priv.medeleg_readback", csr_read(medeleg), (1ul << CAUSE_ECALL_U) | (1ul << CAUSE_ILLEGAL));
    trap_reset();
    check("priv.deleg_ecall_result", run_in_mode(PRV_S, s_delegation, 21), 42);
    check("priv.deleg_ecall_count_s", strap.count, 2);
    check("priv.deleg_ecall_scause", strap.cause, CAUSE_ECALL_U);
    check("priv.deleg_ecall_spp_u", strap.prev_mode, PRV_U);
    check("priv.deleg_ecall_stval", strap.tval, 0);
    check("priv.deleg_ecall_m_saw_none", mtrap.count, 0);

    /* delegated illegal instruction, from S and from U: stval = the instruction bits */
    trap_reset();
    check("priv.deleg_illegal_result", run_in_mode(PRV_S, s_illegal_twice, 5), 6);
    check("priv.deleg_illegal_count_s", strap.count, 2);
    check("priv.deleg_illegal_scause", strap.cause, CAUSE_ILLEGAL);
    check("priv.deleg_illegal_stval", strap.tval, 0x0000000b);
    check("priv.deleg_illegal_spp_u", strap.prev_mode, PRV_U);
    check("priv.deleg_illegal_m_saw_none", mtrap.count, 0);
    /* M-mode's own exceptions are never delegated */
    asm volatile(".word 0x0000000b" ::: "memory");
    check("priv.m_illegal_stays_in_m", mtrap.count, 1);
    csr_write(medeleg, 0);

    /* mideleg: the S software interrupt, raised and taken in S */
    csr_write(mideleg, 1ul << IRQ_S_SOFT);
    trap_reset();
    check("priv.ssi_masked_by_sie", run_in_mode(PRV_S, s_soft_interrupt, 0), 0);
    check("priv.ssi_taken_in_s", strap.irq_count, 1);
    check("priv.ssi_scause", strap.irq_cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
    check("priv.ssi_m_saw_none", mtrap.irq_count, 0);
    csr_write(mideleg, 0);

    /* not delegated: an S-level interrupt pending while in S traps to M, even with
     * mstatus.MIE = 0, because M's interrupts are always on below M */
    trap_reset();
    csr_write(mie, 1ul << IRQ_S_SOFT);
    csr_set(mip, 1ul << IRQ_S_SOFT);
    check("priv.ssi_pending_in_m", (csr_read(mip) >> IRQ_S_SOFT) & 1, 1);
    check("priv.ssi_not_taken_in_m", mtrap.irq_count, 0);
    check("priv.ssi_to_m_result", run_in_mode(PRV_S, s_spin, 0), 7);
    check("priv.ssi_to_m_count", mtrap.irq_count, 1);
    check("priv.ssi_to_m_cause", mtrap.irq_cause, CAUSE_INTERRUPT | IRQ_S_SOFT);
    csr_write(mie, 0);

    /* TW: wfi in S is illegal; TVM: satp and sfence.vma are illegal in S; TSR: sret too */
    csr_set(mstatus, 1ul << 21);
    trap_reset();
    run_in_mode(PRV_S, s_wait, 0);
    check("priv.tw_wfi_illegal", mtrap.cause, CAUSE_ILLEGAL);
    csr_clear(mstatus, 1ul << 21);
    csr_set(mstatus, 1ul << 20);
    trap_reset();
    run_in_mode(PRV_S, s_read_satp, 0);
    run_in_mode(PRV_S, s_sfence, 0);
    check("priv.tvm_traps", mtrap.count, 2);
    check("priv.tvm_cause", mtrap.cause, CAUSE_ILLEGAL);
    csr_clear(mstatus, 1ul << 20);
    trap_reset();
    run_in_mode(PRV_S, s_read_satp, 0);
    check("priv.no_tvm_satp_ok", mtrap.count, 0);
    csr_set(mstatus, 1ul << 22);
    trap_reset();
    run_in_mode(PRV_S, s_sret, 0);
    check("priv.tsr_sret_illegal", mtrap.cause, CAUSE_ILLEGAL);
    check("priv.tsr_sret_tval", mtrap.tval, 0x10200073);
    csr_clear(mstatus, 1ul << 22);
    return check_report();
}
