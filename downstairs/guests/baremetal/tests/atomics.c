/* atomics.c: the A extension (unprivileged spec chapter 8): LR/SC and every AMO.
 *
 * Each AMO case runs one instruction on a doubleword in memory and checks both results:
 * rd gets the old memory value (sign-extended from 32 bits for the .w forms) and memory
 * gets op(old, rs2); a .w AMO leaves the upper word alone.  Expected values were computed
 * independently (in Python).  LR/SC: an SC after a matching LR succeeds (rd = 0) and stores;
 * an SC with no reservation, or to another address than the LR's, fails (rd != 0) and
 * leaves memory unchanged.
 */
#include "bare.h"

enum { AMO_SWAP_W, AMO_ADD_W, AMO_XOR_W, AMO_AND_W, AMO_OR_W, AMO_MIN_W, AMO_MAX_W, AMO_MINU_W, AMO_MAXU_W, AMO_SWAP_D, AMO_ADD_D, AMO_XOR_D, AMO_AND_D, AMO_OR_D, AMO_MIN_D, AMO_MAX_D, AMO_MINU_D, AMO_MAXU_D };

struct amo_case {
    const char *name;
    int code;
    u64 memory, operand, old, after;
};

static const struct amo_case cases[] = {
    {"amoswap.w#0", AMO_SWAP_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000000000fful},
    {"amoswap.w#1", AMO_SWAP_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffeul},
    {"amoswap.w#2", AMO_SWAP_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x12345678ul},
    {"amoadd.w#0", AMO_ADD_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000000000eful},
    {"amoadd.w#1", AMO_ADD_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffful},
    {"amoadd.w#2", AMO_ADD_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x92345722ul},
    {"amoxor.w#0", AMO_XOR_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000ffffff0ful},
    {"amoxor.w#1", AMO_XOR_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffful},
    {"amoxor.w#2", AMO_XOR_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x923456d2ul},
    {"amoand.w#0", AMO_AND_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000000000f0ul},
    {"amoand.w#1", AMO_AND_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7fffffff00000000ul},
    {"amoand.w#2", AMO_AND_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x28ul},
    {"amoor.w#0", AMO_OR_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000fffffffful},
    {"amoor.w#1", AMO_OR_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffful},
    {"amoor.w#2", AMO_OR_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x923456faul},
    {"amomin.w#0", AMO_MIN_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000fffffff0ul},
    {"amomin.w#1", AMO_MIN_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffeul},
    {"amomin.w#2", AMO_MIN_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x800000aaul},
    {"amomax.w#0", AMO_MAX_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000000000fful},
    {"amomax.w#1", AMO_MAX_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7fffffff00000001ul},
    {"amomax.w#2", AMO_MAX_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x12345678ul},
    {"amominu.w#0", AMO_MINU_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000000000fful},
    {"amominu.w#1", AMO_MINU_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7fffffff00000001ul},
    {"amominu.w#2", AMO_MINU_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x12345678ul},
    {"amomaxu.w#0", AMO_MAXU_W, 0x80000000fffffff0ul, 0xfful, 0xfffffffffffffff0ul, 0x80000000fffffff0ul},
    {"amomaxu.w#1", AMO_MAXU_W, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x1ul, 0x7ffffffffffffffeul},
    {"amomaxu.w#2", AMO_MAXU_W, 0x800000aaul, 0x12345678ul, 0xffffffff800000aaul, 0x800000aaul},
    {"amoswap.d#0", AMO_SWAP_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0xfful},
    {"amoswap.d#1", AMO_SWAP_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0xfffffffffffffffeul},
    {"amoswap.d#2", AMO_SWAP_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x12345678ul},
    {"amoadd.d#0", AMO_ADD_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0x80000001000000eful},
    {"amoadd.d#1", AMO_ADD_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0x7ffffffefffffffful},
    {"amoadd.d#2", AMO_ADD_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x92345722ul},
    {"amoxor.d#0", AMO_XOR_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0x80000000ffffff0ful},
    {"amoxor.d#1", AMO_XOR_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0x80000000fffffffful},
    {"amoxor.d#2", AMO_XOR_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x923456d2ul},
    {"amoand.d#0", AMO_AND_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0xf0ul},
    {"amoand.d#1", AMO_AND_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0x7fffffff00000000ul},
    {"amoand.d#2", AMO_AND_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x28ul},
    {"amoor.d#0", AMO_OR_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0x80000000fffffffful},
    {"amoor.d#1", AMO_OR_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0xfffffffffffffffful},
    {"amoor.d#2", AMO_OR_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x923456faul},
    {"amomin.d#0", AMO_MIN_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0x80000000fffffff0ul},
    {"amomin.d#1", AMO_MIN_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0xfffffffffffffffeul},
    {"amomin.d#2", AMO_MIN_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x12345678ul},
    {"amomax.d#0", AMO_MAX_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0xfful},
    {"amomax.d#1", AMO_MAX_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0x7fffffff00000001ul},
    {"amomax.d#2", AMO_MAX_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x800000aaul},
    {"amominu.d#0", AMO_MINU_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0xfful},
    {"amominu.d#1", AMO_MINU_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0x7fffffff00000001ul},
    {"amominu.d#2", AMO_MINU_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x12345678ul},
    {"amomaxu.d#0", AMO_MAXU_D, 0x80000000fffffff0ul, 0xfful, 0x80000000fffffff0ul, 0x80000000fffffff0ul},
    {"amomaxu.d#1", AMO_MAXU_D, 0x7fffffff00000001ul, 0xfffffffffffffffeul, 0x7fffffff00000001ul, 0xfffffffffffffffeul},
    {"amomaxu.d#2", AMO_MAXU_D, 0x800000aaul, 0x12345678ul, 0x800000aaul, 0x800000aaul},
};

static volatile u64 cell[4] __attribute__((aligned(16)));

#define AMO(insn) asm volatile(insn " %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory")

static u64 run(int code, u64 p, u64 v)
{
    u64 r = 0;
    switch (code) {
    case AMO_SWAP_W: AMO("amoswap.w"); break;
    case AMO_ADD_W: AMO("amoadd.w"); break;
    case AMO_XOR_W: AMO("amoxor.w"); break;
    case AMO_AND_W: AMO("amoand.w"); break;
    case AMO_OR_W: AMO("amoor.w"); break;
    case AMO_MIN_W: AMO("amomin.w"); break;
    case AMO_MAX_W: AMO("amomax.w"); break;
    case AMO_MINU_W: AMO("amominu.w"); break;
    case AMO_MAXU_W: AMO("amomaxu.w"); break;
    case AMO_SWAP_D: AMO("amoswap.d"); break;
    case AMO_ADD_D: AMO("amoadd.d"); break;
    case AMO_XOR_D: AMO("amoxor.d"); break;
    case AMO_AND_D: AMO("amoand.d"); break;
    case AMO_OR_D: AMO("amoor.d"); break;
    case AMO_MIN_D: AMO("amomin.d"); break;
    case AMO_MAX_D: AMO("amomax.d"); break;
    case AMO_MINU_D: AMO("amominu.d"); break;
    case AMO_MAXU_D: AMO("amomaxu.d"); break;
    }
    return r;
}

static char name[48];

static const char *suffix(const char *base, const char *tail)
{
    int n = 0;
    while (*base)
        name[n++] = *base++;
    while (*tail)
        name[n++] = *tail++;
    name[n] = 0;
    return name;
}

int main(void)
{
    u64 p = (u64)&cell[0];
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cell[0] = cases[i].memory;
        u64 old = run(cases[i].code, p, cases[i].operand);
        check(suffix(cases[i].name, ".rd"), old, cases[i].old);
        check(suffix(cases[i].name, ".mem"), cell[0], cases[i].after);
    }

    /* AMO with rd = x0 still updates memory */
    cell[0] = 40;
    asm volatile("amoadd.d x0, %1, (%0)" :: "r"(p), "r"(2ul) : "memory");
    check("atomics.amoadd_rd_x0", cell[0], 42);

    u64 value, fail;
    /* LR/SC success */
    cell[0] = 0x1111;
    asm volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)" : "=&r"(value), "=&r"(fail) : "r"(p), "r"(0x2222ul) : "memory");
    check("atomics.lr_d_value", value, 0x1111);
    check("atomics.sc_d_success", fail, 0);
    check("atomics.sc_d_stored", cell[0], 0x2222);

    /* A second SC: the reservation was used up */
    asm volatile("sc.d %0, %2, (%1)" : "=&r"(fail) : "r"(p), "r"(0x3333ul) : "memory");
    check("atomics.sc_d_again_fails", fail != 0, 1);
    check("atomics.sc_d_again_unchanged", cell[0], 0x2222);

    /* SC to a different address than the LR's fails */
    cell[2] = 0x4444;
    asm volatile("lr.d %0, (%2)\n sc.d %1, %4, (%3)" : "=&r"(value), "=&r"(fail) : "r"(p), "r"(p + 16), "r"(0x5555ul) : "memory");
    check("atomics.sc_other_addr_fails", fail != 0, 1);
    check("atomics.sc_other_addr_unchanged", cell[2], 0x4444);
    asm volatile("sc.d %0, %2, (%1)" : "=&r"(fail) : "r"(p), "r"(0ul) : "memory");   /* drop any reservation */

    /* LR.W sign-extends; SC.W stores 32 bits */
    cell[0] = 0x12345678fedcba98ul;
    asm volatile("lr.w %0, (%2)\n sc.w %1, %3, (%2)" : "=&r"(value), "=&r"(fail) : "r"(p), "r"(0xaaaaaaaa01020304ul) : "memory");
    check("atomics.lr_w_sext", value, 0xfffffffffedcba98ul);
    check("atomics.sc_w_success", fail, 0);
    check("atomics.sc_w_stored", cell[0], 0x1234567801020304ul);

    /* a retry loop built from LR/SC, as compilers emit for compare-and-swap */
    cell[0] = 7;
    u64 expected = 7, desired = 9, seen;
    asm volatile("1: lr.d.aq %0, (%2)\n"
                 "   bne %0, %3, 2f\n"
                 "   sc.d.rl %1, %4, (%2)\n"
                 "   bnez %1, 1b\n"
                 "2:"
                 : "=&r"(seen), "=&r"(fail) : "r"(p), "r"(expected), "r"(desired) : "memory");
    check("atomics.cas_loop_seen", seen, 7);
    check("atomics.cas_loop_stored", cell[0], 9);
    return check_report();
}
