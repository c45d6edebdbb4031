/* trap.S: trap entry and exit for M- and S-mode, and the mode-switch helpers.
 *
 * On entry the handler swaps sp with mscratch (sscratch for S), which holds the top of a
 * dedicated trap stack, so a trap taken with a bad or virtual sp is still handled.  All 31
 * registers, the cause, epc, tval and status are saved in a `struct frame` (bare.h) that the
 * C handler may change; the exit path writes epc and status back and returns with mret/sret.
 * Traps inside the handler are not supported.
 *
 * mtvec modes (privileged spec 3.1.7): direct mode sends every trap to m_trap_entry;
 * vectored mode (mtvec = m_vector_table | 1) sends exceptions to slot 0 and interrupt
 * cause N to slot N (base + 4*N).  Each slot records its number in frame.vector.
 */
#define SYS_DONE 0x444f4e45           /* as in bare.h: "return from run_in_mode" */
#define FRAME 304                       /* sizeof(struct frame) in bare.h */
#define F_CAUSE 256
#define F_EPC 264
#define F_TVAL 272
#define F_STATUS 280
#define F_VECTOR 288

/* Save everything except sp and t0 (the entry stubs save t0 and put the slot in it). */
.macro SAVE_REST scratch, cause, epc, tval, status
    sd      x1, 1*8(sp)
    sd      x3, 3*8(sp)
    sd      x4, 4*8(sp)
    sd      x6, 6*8(sp)
    sd      x7, 7*8(sp)
    sd      x8, 8*8(sp)
    sd      x9, 9*8(sp)
    sd      x10, 10*8(sp)
    sd      x11, 11*8(sp)
    sd      x12, 12*8(sp)
    sd      x13, 13*8(sp)
    sd      x14, 14*8(sp)
    sd      x15, 15*8(sp)
    sd      x16, 16*8(sp)
    sd      x17, 17*8(sp)
    sd      x18, 18*8(sp)
    sd      x19, 19*8(sp)
    sd      x20, 20*8(sp)
    sd      x21, 21*8(sp)
    sd      x22, 22*8(sp)
    sd      x23, 23*8(sp)
    sd      x24, 24*8(sp)
    sd      x25, 25*8(sp)
    sd      x26, 26*8(sp)
    sd      x27, 27*8(sp)
    sd      x28, 28*8(sp)
    sd      x29, 29*8(sp)
    sd      x30, 30*8(sp)
    sd      x31, 31*8(sp)
    sd      t0, F_VECTOR(sp)
    csrr    t1, \scratch            /* the interrupted sp */
    sd      t1, 2*8(sp)
    csrr    t1, \cause
    sd      t1, F_CAUSE(sp)
    csrr    t1, \epc
    sd      t1, F_EPC(sp)
    csrr    t1, \tval
    sd      t1, F_TVAL(sp)
    csrr    t1, \status
    sd      t1, F_STATUS(sp)
.endm

.macro RESTORE_ALL scratch, epc, status
    ld      t1, F_EPC(sp)
    csrw    \epc, t1
    ld      t1, F_STATUS(sp)
    csrw    \status, t1
    addi    t1, sp, FRAME
    csrw    \scratch, t1            /* the trap stack is empty again */
    ld      x1, 1*8(sp)
    ld      x3, 3*8(sp)
    ld      x4, 4*8(sp)
    ld      x5, 5*8(sp)
    ld      x6, 6*8(sp)
    ld      x7, 7*8(sp)
    ld      x8, 8*8(sp)
    ld      x9, 9*8(sp)
    ld      x10, 10*8(sp)
    ld      x11, 11*8(sp)
    ld      x12, 12*8(sp)
    ld      x13, 13*8(sp)
    ld      x14, 14*8(sp)
    ld      x15, 15*8(sp)
    ld      x16, 16*8(sp)
    ld      x17, 17*8(sp)
    ld      x18, 18*8(sp)
    ld      x19, 19*8(sp)
    ld      x20, 20*8(sp)
    ld      x21, 21*8(sp)
    ld      x22, 22*8(sp)
    ld      x23, 23*8(sp)
    ld      x24, 24*8(sp)
    ld      x25, 25*8(sp)
    ld      x26, 26*8(sp)
    ld      x27, 27*8(sp)
    ld      x28, 28*8(sp)
    ld      x29, 29*8(sp)
    ld      x30, 30*8(sp)
    ld      x31, 31*8(sp)
    ld      x2, 2*8(sp)             /* last: the interrupted sp */
.endm

.macro ENTRY_STUB scratch, slot, common
    csrrw   sp, \scratch, sp
    addi    sp, sp, -FRAME
    sd      t0, 5*8(sp)
    li      t0, \slot
    j       \common
.endm

    .text
    .option push
    .option norvc                   /* vector slots must be exactly 4 bytes */

    .balign 256
    .globl m_vector_table
m_vector_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    j       m_vec_\n
    .endr

    .balign 4
    .globl m_trap_entry
m_trap_entry:
    ENTRY_STUB mscratch, -1, m_trap_common

    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
m_vec_\n:
    ENTRY_STUB mscratch, \n, m_trap_common
    .endr

m_trap_common:
    SAVE_REST mscratch, mcause, mepc, mtval, mstatus
    mv      a0, sp
    call    m_trap_handler
    RESTORE_ALL mscratch, mepc, mstatus
    mret

    .balign 4
    .globl s_trap_entry
s_trap_entry:
    ENTRY_STUB sscratch, -1, s_trap_common
s_trap_common:
    SAVE_REST sscratch, scause, sepc, stval, sstatus
    mv      a0, sp
    call    s_trap_handler
    RESTORE_ALL sscratch, sepc, sstatus
    sret
    .option pop

/* long run_in_mode(int mode, long (*fn)(long), long arg)
 * Saves the callee-saved registers, then mret's into `mode` at mode_trampoline, which
 * calls fn(arg) and ecalls SYS_DONE with the result in a0.  The M handler (trap.c) then
 * returns to run_in_mode_resume in M-mode with sp = m_saved_sp. */
    .globl run_in_mode
run_in_mode:
    addi    sp, sp, -112
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    sd      s7, 64(sp)
    sd      s8, 72(sp)
    sd      s9, 80(sp)
    sd      s10, 88(sp)
    sd      s11, 96(sp)
    la      t0, m_saved_sp
    sd      sp, 0(t0)
    li      t0, (3 << 11) | (1 << 7)    /* clear MPP and MPIE */
    csrc    mstatus, t0
    andi    a0, a0, 3
    slli    a0, a0, 11
    csrs    mstatus, a0                 /* MPP = mode */
    la      t0, mode_trampoline
    csrw    mepc, t0
    mret

mode_trampoline:                        /* a1 = fn, a2 = arg, running in the lower mode */
    mv      a0, a2
    jalr    a1
    li      a7, SYS_DONE
    ecall
1:  j       1b

    .globl run_in_mode_resume
run_in_mode_resume:                     /* back in M-mode, a0 = result */
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    ld      s4, 40(sp)
    ld      s5, 48(sp)
    ld      s6, 56(sp)
    ld      s7, 64(sp)
    ld      s8, 72(sp)
    ld      s9, 80(sp)
    ld      s10, 88(sp)
    ld      s11, 96(sp)
    addi    sp, sp, 112
    ret

/* long s_run_in_user(long (*fn)(long), long arg): the same from S-mode with sret. */
    .globl s_run_in_user
s_run_in_user:
    addi    sp, sp, -112
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    sd      s7, 64(sp)
    sd      s8, 72(sp)
    sd      s9, 80(sp)
    sd      s10, 88(sp)
    sd      s11, 96(sp)
    la      t0, s_saved_sp
    sd      sp, 0(t0)
    li      t0, (1 << 8) | (1 << 5)     /* SPP = U, SPIE = 0 */
    csrc    sstatus, t0
    mv      a2, a1
    mv      a1, a0
    la      t0, mode_trampoline
    csrw    sepc, t0
    sret

    .globl s_run_in_user_resume
s_run_in_user_resume:
    j       run_in_mode_resume
