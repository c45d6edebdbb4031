/* bitmanip.c: the B extension, Zba Zbb Zbc Zbs (RISC-V bit-manipulation spec 1.0.0).
 *
 * Known answers for every instruction, worked out by hand from the spec's definitions, at
 * the edges each one has: the .uw forms ignore the index's high word, counts of an all-zero
 * value are the width, rotates by 0 and by the width, min/max signed against unsigned,
 * carry-less products whose bits reach the top, single-bit operations on bit 63. Then the
 * reserved encodings around them raise illegal-instruction with the word in mtval, and misa
 * says what QEMU 7.2's says (B has no misa bit there: the device tree names the extensions).
 * Built with -march=..._zba_zbb_zbc_zbs (build.py's MARCH), so gcc may use them too.
 *
 * Not checked: ctzw of a value whose low word is zero and high word is not (the spec says
 * 32; QEMU 7.2 says the 64-bit count), tests/machine/test_bitmanip.py checks it on ours.
 */
#include "bare.h"

#define R(mnemonic, a, b) ({ u64 __r; asm volatile(mnemonic " %0, %1, %2" : "=r"(__r) : "r"((u64)(a)), "r"((u64)(b))); __r; })
#define U(mnemonic, a) ({ u64 __r; asm volatile(mnemonic " %0, %1" : "=r"(__r) : "r"((u64)(a))); __r; })
#define I(mnemonic, a, n) ({ u64 __r; asm volatile(mnemonic " %0, %1, %2" : "=r"(__r) : "r"((u64)(a)), "i"(n)); __r; })

#define ALL (~0ul)
#define MIN64 (1ul << 63)

static void zba(void)
{
    check("zba.add_uw", R("add.uw", 0xffffffff00000005ul, 0x10), 0x15);
    check("zba.sh1add", R("sh1add", 3, 100), 106);
    check("zba.sh2add", R("sh2add", ALL, 0), ALL - 3);
    check("zba.sh3add", R("sh3add", 5, 0x80000000ul), 0x80000028ul);
    check("zba.sh1add_uw", R("sh1add.uw", 0x1ffffffffful, 1), 0x1ffffffff);
    check("zba.sh2add_uw", R("sh2add.uw", 0xabcd00000001ul, 0), 4);
    check("zba.sh3add_uw", R("sh3add.uw", 0x80000000ul, 1), 0x400000001ul);
    check("zba.slli_uw", I("slli.uw", 0xffffffff80000001ul, 4), 0x800000010ul);
    check("zba.slli_uw_63", I("slli.uw", 0x00000000ffffffff, 63), MIN64);
}

static void zbb(void)
{
    check("zbb.andn", R("andn", 0xff00ff00ff00ff00ul, 0xf0f0f0f0f0f0f0f0ul), 0x0f000f000f000f00ul);
    check("zbb.orn", R("orn", 0, 0xfffffffffffffffeul), 1);
    check("zbb.xnor", R("xnor", 0x1234, 0x1234), ALL);
    check("zbb.clz_0", U("clz", 0), 64);
    check("zbb.clz_1", U("clz", 1), 63);
    check("zbb.clz_top", U("clz", MIN64), 0);
    check("zbb.clzw_0", U("clzw", 0xffffffff00000000ul), 32);
    check("zbb.clzw_1", U("clzw", 0x0000000000010000ul), 15);
    check("zbb.ctz_0", U("ctz", 0), 64);
    check("zbb.ctz_top", U("ctz", MIN64), 63);
    check("zbb.ctzw", U("ctzw", 0x8000000000000100ul), 8);
    check("zbb.ctzw_0", U("ctzw", 0), 32);
    check("zbb.cpop", U("cpop", 0xf0f0f0f0f0f0f0f1ul), 33);
    check("zbb.cpop_all", U("cpop", ALL), 64);
    check("zbb.cpopw", U("cpopw", 0xffffffff00000007ul), 3);
    check("zbb.max", R("max", MIN64, 1), 1);
    check("zbb.maxu", R("maxu", MIN64, 1), MIN64);
    check("zbb.min", R("min", MIN64, 1), MIN64);
    check("zbb.minu", R("minu", MIN64, 1), 1);
    check("zbb.min_equal", R("min", 5, 5), 5);
    check("zbb.sext_b", U("sext.b", 0x1234567f), 0x7f);
    check("zbb.sext_b_neg", U("sext.b", 0x80), 0xffffffffffffff80ul);
    check("zbb.sext_h", U("sext.h", 0xabcd8001), 0xffffffffffff8001ul);
    check("zbb.zext_h", U("zext.h", ALL), 0xffff);
    check("zbb.rol", R("rol", 0x8000000000000001ul, 4), 0x18);
    check("zbb.rol_by_64", R("rol", 0x1234, 64), 0x1234);
    check("zbb.ror", R("ror", 0x18, 4), 0x8000000000000001ul);
    check("zbb.rori", I("rori", 0x00000000000000ffu, 8), 0xff00000000000000ul);
    check("zbb.rori_0", I("rori", 0xabc, 0), 0xabc);
    check("zbb.rolw", R("rolw", 0x40000000, 1), 0xffffffff80000000ul);
    check("zbb.rorw", R("rorw", 0xffffffff00000002ul, 1), 1);
    check("zbb.roriw", I("roriw", 0x00000000000000f0ul, 4), 0xf);
    check("zbb.roriw_sign", I("roriw", 1, 1), 0xffffffff80000000ul);
    check("zbb.orc_b", U("orc.b", 0x0080000100000200ul), 0x00ff00ff0000ff00ul);
    check("zbb.rev8", U("rev8", 0x0123456789abcdeful), 0xefcdab8967452301ul);
}

static void zbc(void)
{
    check("zbc.clmul", R("clmul", 0b1011, 0b0110), 0b111010);
    check("zbc.clmul_wrap", R("clmul", MIN64 | 1, 3), 0x8000000000000003ul);
    check("zbc.clmulh", R("clmulh", MIN64 | 1, 3), 1);
    check("zbc.clmulh_all", R("clmulh", ALL, ALL), 0x5555555555555555ul);
    check("zbc.clmul_all", R("clmul", ALL, ALL), 0x5555555555555555ul);
    check("zbc.clmulr", R("clmulr", MIN64, MIN64), MIN64);
    check("zbc.clmulr_low", R("clmulr", 1, 1), 0);
    check("zbc.clmulr_all", R("clmulr", ALL, ALL), 0xaaaaaaaaaaaaaaaaul);
}

static void zbs(void)
{
    check("zbs.bclr", R("bclr", ALL, 63), ALL >> 1);
    check("zbs.bclr_mod", R("bclr", ALL, 64 + 1), ALL - 2);
    check("zbs.bclri", I("bclri", 0x10, 4), 0);
    check("zbs.bext", R("bext", MIN64, 63), 1);
    check("zbs.bext_zero", R("bext", MIN64, 62), 0);
    check("zbs.bexti", I("bexti", 0x100, 8), 1);
    check("zbs.binv", R("binv", 0, 0), 1);
    check("zbs.binvi", I("binvi", ALL, 63), ALL >> 1);
    check("zbs.bset", R("bset", 0, 32), 0x100000000ul);
    check("zbs.bseti", I("bseti", 1, 1), 3);
}

/* Encodings next to B's that stay reserved: an illegal-instruction trap with the word */
static const u32 reserved[] = {
    0x0a0583b3,     /* OP funct7 0000101 funct3 000 */
    0x40c5b533,     /* OP funct7 0100000 funct3 011 */
    0x60c5a533,     /* OP funct7 0110000 funct3 010 */
    0x60359513,     /* OP-IMM funct3 001 imm 0x603 */
    0x6985d513,     /* rev8's RV32 encoding */
    0x0815c5bb,     /* packw (Zbkb, not B): OP-32 0000100 100 with rs2 = 1 */
    0x6035951b,     /* OP-IMM-32 funct3 001 imm 0x603 */
};

static void reserved_encodings(void)
{
    static u32 code[2] __attribute__((aligned(8)));
    for (unsigned i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        code[0] = reserved[i];
        code[1] = 0x00008067;                        /* ret */
        fence_i();
        trap_reset();
        ((void (*)(void))code)();
        check("reserved.traps", mtrap.count, 1);
        check("reserved.illegal", mtrap.cause, CAUSE_ILLEGAL);
        check("reserved.tval", mtrap.tval, reserved[i]);
    }
}

int main(void)
{
    zba();
    zbb();
    zbc();
    zbs();
    reserved_encodings();
    u64 misa = csr_read(misa);
    check("misa.no_b_bit", (misa >> 1) & 1, 0);      /* as QEMU 7.2: B is named in the DT */
    return check_report();
}
