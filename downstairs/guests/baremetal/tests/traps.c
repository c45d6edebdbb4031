/* traps.c: synchronous exceptions and what M-mode sees of them (privileged spec 3.1.15-3.1.17,
 * 3.3.1).
 *
 * For each exception: mcause (table 3.6), mepc (the faulting instruction), mtval (the
 * faulting address for address faults, the instruction bits for an illegal instruction,
 * which QEMU provides and OpenSBI relies on), and the mode it came from (mstatus.MPP).
 * The handler (runtime/trap.c) resumes after the faulting instruction, or at ra for a fetch
 * fault.  Also: mstatus.MIE/MPIE across a trap and mret, jalr clearing bit 0 of its target, and a misaligned load, which QEMU performs without a trap.
 */
#include "bare.h"

static u64 cell[4] __attribute__((aligned(16))) = {0x8877665544332211ul, 0xffeeddccbbaa9988ul};

static u64 insn_at(u64 addr)
{
    return *(volatile u32 *)addr;
}

static u64 status_in_handler;
static int save_status(struct frame *f)
{
    status_in_handler = csr_read(mstatus);
    return 0;                       /* let the normal handler record and skip it */
}

static long do_ecall(long arg)
{
    register long a7 asm("a7") = 0;
    asm volatile("ecall" :: "r"(a7) : "memory");
    return arg + 1;
}

static long do_mret(long arg)
{
    asm volatile("mret" ::: "memory");
    return arg;
}

static long do_sret(long arg)
{
    asm volatile("sret" ::: "memory");
    return arg;
}

static long read_mstatus(long arg)
{
    return csr_read(mstatus);
}

int main(void)
{
    u64 at;

    /* ecall from M */
    trap_reset();
    asm volatile("la %0, 1f\n li a7, 0\n 1: ecall" : "=r"(at) :: "a7", "memory");
    check("traps.ecall_m_cause", mtrap.cause, CAUSE_ECALL_M);
    check("traps.ecall_m_epc", mtrap.epc, at);
    check("traps.ecall_m_tval", mtrap.tval, 0);
    check("traps.ecall_m_mpp", mtrap.prev_mode, PRV_M);
    check("traps.ecall_m_count", mtrap.count, 1);

    /* ecall from S and from U (not delegated: both reach M) */
    trap_reset();
    check("traps.ecall_s_returns", run_in_mode(PRV_S, do_ecall, 41), 42);
    check("traps.ecall_s_cause", mtrap.cause, CAUSE_ECALL_S);
    check("traps.ecall_s_mpp", mtrap.prev_mode, PRV_S);
    trap_reset();
    check("traps.ecall_u_returns", run_in_mode(PRV_U, do_ecall, 9), 10);
    check("traps.ecall_u_cause", mtrap.cause, CAUSE_ECALL_U);
    check("traps.ecall_u_mpp", mtrap.prev_mode, PRV_U);

    /* mstatus across a trap: MPIE <- MIE, MIE <- 0, MPP <- M; mret restores MIE.  mie is 0,
     * so setting MIE lets no interrupt in. */
    csr_write(mie, 0);
    csr_set(mstatus, MSTATUS_MIE);
    m_trap_hook = save_status;
    asm volatile("li a7, 0\n ecall" ::: "a7", "memory");
    m_trap_hook = 0;
    check("traps.trap_clears_mie", (status_in_handler & MSTATUS_MIE) != 0, 0);
    check("traps.trap_sets_mpie", (status_in_handler & MSTATUS_MPIE) != 0, 1);
    check("traps.trap_sets_mpp_m", (status_in_handler & MSTATUS_MPP) >> 11, PRV_M);
    check("traps.mret_restores_mie", (csr_read(mstatus) & MSTATUS_MIE) != 0, 1);
    csr_clear(mstatus, MSTATUS_MIE);

    /* illegal instruction in M: custom-0 opcode; mtval = the instruction bits */
    trap_reset();
    asm volatile("la %0, 1f\n 1: .word 0x0000000b" : "=r"(at) :: "memory");
    check("traps.illegal_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("traps.illegal_epc", mtrap.epc, at);
    check("traps.illegal_tval", mtrap.tval, 0x0000000b);
    /* a nonexistent CSR is illegal too (CSR 0x8ff: custom, unimplemented) */
    trap_reset();
    asm volatile("la %0, 1f\n 1: csrr t0, 0x8ff" : "=r"(at) :: "t0", "memory");
    check("traps.bad_csr_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("traps.bad_csr_tval", mtrap.tval, insn_at(at));

    /* privileged instructions from lower modes */
    trap_reset();
    run_in_mode(PRV_S, do_mret, 0);
    check("traps.mret_in_s_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("traps.mret_in_s_tval", mtrap.tval, 0x30200073);
    check("traps.mret_in_s_mpp", mtrap.prev_mode, PRV_S);
    trap_reset();
    run_in_mode(PRV_U, do_sret, 0);
    check("traps.sret_in_u_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("traps.sret_in_u_tval", mtrap.tval, 0x10200073);
    trap_reset();
    run_in_mode(PRV_S, read_mstatus, 0);
    check("traps.mstatus_in_s_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("traps.mstatus_in_s_tval", mtrap.tval, insn_at(mtrap.epc));
    check("traps.mstatus_in_s_tval_is_csrr", mtrap.tval & 0xfff0307f, 0x30002073);

    /* breakpoint, the 4-byte form; mtval may be 0 or the address: QEMU 7.2 writes 0 */
    trap_reset();
    asm volatile(".option push\n .option norvc\n la %0, 1f\n 1: ebreak\n .option pop" : "=r"(at) :: "memory");
    check("traps.ebreak_cause", mtrap.cause, CAUSE_BREAKPOINT);
    check("traps.ebreak_epc", mtrap.epc, at);
    check("traps.ebreak_tval", mtrap.tval, 0);

    /* misaligned AMO and LR: always an exception (the A extension needs natural alignment).
     * The spec names "store/AMO address misaligned" (6) for an AMO; QEMU 7.2 reports "load
     * address misaligned" (4), so either passes.  (A misaligned SC with no reservation
     * simply fails on QEMU without a trap: not checked.) */
    u64 p = (u64)cell, r;
    trap_reset();
    asm volatile("amoadd.w %0, %2, (%1)" : "=r"(r) : "r"(p + 2), "r"(1ul) : "memory");
    check("traps.misaligned_amo_cause", mtrap.cause == CAUSE_MISALIGNED_STORE || mtrap.cause == CAUSE_MISALIGNED_LOAD, 1);
    check("traps.misaligned_amo_tval", mtrap.tval, p + 2);
    check("traps.misaligned_amo_no_write", cell[0], 0x8877665544332211ul);
    trap_reset();
    asm volatile("lr.d %0, (%1)" : "=r"(r) : "r"(p + 4) : "memory");
    check("traps.misaligned_lr_cause", mtrap.cause, CAUSE_MISALIGNED_LOAD);
    check("traps.misaligned_lr_tval", mtrap.tval, p + 4);

    /* a misaligned ordinary load/store: QEMU does it in hardware, no trap */
    trap_reset();
    check("traps.misaligned_ld", ld64(p + 3), 0xaa99888877665544ul);
    sw32(p + 6, 0x12345678);
    check("traps.misaligned_sw", cell[0], 0x5678665544332211ul);
    check("traps.misaligned_no_trap", mtrap.count, 0);

    /* access faults: nothing answers at UNMAPPED_ADDR */
    trap_reset();
    ld64(UNMAPPED_ADDR);
    check("traps.load_fault_cause", mtrap.cause, CAUSE_LOAD_ACCESS);
    check("traps.load_fault_tval", mtrap.tval, UNMAPPED_ADDR);
    trap_reset();
    sd64(UNMAPPED_ADDR + 8, 1);
    check("traps.store_fault_cause", mtrap.cause, CAUSE_STORE_ACCESS);
    check("traps.store_fault_tval", mtrap.tval, UNMAPPED_ADDR + 8);
    trap_reset();
    ((void (*)(void))(UNMAPPED_ADDR + 0x100))();
    check("traps.fetch_fault_cause", mtrap.cause, CAUSE_FETCH_ACCESS);
    check("traps.fetch_fault_tval", mtrap.tval, UNMAPPED_ADDR + 0x100);
    check("traps.fetch_fault_epc", mtrap.epc, UNMAPPED_ADDR + 0x100);

    /* jalr clears bit 0 of the target */
    asm volatile("la t0, 1f\n addi t0, t0, 1\n li %0, 1\n jalr x0, t0, 0\n li %0, 2\n .balign 4\n 1:"
                 : "=&r"(r) :: "t0");
    check("traps.jalr_clears_bit0", r, 1);
    check("traps.fetch_fault_count", mtrap.count, 1);
    return check_report();
}
