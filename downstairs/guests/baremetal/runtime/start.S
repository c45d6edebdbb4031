/* start.S: the first instructions a bare-metal guest runs, at 0x80000000.
 *
 * Both QEMU boards (virt and spike) with `-bios none -kernel prog.elf` load the ELF at its
 * link addresses and start hart 0 in M-mode at the start of RAM (0x80000000), by way of a
 * few instructions in the boot ROM at 0x1000 that put mhartid in a0 and the device tree
 * address in a1.  We ignore both: the programs know their board.
 *
 * Sets up: gp (for gp-relative data), the stack, mscratch/sscratch pointing at the top of
 * the M and S trap stacks (trap.S swaps sp with them on entry), mtvec, a zeroed .bss.
 * Then runtime_main() (crt.c) runs main() and exit()s with its result.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrr    t0, mhartid
    bnez    t0, park                /* only hart 0 runs the program */
    la      sp, __stack_top
    la      t0, __mtrap_stack_top
    csrw    mscratch, t0
    la      t0, __strap_stack_top
    csrw    sscratch, t0
    la      t0, m_trap_entry
    csrw    mtvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  call    runtime_main
    call    exit
park:                               /* every other hart: counted, then asleep for good */
    la      t0, harts_parked
    li      t1, 1
    amoadd.w zero, t1, (t0)
1:  wfi
    j       1b

/* How many harts have reached park: in .data, not .bss, since a hart may count itself
 * before hart 0 has zeroed .bss.  A program that needs the others asleep first (debuggee.c,
 * under gdb) waits for it. */
    .section .data
    .globl  harts_parked
    .balign 4
harts_parked:
    .word   0
