/* arith.c: RV64IM integer arithmetic edge cases (unprivileged spec chapters 2, 5 and 7).
 *
 * Each register-register case runs exactly one instruction (inline asm, so gcc cannot fold
 * it) and compares with a value computed independently (in Python, from the spec's rules):
 * division by zero gives all ones and the remainder gives the dividend; the overflow
 * INT_MIN / -1 gives INT_MIN and remainder 0; mulh/mulhsu/mulhu give the upper 64 bits of
 * the signed x signed, signed x unsigned and unsigned x unsigned products; shifts use only
 * the low 6 (or, for *W, 5) bits of the amount; every *W result is sign-extended from 32 bits.
 */
#include "bare.h"

enum { OP_ADDW, OP_DIV, OP_DIVU, OP_DIVUW, OP_DIVW, OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_MULW, OP_REM, OP_REMU, OP_REMUW, OP_REMW, OP_SLL, OP_SLLW, OP_SLT, OP_SLTU, OP_SRA, OP_SRAW, OP_SRL, OP_SRLW, OP_SUBW };

struct rr_case {
    const char *op;
    int code;
    u64 a, b, expected;
};

static const struct rr_case cases[] = {
    {"div", OP_DIV, 0xfffffffffffffff9ul, 0x2ul, 0xfffffffffffffffdul},
    {"rem", OP_REM, 0xfffffffffffffff9ul, 0x2ul, 0xfffffffffffffffful},
    {"div", OP_DIV, 0x7ul, 0xfffffffffffffffeul, 0xfffffffffffffffdul},
    {"rem", OP_REM, 0x7ul, 0xfffffffffffffffeul, 0x1ul},
    {"div", OP_DIV, 0x3039ul, 0x0ul, 0xfffffffffffffffful},
    {"rem", OP_REM, 0xffffffffffffcfc7ul, 0x0ul, 0xffffffffffffcfc7ul},
    {"divu", OP_DIVU, 0x3039ul, 0x0ul, 0xfffffffffffffffful},
    {"remu", OP_REMU, 0x3039ul, 0x0ul, 0x3039ul},
    {"div", OP_DIV, 0x8000000000000000ul, 0xfffffffffffffffful, 0x8000000000000000ul},
    {"rem", OP_REM, 0x8000000000000000ul, 0xfffffffffffffffful, 0x0ul},
    {"divu", OP_DIVU, 0xfffffffffffffffful, 0x3ul, 0x5555555555555555ul},
    {"remu", OP_REMU, 0xfffffffffffffffful, 0xaul, 0x5ul},
    {"divw", OP_DIVW, 0x80000000ul, 0xfffffffffffffffful, 0xffffffff80000000ul},
    {"remw", OP_REMW, 0x80000000ul, 0xfffffffffffffffful, 0x0ul},
    {"divw", OP_DIVW, 0x1234500000007ul, 0x0ul, 0xfffffffffffffffful},
    {"remw", OP_REMW, 0x1234580000007ul, 0x0ul, 0xffffffff80000007ul},
    {"divw", OP_DIVW, 0xfffffffffffffffeul, 0x2ul, 0xfffffffffffffffful},
    {"divuw", OP_DIVUW, 0x500000005ul, 0x0ul, 0xfffffffffffffffful},
    {"remuw", OP_REMUW, 0x180000000ul, 0x0ul, 0xffffffff80000000ul},
    {"divuw", OP_DIVUW, 0xfffffffful, 0x2ul, 0x7ffffffful},
    {"remuw", OP_REMUW, 0x1fffffffdul, 0x7ul, 0x1ul},
    {"mul", OP_MUL, 0x123456789abcdef0ul, 0xfedcba987654321ul, 0x2236d88fe5618cf0ul},
    {"mulh", OP_MULH, 0xfffffffffffffffful, 0xfffffffffffffffful, 0x0ul},
    {"mulhu", OP_MULHU, 0xfffffffffffffffful, 0xfffffffffffffffful, 0xfffffffffffffffeul},
    {"mulhsu", OP_MULHSU, 0xfffffffffffffffful, 0xfffffffffffffffful, 0xfffffffffffffffful},
    {"mulh", OP_MULH, 0x8000000000000000ul, 0x8000000000000000ul, 0x4000000000000000ul},
    {"mulhsu", OP_MULHSU, 0x8000000000000000ul, 0x2ul, 0xfffffffffffffffful},
    {"mulhu", OP_MULHU, 0x123456789abcdef0ul, 0xfedcba987654321ul, 0x121fa00ad77d742ul},
    {"mulh", OP_MULH, 0x123456789abcdef0ul, 0xf0123456789abcdful, 0xfede05ff528828bdul},
    {"mulhsu", OP_MULHSU, 0xedcba98765432110ul, 0xfedcba9876543210ul, 0xede05ff528828bddul},
    {"mulw", OP_MULW, 0x7ffffffful, 0x2ul, 0xfffffffffffffffeul},
    {"mulw", OP_MULW, 0x123456789ul, 0x987654321ul, 0xffffffffce1833a9ul},
    {"sll", OP_SLL, 0x1ul, 0x43ul, 0x8ul},
    {"srl", OP_SRL, 0xfffffffffffffffful, 0x7ful, 0x1ul},
    {"sra", OP_SRA, 0x8000000000000000ul, 0x3ful, 0xfffffffffffffffful},
    {"sra", OP_SRA, 0x8000000000000000ul, 0x44ul, 0xf800000000000000ul},
    {"sllw", OP_SLLW, 0x1ul, 0x1ful, 0xffffffff80000000ul},
    {"sllw", OP_SLLW, 0x1ul, 0x21ul, 0x2ul},
    {"srlw", OP_SRLW, 0xffffffff80000000ul, 0x0ul, 0xffffffff80000000ul},
    {"srlw", OP_SRLW, 0xffffffff80000000ul, 0x1ul, 0x40000000ul},
    {"sraw", OP_SRAW, 0x80000000ul, 0x4ul, 0xfffffffff8000000ul},
    {"sraw", OP_SRAW, 0x7fffffff12345678ul, 0x24ul, 0x1234567ul},
    {"addw", OP_ADDW, 0x7ffffffful, 0x1ul, 0xffffffff80000000ul},
    {"subw", OP_SUBW, 0x0ul, 0x80000000ul, 0xffffffff80000000ul},
    {"addw", OP_ADDW, 0xffffffff00000005ul, 0x100000003ul, 0x8ul},
    {"slt", OP_SLT, 0xfffffffffffffffful, 0x0ul, 0x1ul},
    {"sltu", OP_SLTU, 0xfffffffffffffffful, 0x0ul, 0x0ul},
    {"slt", OP_SLT, 0x0ul, 0xfffffffffffffffful, 0x0ul},
    {"sltu", OP_SLTU, 0x0ul, 0xfffffffffffffffful, 0x1ul},
};

#define RR(insn) asm volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b))

static u64 run(int code, u64 a, u64 b)
{
    u64 r = 0;
    switch (code) {
    case OP_ADDW: RR("addw"); break;
    case OP_DIV: RR("div"); break;
    case OP_DIVU: RR("divu"); break;
    case OP_DIVUW: RR("divuw"); break;
    case OP_DIVW: RR("divw"); break;
    case OP_MUL: RR("mul"); break;
    case OP_MULH: RR("mulh"); break;
    case OP_MULHSU: RR("mulhsu"); break;
    case OP_MULHU: RR("mulhu"); break;
    case OP_MULW: RR("mulw"); break;
    case OP_REM: RR("rem"); break;
    case OP_REMU: RR("remu"); break;
    case OP_REMUW: RR("remuw"); break;
    case OP_REMW: RR("remw"); break;
    case OP_SLL: RR("sll"); break;
    case OP_SLLW: RR("sllw"); break;
    case OP_SLT: RR("slt"); break;
    case OP_SLTU: RR("sltu"); break;
    case OP_SRA: RR("sra"); break;
    case OP_SRAW: RR("sraw"); break;
    case OP_SRL: RR("srl"); break;
    case OP_SRLW: RR("srlw"); break;
    case OP_SUBW: RR("subw"); break;
    }
    return r;
}

static char name[64];

static const char *case_name(const char *op, int i)
{
    const char *prefix = "arith.";
    int n = 0;
    while (*prefix)
        name[n++] = *prefix++;
    while (*op)
        name[n++] = *op++;
    name[n++] = '#';
    if (i >= 10)
        name[n++] = '0' + i / 10;
    name[n++] = '0' + i % 10;
    name[n] = 0;
    return name;
}

#define RI(insn, a, imm) ({ u64 __r; asm volatile(insn " %0, %1, %2" : "=r"(__r) : "r"((u64)(a)), "i"(imm)); __r; })

static u64 bytes[2] = {0x8000ff80fedcba98ul, 0x0123456789abcdeful};

int main(void)
{
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(case_name(cases[i].op, i), run(cases[i].code, cases[i].a, cases[i].b), cases[i].expected);

    /* immediates are 12-bit signed; shift amounts are 6 bits (5 for *W) */
    check("arith.addi_neg", RI("addi", 5, -2048), 0xfffffffffffff805ul);
    check("arith.addiw_wrap", RI("addiw", 0x7ffffffful, 1), 0xffffffff80000000ul);
    check("arith.addiw_sext", RI("addiw", 0x12345678fffffff0ul, 0), 0xfffffffffffffff0ul);
    check("arith.sltiu_neg1", RI("sltiu", 5, -1), 1);
    check("arith.slti_neg", RI("slti", 5, -1), 0);
    check("arith.andi_neg", RI("andi", 0x123456789abcdef0ul, -16), 0x123456789abcdef0ul);
    check("arith.xori_neg1", RI("xori", 0x123456789abcdef0ul, -1), 0xedcba9876543210ful);
    check("arith.slli_63", RI("slli", 3, 63), 0x8000000000000000ul);
    check("arith.srli_63", RI("srli", 0x8000000000000000ul, 63), 1);
    check("arith.srai_40", RI("srai", 0x8000000000000000ul, 40), 0xffffffffff800000ul);
    check("arith.slliw_31", RI("slliw", 3, 31), 0xffffffff80000000ul);
    check("arith.srliw_0", RI("srliw", 0x00000000fffffffful, 0), 0xfffffffffffffffful);
    check("arith.srliw_4", RI("srliw", 0xffffffff87654321ul, 4), 0x0000000008765432ul);
    check("arith.sraiw_31", RI("sraiw", 0x0000000080000000ul, 31), 0xfffffffffffffffful);

    u64 r;
    asm volatile("lui %0, 0x80000" : "=r"(r));
    check("arith.lui_sext", r, 0xffffffff80000000ul);
    asm volatile("lui %0, 0x7ffff" : "=r"(r));
    check("arith.lui_pos", r, 0x7ffff000ul);

    /* loads: sign- and zero-extension of each width (little-endian) */
    u64 p = (u64)bytes;
    asm volatile("lb %0, 0(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lb", r, 0xffffffffffffff98ul);
    asm volatile("lbu %0, 0(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lbu", r, 0x98);
    asm volatile("lh %0, 2(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lh", r, 0xfffffffffffffedcul);
    asm volatile("lhu %0, 2(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lhu", r, 0xfedc);
    asm volatile("lw %0, 4(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lw", r, 0xffffffff8000ff80ul);
    asm volatile("lwu %0, 4(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.lwu", r, 0x8000ff80ul);
    asm volatile("ld %0, 8(%1)" : "=r"(r) : "r"(p) : "memory");
    check("arith.ld", r, 0x0123456789abcdeful);
    /* a store writes only its own bytes */
    asm volatile("sh %1, 10(%0)" :: "r"(p), "r"(0xaaaabbbbccccddddul) : "memory");
    check("arith.sh", bytes[1], 0x01234567ddddcdeful);
    asm volatile("sb %1, 15(%0)" :: "r"(p), "r"(0x55ul) : "memory");
    check("arith.sb", bytes[1], 0x55234567ddddcdeful);

    /* branches compare signed or unsigned */
    u64 taken;
    asm volatile("li %0, 1\n blt %1, %2, 1f\n li %0, 0\n1:" : "=&r"(taken) : "r"(-1l), "r"(1l));
    check("arith.blt_signed", taken, 1);
    asm volatile("li %0, 1\n bltu %1, %2, 1f\n li %0, 0\n1:" : "=&r"(taken) : "r"(-1l), "r"(1l));
    check("arith.bltu_unsigned", taken, 0);
    asm volatile("li %0, 1\n bge %1, %2, 1f\n li %0, 0\n1:" : "=&r"(taken) : "r"(-5l), "r"(-5l));
    check("arith.bge_equal", taken, 1);

    /* x0 ignores writes */
    asm volatile("li x0, 5\n mv %0, x0" : "=r"(r));
    check("arith.x0_zero", r, 0);
    return check_report();
}
