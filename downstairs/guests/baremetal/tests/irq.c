/* irq.c: interrupts from the CLINT (SiFive CLINT / RISC-V ACLINT layout at 0x2000000) and how
 * the hart takes them (privileged spec 3.1.6.1, 3.1.7, 3.1.9, 3.2.1).
 *
 * Machine timer: mip.MTIP is set while mtime >= mtimecmp, and a write to mtimecmp clears it.
 * Machine software: mip.MSIP mirrors the msip register.  An interrupt is taken in M only when
 * mstatus.MIE and its mie bit are set, but always when the hart runs below M.  wfi waits for
 * an enabled interrupt to be pending, even with MIE clear.  Simultaneous interrupts are taken
 * by priority (MEI > MSI > MTI > SEI > SSI > STI).  Vectored mtvec sends interrupt N to
 * base + 4N and exceptions to base.  Finally the pattern OpenSBI and Linux use for the
 * S-mode timer: M's timer handler raises mip.STIP, delegated to S; S asks M (ecall) to clear it.
 */
#include "bare.h"

#define MIP_MSIP (1ul << IRQ_M_SOFT)
#define MIP_MTIP (1ul << IRQ_M_TIMER)
#define MIP_STIP (1ul << IRQ_S_TIMER)
#define TICKS 2000                  /* 200 us at QEMU's 10 MHz timebase */
#define SYS_CLEAR_STIP 0x5354       /* this test's own ecall service */

static u64 order[4];
static int order_count;

static int record_order(struct frame *f)
{
    if (f->cause & CAUSE_INTERRUPT && order_count < 4)
        order[order_count++] = f->cause;
    return 0;                       /* the default handler silences the source */
}

static void arm_timer(u64 ticks)
{
    mmio64(CLINT_MTIMECMP) = mmio64(CLINT_MTIME) + ticks;
}

static void wait_pending(u64 bit)
{
    while (!(csr_read(mip) & bit))
        ;
}

static long s_wait_for_irq(long arg)
{
    while (mtrap.irq_count == 0)
        ;
    return 5;
}

/* M side of the S timer: the machine timer interrupt becomes mip.STIP */
static int m_timer_to_stip(struct frame *f)
{
    if (f->cause == (CAUSE_INTERRUPT | IRQ_M_TIMER)) {
        mmio64(CLINT_MTIMECMP) = ~0ul;
        csr_set(mip, MIP_STIP);
        mtrap.irq_count++;
        return 1;
    }
    if (f->cause == CAUSE_ECALL_S && f->x[17] == SYS_CLEAR_STIP) {
        csr_clear(mip, MIP_STIP);
        f->epc += 4;
        return 1;
    }
    return 0;
}

static int s_timer_handler(struct frame *f)
{
    if (f->cause == (CAUSE_INTERRUPT | IRQ_S_TIMER)) {
        strap.irq_count++;
        strap.irq_cause = f->cause;
        register long a7 asm("a7") = SYS_CLEAR_STIP;
        asm volatile("ecall" :: "r"(a7) : "memory");
        return 1;
    }
    return 0;
}

static long s_timer(long arg)
{
    csr_write(stvec, (u64)s_trap_entry);
    csr_set(sie, MIP_STIP);
    csr_set(sstatus, MSTATUS_SIE);
    while (strap.irq_count == 0)
        asm volatile("wfi");
    csr_clear(sstatus, MSTATUS_SIE);
    return (csr_read(sip) & MIP_STIP) != 0;
}

int main(void)
{
    csr_write(mie, 0);
    csr_clear(mstatus, MSTATUS_MIE);
    mmio64(CLINT_MTIMECMP) = ~0ul;
    mmio32(CLINT_MSIP) = 0;
    check("irq.idle_mip_clear", csr_read(mip) & (MIP_MSIP | MIP_MTIP), 0);

    /* timer pending but masked by MIE; taken when MIE is set */
    trap_reset();
    csr_write(mie, MIP_MTIP);
    arm_timer(TICKS);
    wait_pending(MIP_MTIP);
    check("irq.mtip_pending_masked", mtrap.irq_count, 0);
    csr_set(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    check("irq.mti_taken", mtrap.irq_count, 1);
    check("irq.mti_cause", mtrap.irq_cause, CAUSE_INTERRUPT | IRQ_M_TIMER);
    check("irq.mti_direct_mode", mtrap.irq_vector, -1);
    check("irq.mtimecmp_write_clears_mtip", csr_read(mip) & MIP_MTIP, 0);

    /* wfi with interrupts on: sleeps until the timer, which is taken once */
    trap_reset();
    arm_timer(TICKS);
    csr_set(mstatus, MSTATUS_MIE);
    while (mtrap.irq_count == 0)
        asm volatile("wfi");
    csr_clear(mstatus, MSTATUS_MIE);
    check("irq.wfi_timer_once", mtrap.irq_count, 1);

    /* wfi with MIE clear still wakes for a pending enabled interrupt (not taken) */
    trap_reset();
    arm_timer(TICKS);
    while (!(csr_read(mip) & MIP_MTIP))
        asm volatile("wfi");
    check("irq.wfi_masked_not_taken", mtrap.irq_count, 0);
    mmio64(CLINT_MTIMECMP) = ~0ul;

    /* msip mirrors into mip.MSIP */
    mmio32(CLINT_MSIP) = 1;
    check("irq.msip_sets_mip", (csr_read(mip) & MIP_MSIP) != 0, 1);
    check("irq.msip_reads_back", mmio32(CLINT_MSIP), 1);
    mmio32(CLINT_MSIP) = 0;
    check("irq.msip_clears_mip", csr_read(mip) & MIP_MSIP, 0);

    /* software interrupt taken */
    trap_reset();
    csr_write(mie, MIP_MSIP);
    mmio32(CLINT_MSIP) = 1;
    csr_set(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    check("irq.msi_taken", mtrap.irq_count, 1);
    check("irq.msi_cause", mtrap.irq_cause, CAUSE_INTERRUPT | IRQ_M_SOFT);

    /* both pending: software before timer */
    trap_reset();
    order_count = 0;
    m_trap_hook = record_order;
    csr_write(mie, MIP_MSIP | MIP_MTIP);
    mmio32(CLINT_MSIP) = 1;
    arm_timer(TICKS);
    wait_pending(MIP_MTIP);
    csr_set(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    m_trap_hook = 0;
    check("irq.priority_count", order_count, 2);
    check("irq.priority_first_msi", order[0], CAUSE_INTERRUPT | IRQ_M_SOFT);
    check("irq.priority_then_mti", order[1], CAUSE_INTERRUPT | IRQ_M_TIMER);

    /* vectored mtvec: interrupt N at slot N, exceptions at slot 0 */
    u64 direct = csr_read(mtvec);
    csr_write(mtvec, (u64)m_vector_table | 1);
    trap_reset();
    mmio32(CLINT_MSIP) = 1;
    csr_set(mstatus, MSTATUS_MIE);
    asm volatile("nop");
    csr_clear(mstatus, MSTATUS_MIE);
    check("irq.vectored_msi_slot", mtrap.irq_vector, IRQ_M_SOFT);
    trap_reset();
    arm_timer(TICKS);
    csr_set(mstatus, MSTATUS_MIE);
    while (mtrap.irq_count == 0)
        asm volatile("wfi");
    csr_clear(mstatus, MSTATUS_MIE);
    check("irq.vectored_mti_slot", mtrap.irq_vector, IRQ_M_TIMER);
    asm volatile("li a7, 0\n ecall" ::: "a7", "memory");
    check("irq.vectored_exception_slot", mtrap.vector, 0);
    check("irq.vectored_exception_cause", mtrap.cause, CAUSE_ECALL_M);
    csr_write(mtvec, direct);

    /* below M, machine interrupts are taken even with mstatus.MIE = 0 */
    trap_reset();
    csr_write(mie, MIP_MTIP);
    arm_timer(TICKS);
    check("irq.taken_in_s_result", run_in_mode(PRV_S, s_wait_for_irq, 0), 5);
    check("irq.taken_in_s_count", mtrap.irq_count, 1);
    check("irq.taken_in_s_cause", mtrap.irq_cause, CAUSE_INTERRUPT | IRQ_M_TIMER);

    /* the S-mode timer through M, as with an SBI firmware */
    trap_reset();
    m_trap_hook = m_timer_to_stip;
    s_trap_hook = s_timer_handler;
    csr_write(mideleg, MIP_STIP);
    csr_write(mie, MIP_MTIP | MIP_STIP);
    arm_timer(TICKS);
    check("irq.stip_cleared_by_m", run_in_mode(PRV_S, s_timer, 0), 0);
    check("irq.sti_taken_once", strap.irq_count, 1);
    check("irq.sti_scause", strap.irq_cause, CAUSE_INTERRUPT | IRQ_S_TIMER);
    check("irq.sti_mti_once", mtrap.irq_count, 1);
    m_trap_hook = 0;
    s_trap_hook = 0;
    csr_write(mideleg, 0);
    csr_write(mie, 0);
    return check_report();
}
