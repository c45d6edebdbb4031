/* triggers.c: debug triggers as M-mode software sees them (RISC-V Debug Specification 1.0,
 * chapter 5, "Sdtrig"; after riscv-tests' rv64mi breakpoint test, written anew).
 *
 * tselect picks a trigger (a write past the last one is not kept: that finds how many
 * there are), tinfo lists the types each supports, tdata1 configures it (an mcontrol, type
 * 2, or an mcontrol6, type 6: load, store, execute and the U/S/M modes it watches) and
 * tdata2 holds the address. Checks: the count and types; a fresh trigger matches nothing;
 * M-mode cannot set dmode or action 1 (only an external debugger may); an execute trigger
 * raises a breakpoint exception before the instruction runs, with mepc at it, only in the
 * modes it names; load and store triggers stop the access before it happens (the register
 * or memory keeps its old value) and only for their kind of access; an access that covers
 * the watched byte matches, one beside it does not; two triggers work at once; writing 0
 * disarms; S-mode cannot reach the trigger CSRs. mtval may be 0 or the address (QEMU 7.2
 * writes 0).
 *
 * The trap handler (runtime trap.c) records the exception and resumes after the
 * instruction, so a trapped call returns without its first instruction having run.
 */
#include "bare.h"

#define TYPE(t) ((u64)(t) << 60)
#define LOAD (1ul << 0)
#define STORE (1ul << 1)
#define EXEC (1ul << 2)
#define U_MODE (1ul << 3)
#define S_MODE (1ul << 4)
#define M_MODE (1ul << 6)
#define ACTION1 (1ul << 12)
#define DMODE (1ul << 59)

static volatile u64 data[4] __attribute__((aligned(16)));

/* noipa: gcc must call them each time (not reuse an earlier result of a "pure" function) */
__attribute__((noipa)) static long add_one(long x) { return x + 1; }
__attribute__((noipa)) static long add_two(long x) { return x + 2; }
static long read_data0(long unused) { return data[0]; }
static long read_tselect(long unused) { return csr_read(tselect); }

/* Arm trigger `index`: disarm it, set the address, then the control (in that order, so the
 * trigger is never armed on a stale address). */
static void arm(int index, u64 addr, u64 control)
{
    csr_write(tselect, index);
    csr_write(tdata1, 0);
    csr_write(tdata2, addr);
    csr_write(tdata1, control);
}

static void disarm_all(int count)
{
    for (int i = 0; i < count; i++) {
        csr_write(tselect, i);
        csr_write(tdata1, 0);
        csr_write(tdata2, 0);
    }
}

static int tval_ok(u64 addr) { return mtrap.tval == 0 || mtrap.tval == addr; }

static int count_triggers(void)
{
    int n = 0;
    while (n < 64) {
        csr_write(tselect, n);
        if (csr_read(tselect) != (u64)n)
            break;
        n++;
    }
    return n;
}

int main(void)
{
    trap_reset();
    int count = count_triggers();
    check("triggers.count", count, 2);
    for (int i = 0; i < count; i++) {
        csr_write(tselect, i);
        check("triggers.tinfo_mcontrol", (csr_read(tinfo) >> 2) & 1, 1);
        check("triggers.tinfo_mcontrol6", (csr_read(tinfo) >> 6) & 1, 1);
        check("triggers.fresh_matches_nothing", csr_read(tdata1) & (LOAD | STORE | EXEC), 0);
    }
    csr_write(tselect, 0);
    csr_write(tselect, count);                       /* past the last: not kept */
    check("triggers.tselect_warl", csr_read(tselect), 0);
    check("triggers.csr_traps", mtrap.count, 0);

    /* what M-mode may write */
    arm(0, 0, TYPE(2) | M_MODE | EXEC);
    check("triggers.mcontrol_kept", csr_read(tdata1), TYPE(2) | M_MODE | EXEC);
    csr_write(tdata1, TYPE(2) | M_MODE | EXEC | DMODE);
    check("triggers.no_dmode_from_m", csr_read(tdata1) & DMODE, 0);
    csr_write(tdata1, TYPE(2) | M_MODE | EXEC | ACTION1);
    check("triggers.no_action1_from_m", csr_read(tdata1) & ACTION1, 0);
    csr_write(tdata1, 0);

    /* execute: before the instruction, in the named modes only */
    arm(0, (u64)add_one, TYPE(2) | M_MODE | EXEC);
    trap_reset();
    long r = add_one(10);
    check("triggers.exec_traps", mtrap.count, 1);
    check("triggers.exec_cause", mtrap.cause, CAUSE_BREAKPOINT);
    check("triggers.exec_epc", mtrap.epc, (u64)add_one);
    check("triggers.exec_tval", tval_ok((u64)add_one), 1);
    check("triggers.exec_before", r, 10);            /* the addi did not run */
    trap_reset();
    check("triggers.exec_other_function", add_two(10), 12);
    check("triggers.exec_other_no_trap", mtrap.count, 0);
    arm(0, (u64)add_one, TYPE(2) | S_MODE | U_MODE | EXEC);
    trap_reset();
    check("triggers.exec_not_in_m", add_one(10), 11);
    check("triggers.exec_not_in_m_no_trap", mtrap.count, 0);
    trap_reset();
    check("triggers.exec_in_s", run_in_mode(PRV_S, add_one, 10), 10);
    check("triggers.exec_in_s_traps", mtrap.count, 1);
    trap_reset();
    check("triggers.exec_in_u", run_in_mode(PRV_U, add_one, 10), 10);
    check("triggers.exec_in_u_traps", mtrap.count, 1);
    arm(0, (u64)add_two, TYPE(6) | M_MODE | EXEC);
    trap_reset();
    check("triggers.mcontrol6_exec", add_two(10), 10);
    check("triggers.mcontrol6_exec_traps", mtrap.count, 1);
    check("triggers.mcontrol6_exec_epc", mtrap.epc, (u64)add_two);

    /* loads: stopped before the access */
    data[0] = 0x1111;
    arm(0, (u64)&data[0], TYPE(2) | M_MODE | LOAD);
    u64 v = 0x5555;
    trap_reset();
    asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(&data[0]) : "memory");
    check("triggers.load_traps", mtrap.count, 1);
    check("triggers.load_cause", mtrap.cause, CAUSE_BREAKPOINT);
    check("triggers.load_tval", tval_ok((u64)&data[0]), 1);
    check("triggers.load_not_done", v, 0x5555);
    trap_reset();
    sd64((u64)&data[0], 0x2222);
    check("triggers.load_ignores_store", mtrap.count, 0);
    check("triggers.load_not_in_u", run_in_mode(PRV_U, read_data0, 0), 0x2222);   /* the store happened */
    check("triggers.load_not_in_u_no_trap", mtrap.count, 0);

    /* stores: stopped before memory changes (an mcontrol6) */
    arm(0, (u64)&data[1], TYPE(6) | M_MODE | STORE);
    data[1] = 0;                                     /* armed: this store traps too */
    trap_reset();
    sd64((u64)&data[1], 0x3333);
    check("triggers.store_traps", mtrap.count, 1);
    check("triggers.store_not_done", data[1] != 0x3333, 1);
    trap_reset();
    (void)ld64((u64)&data[1]);
    check("triggers.store_ignores_load", mtrap.count, 0);

    /* the matched address: any byte of the access */
    arm(0, (u64)&data[2] + 4, TYPE(2) | M_MODE | LOAD);
    trap_reset();
    (void)lbu8((u64)&data[2]);
    check("triggers.byte_beside_no_trap", mtrap.count, 0);
    (void)lbu8((u64)&data[2] + 4);
    check("triggers.byte_at_traps", mtrap.count, 1);
    trap_reset();
    (void)lw32((u64)&data[2] + 2);
    check("triggers.word_covering_traps", mtrap.count, 1);

    /* two at once */
    arm(0, (u64)&data[3], TYPE(2) | M_MODE | LOAD);
    arm(1, (u64)&data[2], TYPE(2) | M_MODE | STORE);
    csr_write(tselect, 0);
    check("triggers.tdata2_per_trigger", csr_read(tdata2), (u64)&data[3]);
    trap_reset();
    (void)ld64((u64)&data[3]);
    check("triggers.first_of_two", mtrap.count, 1);
    sd64((u64)&data[2], 7);
    check("triggers.second_of_two", mtrap.count, 2);
    sd64((u64)&data[3], 7);
    (void)ld64((u64)&data[2]);
    check("triggers.neither", mtrap.count, 2);

    /* disarmed by writing 0 */
    disarm_all(count);
    trap_reset();
    (void)ld64((u64)&data[3]);
    sd64((u64)&data[2], 8);
    check("triggers.disarmed", add_one(1) + mtrap.count, 2);

    /* S-mode cannot reach them */
    trap_reset();
    run_in_mode(PRV_S, read_tselect, 0);
    check("triggers.s_mode_illegal", mtrap.cause, CAUSE_ILLEGAL);
    return check_report();
}
