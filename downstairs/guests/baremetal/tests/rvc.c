/* rvc.c: the C extension (unprivileged spec chapter 16, "Compressed Instructions").
 *
 * Every compressed instruction form is written out explicitly (c.* mnemonics), so the test
 * does not depend on what gcc chooses; the rest of the program is compiled for rv64imac and is
 * itself mostly compressed code.  Expected values follow from the spec's expansion of each
 * instruction (e.g. c.lui's 6-bit immediate is sign-extended from bit 17, c.addiw sign-extends
 * its 32-bit result, c.addi4spn scales its immediate by 4, c.jalr links pc + 2).
 */
#include "bare.h"

#define C1(asmtext, in) ({ u64 __r = (in); asm volatile(asmtext : "+r"(__r)); __r; })

static u64 buffer[4] = {0x1122334455667788ul, 0x99aabbccddeeff00ul, 0, 0};

int main(void)
{
    u64 r, s;
    asm volatile("c.li %0, -32" : "=r"(r));
    check("rvc.c_li_neg", r, 0xffffffffffffffe0ul);
    asm volatile("c.lui %0, 0x1f" : "=r"(r));
    check("rvc.c_lui_pos", r, 0x1f000);
    asm volatile("c.lui %0, 0xfffe0" : "=r"(r));
    check("rvc.c_lui_neg", r, 0xfffffffffffe0000ul);
    check("rvc.c_addi", C1("c.addi %0, -1", 0), 0xfffffffffffffffful);
    check("rvc.c_addiw_wrap", C1("c.addiw %0, 1", 0x7ffffffful), 0xffffffff80000000ul);
    check("rvc.c_addiw_sext", C1("c.addiw %0, 0", 0x1234567880000000ul), 0xffffffff80000000ul);
    check("rvc.c_slli_63", C1("c.slli %0, 63", 1), 0x8000000000000000ul);
    /* c.srli/c.srai/c.andi take only x8-x15: use s0/s1 explicitly */
    asm volatile("mv s0, %1\n c.srli s0, 36\n mv %0, s0" : "=r"(r) : "r"(0xf000000000000000ul) : "s0");
    check("rvc.c_srli_36", r, 0xf000000);
    asm volatile("mv s0, %1\n c.srai s0, 60\n mv %0, s0" : "=r"(r) : "r"(0x8000000000000000ul) : "s0");
    check("rvc.c_srai_60", r, 0xfffffffffffffff8ul);
    asm volatile("mv s0, %1\n c.andi s0, -8\n mv %0, s0" : "=r"(r) : "r"(0xfffful) : "s0");
    check("rvc.c_andi_neg", r, 0xfff8);
    asm volatile("mv s0, %1\n mv s1, %2\n c.sub s0, s1\n mv %0, s0" : "=r"(r) : "r"(5ul), "r"(7ul) : "s0", "s1");
    check("rvc.c_sub", r, 0xfffffffffffffffeul);
    asm volatile("mv s0, %1\n mv s1, %2\n c.xor s0, s1\n mv %0, s0" : "=r"(r) : "r"(0xff00ul), "r"(0x0ff0ul) : "s0", "s1");
    check("rvc.c_xor", r, 0xf0f0);
    asm volatile("mv s0, %1\n mv s1, %2\n c.or s0, s1\n mv %0, s0" : "=r"(r) : "r"(0xff00ul), "r"(0x0ff0ul) : "s0", "s1");
    check("rvc.c_or", r, 0xfff0);
    asm volatile("mv s0, %1\n mv s1, %2\n c.and s0, s1\n mv %0, s0" : "=r"(r) : "r"(0xff00ul), "r"(0x0ff0ul) : "s0", "s1");
    check("rvc.c_and", r, 0x0f00);
    asm volatile("mv s0, %1\n mv s1, %2\n c.subw s0, s1\n mv %0, s0" : "=r"(r) : "r"(0x100000000ul), "r"(1ul) : "s0", "s1");
    check("rvc.c_subw", r, 0xfffffffffffffffful);
    asm volatile("mv s0, %1\n mv s1, %2\n c.addw s0, s1\n mv %0, s0" : "=r"(r) : "r"(0x7ffffffful), "r"(0x100000001ul) : "s0", "s1");
    check("rvc.c_addw", r, 0xffffffff80000000ul);
    asm volatile("c.mv %0, %1" : "=r"(r) : "r"(0x1234ul));
    check("rvc.c_mv", r, 0x1234);
    check("rvc.c_add", C1("c.add %0, %0", 0x4000000000000001ul), 0x8000000000000002ul);

    /* loads and stores, register-based (x8-x15) */
    asm volatile("mv s0, %1\n c.ld s1, 8(s0)\n mv %0, s1" : "=r"(r) : "r"(buffer) : "s0", "s1", "memory");
    check("rvc.c_ld", r, 0x99aabbccddeeff00ul);
    asm volatile("mv s0, %1\n c.lw s1, 4(s0)\n mv %0, s1" : "=r"(r) : "r"(buffer) : "s0", "s1", "memory");
    check("rvc.c_lw_sext", r, 0x11223344);
    asm volatile("mv s0, %1\n c.lw s1, 12(s0)\n mv %0, s1" : "=r"(r) : "r"(buffer) : "s0", "s1", "memory");
    check("rvc.c_lw_sext_neg", r, 0xffffffff99aabbccul);
    asm volatile("mv s0, %0\n mv s1, %1\n c.sd s1, 16(s0)\n c.sw s1, 28(s0)" :: "r"(buffer), "r"(0x0102030405060708ul) : "s0", "s1", "memory");
    check("rvc.c_sd", buffer[2], 0x0102030405060708ul);
    check("rvc.c_sw", buffer[3], 0x0506070800000000ul);

    /* stack-pointer forms: make room, store, load back, undo */
    asm volatile("c.addi16sp sp, -64\n"
                 "c.sdsp %2, 56(sp)\n"
                 "c.swsp %2, 8(sp)\n"
                 "c.ldsp %0, 56(sp)\n"
                 "c.lwsp %1, 8(sp)\n"
                 "c.addi16sp sp, 64"
                 : "=&r"(r), "=&r"(s) : "r"(0xcafef00d87654321ul) : "memory");
    check("rvc.c_sdsp_ldsp", r, 0xcafef00d87654321ul);
    check("rvc.c_swsp_lwsp", s, 0xffffffff87654321ul);
    asm volatile("mv s1, sp\n c.addi4spn s0, sp, 1020\n sub %0, s0, s1" : "=r"(r) :: "s0", "s1");
    check("rvc.c_addi4spn", r, 1020);

    /* control flow */
    asm volatile("li %0, 1\n c.j 1f\n li %0, 2\n1:" : "=&r"(r));
    check("rvc.c_j", r, 1);
    asm volatile("li %0, 0\n li s0, 0\n c.beqz s0, 1f\n li %0, 5\n1: addi %0, %0, 1" : "=&r"(r) :: "s0");
    check("rvc.c_beqz_taken", r, 1);
    asm volatile("li %0, 0\n li s0, 3\n c.bnez s0, 1f\n li %0, 5\n1: addi %0, %0, 1" : "=&r"(r) :: "s0");
    check("rvc.c_bnez_taken", r, 1);
    asm volatile("li %0, 0\n li s0, 3\n c.beqz s0, 1f\n li %0, 5\n1: addi %0, %0, 1" : "=&r"(r) :: "s0");
    check("rvc.c_beqz_not_taken", r, 6);
    asm volatile("la t0, 1f\n li %0, 1\n c.jr t0\n li %0, 2\n1:" : "=&r"(r) :: "t0");
    check("rvc.c_jr", r, 1);
    /* c.jalr links the address of the next instruction: pc + 2 */
    asm volatile("la t0, 1f\n"
                 "la t1, 2f\n"
                 "2: c.jalr t0\n"
                 "1: sub %0, ra, t1"
                 : "=r"(r) :: "t0", "t1", "ra");
    check("rvc.c_jalr_link", r, 2);
    /* a 32-bit instruction at an address that is only 2-byte aligned */
    asm volatile(".balign 4\n c.nop\n li %0, 0x12345\n" : "=r"(r));
    check("rvc.unaligned_32bit", r, 0x12345);

    /* c.ebreak: a breakpoint exception on a 2-byte instruction; the handler steps 2 bytes */
    trap_reset();
    u64 at;
    asm volatile("la %0, 1f\n 1: c.ebreak" : "=r"(at) :: "memory");
    check("rvc.c_ebreak_cause", mtrap.cause, CAUSE_BREAKPOINT);
    check("rvc.c_ebreak_epc", mtrap.epc, at);
    /* the all-zero halfword is defined to be illegal; mtval holds the instruction bits (0) */
    trap_reset();
    asm volatile("la %0, 1f\n 1: .half 0" : "=r"(at) :: "memory");
    check("rvc.zero_illegal_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("rvc.zero_illegal_epc", mtrap.epc, at);
    check("rvc.zero_illegal_tval", mtrap.tval, 0);
    /* c.addi4spn with a zero immediate is reserved: 0x0004 is illegal, tval = 0x0004 */
    trap_reset();
    asm volatile(".half 0x0004" ::: "memory");
    check("rvc.reserved_addi4spn_cause", mtrap.cause, CAUSE_ILLEGAL);
    check("rvc.reserved_addi4spn_tval", mtrap.tval, 4);
    return check_report();
}
