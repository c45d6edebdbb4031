/* fencei.c: self-modifying code and FENCE.I (unprivileged spec chapter 3, "Zifencei").
 *
 * The program writes instructions into a buffer, executes fence.i, and calls them; then
 * rewrites the same buffer and calls it again.  An emulator that caches decoded instructions
 * must drop them when the memory changes (or at fence.i at the latest): a stale cache shows
 * up as the old result.  Covers 32-bit and compressed instructions, and many rewrites of one
 * spot.
 */
#include "bare.h"

static u32 code[64] __attribute__((aligned(64)));

static u32 addi_a0(int imm)                 /* addi a0, zero, imm (I-type, opcode 0x13) */
{
    return ((u32)(imm & 0xfff) << 20) | (10u << 7) | 0x13;
}

#define RET 0x00008067u                     /* jalr zero, 0(ra) */
#define C_LI_A0_9 0x4525u                   /* c.li a0, 9 */
#define C_JR_RA 0x8082u                     /* c.jr ra */

static long call(void *p)
{
    return ((long (*)(void))p)();
}

int main(void)
{
    code[0] = addi_a0(77);
    code[1] = RET;
    fence_i();
    check("fencei.first", call(code), 77);
    code[0] = addi_a0(-99);
    fence_i();
    check("fencei.rewritten", call(code), (u64)-99l);

    /* 200 rewrites of the same instruction, each followed by fence.i and a call */
    long sum = 0;
    for (int i = 0; i < 200; i++) {
        code[0] = addi_a0(i * 7 - 300);
        fence_i();
        sum += call(code);
    }
    check("fencei.many_rewrites", sum, 79300);    /* sum of 7i - 300 for i < 200 */

    /* compressed instructions written as halfwords */
    u16 *half = (u16 *)&code[8];
    half[0] = C_LI_A0_9;
    half[1] = C_JR_RA;
    fence_i();
    check("fencei.compressed", call(half), 9);
    /* a 32-bit instruction at a 2-byte aligned address, then a compressed return */
    half[0] = 0x0001;                               /* c.nop */
    half[1] = addi_a0(1234) & 0xffff;
    half[2] = addi_a0(1234) >> 16;
    half[3] = C_JR_RA;
    fence_i();
    check("fencei.mixed_alignment", call(half), 1234);

    /* change the second instruction of a sequence that has already run */
    code[16] = addi_a0(5);
    code[17] = 0x00a50513;                          /* addi a0, a0, 10 */
    code[18] = RET;
    fence_i();
    check("fencei.sequence", call(&code[16]), 15);
    code[17] = 0x00151513;                          /* slli a0, a0, 1 */
    fence_i();
    check("fencei.sequence_changed", call(&code[16]), 10);
    return check_report();
}
