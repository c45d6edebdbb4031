/* csr.c: Zicsr instructions and CSR probing (unprivileged spec chapter 9; privileged spec
 * 2.1-2.3, 3.1.1, 3.1.11-3.1.12, 4.1.11).
 *
 * Checks: the six CSR instructions return the old value and set/clear/write as defined; the
 * standard CSRs that OpenSBI and Linux touch are readable in M-mode; a nonexistent CSR and a
 * write to a read-only CSR raise an illegal instruction with mtval = the instruction; misa
 * says RV64 with I, M, A, C, S, U; the counters cycle/time/instret are readable in S only with
 * mcounteren, and in U only with both mcounteren and scounteren; satp ignores a write with an
 * unsupported mode.  The time CSR exists on virt only (HAS_TIME_CSR).  No counter values are printed: they depend on timing.
 */
#include "bare.h"

static long read_cycle(long arg) { return csr_read(cycle); }
static long read_time(long arg) { return csr_read(time); }
static long read_instret(long arg) { return csr_read(instret); }

static long (*const counters[3])(long) = {read_cycle, read_time, read_instret};
static const char *const counter_names[3] = {"cycle", "time", "instret"};

static long s_counters_from_u(long arg)
{
    long traps_before = strap.count;
    for (int i = 0; i < 3; i++)
        s_run_in_user(counters[i], 0);
    return strap.count - traps_before;
}

/* Count how many of the three counter reads trap, from `mode` */
static u64 counter_traps(int mode)
{
    trap_reset();
    for (int i = 0; i < 3; i++)
        run_in_mode(mode, counters[i], 0);
    return mtrap.count;
}

#define PROBE(csr) do { trap_reset(); (void)csr_read(csr); check("csr.readable_" #csr, mtrap.count, 0); } while (0)

int main(void)
{
    u64 old;
    csr_write(mscratch, 0xf0f0);
    asm volatile("csrrw %0, mscratch, %1" : "=r"(old) : "r"(0x1234ul));
    check("csr.csrrw_old", old, 0xf0f0);
    check("csr.csrrw_new", csr_read(mscratch), 0x1234);
    asm volatile("csrrs %0, mscratch, %1" : "=r"(old) : "r"(0xff00ul));
    check("csr.csrrs_old", old, 0x1234);
    check("csr.csrrs_new", csr_read(mscratch), 0xff34);
    asm volatile("csrrc %0, mscratch, %1" : "=r"(old) : "r"(0x0f0ful));
    check("csr.csrrc_old", old, 0xff34);
    check("csr.csrrc_new", csr_read(mscratch), 0xf030);
    asm volatile("csrrwi %0, mscratch, 21" : "=r"(old));
    check("csr.csrrwi", csr_read(mscratch), 21);
    asm volatile("csrrsi %0, mscratch, 10" : "=r"(old));
    check("csr.csrrsi", csr_read(mscratch), 31);
    asm volatile("csrrci %0, mscratch, 3" : "=r"(old));
    check("csr.csrrci", csr_read(mscratch), 28);
    csr_write(mscratch, -1l);
    check("csr.mscratch_64bit", csr_read(mscratch), 0xfffffffffffffffful);
    extern char __mtrap_stack_top[];
    csr_write(mscratch, (u64)__mtrap_stack_top);       /* trap.S needs it back */

    PROBE(mvendorid); PROBE(marchid); PROBE(mimpid); PROBE(mhartid);
    PROBE(mstatus); PROBE(misa); PROBE(medeleg); PROBE(mideleg); PROBE(mie); PROBE(mtvec);
    PROBE(mcounteren); PROBE(mepc); PROBE(mcause); PROBE(mtval); PROBE(mip);
    PROBE(pmpcfg0); PROBE(pmpaddr0); PROBE(pmpaddr7); PROBE(mcycle); PROBE(minstret);
    PROBE(sstatus); PROBE(sie); PROBE(stvec); PROBE(scounteren); PROBE(sscratch);
    PROBE(sepc); PROBE(scause); PROBE(stval); PROBE(sip); PROBE(satp);
    PROBE(cycle); PROBE(instret);
    trap_reset();
    (void)csr_read(time);
    check("csr.time_exists", mtrap.count == 0, HAS_TIME_CSR);

    check("csr.mhartid_zero", csr_read(mhartid), 0);
    u64 misa = csr_read(misa);
    check("csr.misa_mxl_64", misa >> 62, 2);
    const char *letters = "IMACSU";
    for (int i = 0; letters[i]; i++) {
        char name[] = "csr.misa_has_?";
        name[13] = letters[i];
        check(name, (misa >> (letters[i] - 'A')) & 1, 1);
    }

    /* illegal: a nonexistent CSR, and writes to read-only ones (CSR number bits 11:10 = 3) */
    u64 at;
    trap_reset();
    asm volatile("la %0, 1f\n 1: csrr t0, 0x5ff" : "=r"(at) :: "t0", "memory");
    check("csr.nonexistent_illegal", mtrap.cause, CAUSE_ILLEGAL);
    check("csr.nonexistent_tval", mtrap.tval, *(volatile u32 *)at);
    trap_reset();
    asm volatile("csrw mhartid, %0" :: "r"(1ul));
    check("csr.write_mhartid_illegal", mtrap.cause, CAUSE_ILLEGAL);
    trap_reset();
    asm volatile("csrw cycle, %0" :: "r"(1ul));
    check("csr.write_cycle_illegal", mtrap.cause, CAUSE_ILLEGAL);
    trap_reset();
    asm volatile("csrs mvendorid, x0");                 /* csrrs with x0 does not write */
    check("csr.csrs_x0_on_readonly_ok", mtrap.count, 0);

    /* the counters move forward */
    u64 c0 = csr_read(instret), t0 = mmio64(CLINT_MTIME);
    for (volatile int i = 0; i < 20000; i++)
        ;
    check("csr.instret_advances", csr_read(instret) > c0, 1);
    check("csr.mtime_advances", mmio64(CLINT_MTIME) > t0, 1);
    if (HAS_TIME_CSR)
        check("csr.time_follows_mtime", csr_read(time) > t0, 1);

    /* counter enables: bit 0 cycle, bit 1 time, bit 2 instret */
    csr_write(mcounteren, 0);
    csr_write(scounteren, 0);
    check("csr.s_counters_off_traps", counter_traps(PRV_S), 3);
    check("csr.s_counters_off_cause", mtrap.cause, CAUSE_ILLEGAL);
    csr_write(mcounteren, 7);
    check("csr.s_counters_on", counter_traps(PRV_S), !HAS_TIME_CSR);
    check("csr.u_needs_scounteren", counter_traps(PRV_U), 3);
    csr_write(scounteren, 7);
    check("csr.u_counters_on", counter_traps(PRV_U), !HAS_TIME_CSR);
    csr_write(mcounteren, 2);                           /* time only */
    check("csr.u_time_only", counter_traps(PRV_U), 2 + !HAS_TIME_CSR);
    for (int i = 0; i < 3; i++) {
        trap_reset();
        run_in_mode(PRV_S, counters[i], 0);
        char name[32] = "csr.s_mcounteren2_";
        memcpy(name + 18, counter_names[i], 8);
        check(name, mtrap.count, i == 1 ? !HAS_TIME_CSR : 1);
    }
    /* a U read refused by scounteren traps to S when illegal instructions are delegated */
    csr_write(mcounteren, 7);
    csr_write(scounteren, 0);
    csr_write(medeleg, (1ul << CAUSE_ILLEGAL) | (1ul << CAUSE_ECALL_U));
    csr_write(stvec, (u64)s_trap_entry);
    trap_reset();
    check("csr.u_counter_traps_to_s", run_in_mode(PRV_S, s_counters_from_u, 0), 3);
    check("csr.u_counter_scause", strap.cause, CAUSE_ILLEGAL);
    csr_write(medeleg, 0);

    /* satp is WARL: a write with an unsupported MODE (15) changes nothing */
    csr_write(satp, 0);
    csr_write(satp, (15ul << 60) | 0x12345);
    check("csr.satp_bad_mode_ignored", csr_read(satp), 0);
    csr_write(satp, SATP_SV39 | 0x80000);
    check("csr.satp_sv39_kept", csr_read(satp), SATP_SV39 | 0x80000);
    csr_write(satp, 0);

    /* mtvec keeps a vectored mode */
    u64 saved = csr_read(mtvec);
    csr_write(mtvec, (u64)m_vector_table | 1);
    check("csr.mtvec_vectored", csr_read(mtvec), (u64)m_vector_table | 1);
    csr_write(mtvec, saved);
    return check_report();
}
