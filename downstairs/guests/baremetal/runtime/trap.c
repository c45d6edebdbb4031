/* trap.c: what the M- and S-mode trap handlers do with a trap (trap.S saves the frame).
 *
 * Interrupts: count them and silence the source (CLINT mtimecmp for the machine timer,
 * msip for the machine software interrupt, the sip bit for S-level ones).
 * ecall with a7 = SYS_DONE ends run_in_mode()/s_run_in_user(); a7 = SYS_EXIT exits.
 * Any other exception is recorded in mtrap/strap and then skipped: execution resumes after
 * the faulting instruction (2 or 4 bytes, from its low bits, RISC-V unprivileged spec 1.5),
 * or, for a fault on instruction fetch, at the return address in ra: the test jumped there
 * with a call.  The instruction at epc must therefore be readable at its address, so code is
 * always mapped 1:1 when paging is on.
 */
#include "bare.h"

volatile struct trap_record mtrap, strap;
int (*m_trap_hook)(struct frame *f);
int (*s_trap_hook)(struct frame *f);
u64 m_saved_sp, s_saved_sp;         /* written by trap.S run_in_mode / s_run_in_user */
extern char run_in_mode_resume[], s_run_in_user_resume[];

#define RUNAWAY 64

void trap_reset(void)
{
    memset((void *)&mtrap, 0, sizeof mtrap);
    memset((void *)&strap, 0, sizeof strap);
}

static u64 insn_length(u64 epc)
{
    u16 low = *(volatile u16 *)epc;
    return (low & 3) == 3 ? 4 : 2;
}

static int is_ecall(u64 cause)
{
    return cause == CAUSE_ECALL_U || cause == CAUSE_ECALL_S || cause == CAUSE_ECALL_M;
}

static int is_fetch_fault(u64 cause)
{
    return cause == CAUSE_MISALIGNED_FETCH || cause == CAUSE_FETCH_ACCESS || cause == CAUSE_FETCH_PAGE;
}

static void record(volatile struct trap_record *r, struct frame *f, u64 prev_mode, const char *level)
{
    r->count++;
    r->cause = f->cause;
    r->tval = f->tval;
    r->epc = f->epc;
    r->prev_mode = prev_mode;
    r->vector = f->vector;
    if (r->count > RUNAWAY) {
        printf("FAIL runaway %s traps: cause %lu epc 0x%lx tval 0x%lx\n", level, f->cause, f->epc, f->tval);
        exit(3);
    }
    if (is_fetch_fault(f->cause))
        f->epc = f->x[1];
    else
        f->epc += insn_length(f->epc);
}

void m_trap_handler(struct frame *f)
{
    if (m_trap_hook && m_trap_hook(f))
        return;
    if (f->cause & CAUSE_INTERRUPT) {
        u64 code = f->cause & 0xff;
        mtrap.irq_count++;
        mtrap.irq_cause = f->cause;
        mtrap.irq_vector = f->vector;
        if (code == IRQ_M_TIMER)
            mmio64(CLINT_MTIMECMP) = ~0ul;
        else if (code == IRQ_M_SOFT)
            mmio32(CLINT_MSIP) = 0;
        else
            csr_clear(mip, 1ul << code);
        if (mtrap.irq_count > RUNAWAY) {
            printf("FAIL runaway M interrupts: cause 0x%lx\n", f->cause);
            exit(3);
        }
        return;
    }
    if (is_ecall(f->cause) && f->x[17] == SYS_DONE) {
        f->epc = (u64)run_in_mode_resume;
        f->status = (f->status & ~MSTATUS_MPIE) | MSTATUS_MPP;  /* back to M, interrupts off */
        f->x[2] = m_saved_sp;
        return;
    }
    if (is_ecall(f->cause) && f->x[17] == SYS_EXIT)
        exit((int)f->x[10]);
    record(&mtrap, f, (f->status & MSTATUS_MPP) >> 11, "M");
}

void s_trap_handler(struct frame *f)
{
    if (s_trap_hook && s_trap_hook(f))
        return;
    if (f->cause & CAUSE_INTERRUPT) {
        u64 code = f->cause & 0xff;
        strap.irq_count++;
        strap.irq_cause = f->cause;
        strap.irq_vector = f->vector;
        csr_clear(sip, 1ul << code);
        if (strap.irq_count > RUNAWAY) {
            printf("FAIL runaway S interrupts: cause 0x%lx\n", f->cause);
            exit(3);
        }
        return;
    }
    if (is_ecall(f->cause) && f->x[17] == SYS_DONE) {
        f->epc = (u64)s_run_in_user_resume;
        f->status = (f->status & ~MSTATUS_SPIE) | MSTATUS_SPP;
        f->x[2] = s_saved_sp;
        return;
    }
    if (is_ecall(f->cause) && f->x[17] == SYS_EXIT)
        exit((int)f->x[10]);
    record(&strap, f, (f->status & MSTATUS_SPP) >> 8, "S");
}
