/* The reference for the F and D tests: a Linux user program that QEMU's qemu-riscv64
 * runs, so each operation is computed by QEMU's own softfloat (IEEE 754, RISC-V flavour).
 *
 * stdin: records of {u32 op, u32 rm, u64 a, u64 b, u64 c}; stdout: {u64 result, u64 fflags}
 * per record. op = 2 * index + (1 for double, 0 for single), index as in fpref.py's OPS.
 * Operands enter the f registers as raw 64-bit patterns (fmv.d.x), so a single that is not
 * NaN-boxed reaches the instruction as such; FP results leave as all 64 bits (fmv.x.d).
 * The rounding mode is set in frm and every instruction uses the dynamic mode.
 * Built with -nostdlib: Linux system calls by ecall (read 63, write 64, exit 93). */

typedef unsigned long u64;
typedef unsigned int u32;

struct in { u32 op, rm; u64 a, b, c; };
struct out { u64 r, fl; };

static long sys3(long n, long a0, long a1, long a2)
{
    register long x17 asm("a7") = n;
    register long x10 asm("a0") = a0;
    register long x11 asm("a1") = a1;
    register long x12 asm("a2") = a2;
    asm volatile("ecall" : "+r"(x10) : "r"(x17), "r"(x11), "r"(x12) : "memory");
    return x10;
}

#define PRE "fsrm %[rm]\n\tfmv.d.x ft0,%[a]\n\tfmv.d.x ft1,%[b]\n\tfmv.d.x ft2,%[c]\n\tfsflags zero\n\t"
#define IN [rm]"r"(rm), [a]"r"(a), [b]"r"(b), [c]"r"(c)
/* an FP result in ft3 */
#define F(insn) asm volatile(PRE insn "\n\tfrflags %[fl]\n\tfmv.x.d %[r],ft3" \
    : [r]"=&r"(r), [fl]"=&r"(fl) : IN : "ft0", "ft1", "ft2", "ft3")
/* an integer result written straight to %[r] */
#define X(insn) asm volatile(PRE insn "\n\tfrflags %[fl]" \
    : [r]"=&r"(r), [fl]"=&r"(fl) : IN : "ft0", "ft1", "ft2", "ft3")

#define BOTH(i, s_code, d_code) case 2 * (i): s_code; break; case 2 * (i) + 1: d_code; break;

static void one(struct in *p, struct out *o)
{
    u64 r = 0, fl = 0, a = p->a, b = p->b, c = p->c, rm = p->rm;
    switch (p->op) {
    BOTH(0, F("fadd.s ft3,ft0,ft1,dyn"), F("fadd.d ft3,ft0,ft1,dyn"))
    BOTH(1, F("fsub.s ft3,ft0,ft1,dyn"), F("fsub.d ft3,ft0,ft1,dyn"))
    BOTH(2, F("fmul.s ft3,ft0,ft1,dyn"), F("fmul.d ft3,ft0,ft1,dyn"))
    BOTH(3, F("fdiv.s ft3,ft0,ft1,dyn"), F("fdiv.d ft3,ft0,ft1,dyn"))
    BOTH(4, F("fsqrt.s ft3,ft0,dyn"), F("fsqrt.d ft3,ft0,dyn"))
    BOTH(5, F("fmadd.s ft3,ft0,ft1,ft2,dyn"), F("fmadd.d ft3,ft0,ft1,ft2,dyn"))
    BOTH(6, F("fmsub.s ft3,ft0,ft1,ft2,dyn"), F("fmsub.d ft3,ft0,ft1,ft2,dyn"))
    BOTH(7, F("fnmsub.s ft3,ft0,ft1,ft2,dyn"), F("fnmsub.d ft3,ft0,ft1,ft2,dyn"))
    BOTH(8, F("fnmadd.s ft3,ft0,ft1,ft2,dyn"), F("fnmadd.d ft3,ft0,ft1,ft2,dyn"))
    BOTH(9, F("fmin.s ft3,ft0,ft1"), F("fmin.d ft3,ft0,ft1"))
    BOTH(10, F("fmax.s ft3,ft0,ft1"), F("fmax.d ft3,ft0,ft1"))
    BOTH(11, X("feq.s %[r],ft0,ft1"), X("feq.d %[r],ft0,ft1"))
    BOTH(12, X("flt.s %[r],ft0,ft1"), X("flt.d %[r],ft0,ft1"))
    BOTH(13, X("fle.s %[r],ft0,ft1"), X("fle.d %[r],ft0,ft1"))
    BOTH(14, X("fclass.s %[r],ft0"), X("fclass.d %[r],ft0"))
    BOTH(15, F("fsgnj.s ft3,ft0,ft1"), F("fsgnj.d ft3,ft0,ft1"))
    BOTH(16, F("fsgnjn.s ft3,ft0,ft1"), F("fsgnjn.d ft3,ft0,ft1"))
    BOTH(17, F("fsgnjx.s ft3,ft0,ft1"), F("fsgnjx.d ft3,ft0,ft1"))
    BOTH(18, X("fcvt.w.s %[r],ft0,dyn"), X("fcvt.w.d %[r],ft0,dyn"))
    BOTH(19, X("fcvt.wu.s %[r],ft0,dyn"), X("fcvt.wu.d %[r],ft0,dyn"))
    BOTH(20, X("fcvt.l.s %[r],ft0,dyn"), X("fcvt.l.d %[r],ft0,dyn"))
    BOTH(21, X("fcvt.lu.s %[r],ft0,dyn"), X("fcvt.lu.d %[r],ft0,dyn"))
    BOTH(22, F("fcvt.s.w ft3,%[a],dyn"), F("fcvt.d.w ft3,%[a]"))
    BOTH(23, F("fcvt.s.wu ft3,%[a],dyn"), F("fcvt.d.wu ft3,%[a]"))
    BOTH(24, F("fcvt.s.l ft3,%[a],dyn"), F("fcvt.d.l ft3,%[a],dyn"))
    BOTH(25, F("fcvt.s.lu ft3,%[a],dyn"), F("fcvt.d.lu ft3,%[a],dyn"))
    BOTH(26, F("fcvt.s.d ft3,ft0,dyn"), F("fcvt.d.s ft3,ft0"))
    BOTH(27, X("fmv.x.w %[r],ft0"), X("fmv.x.d %[r],ft0"))
    default: r = ~0UL; fl = ~0UL;
    }
    o->r = r;
    o->fl = fl;
}

#define CHUNK 2048
static struct in ins[CHUNK];
static struct out outs[CHUNK];

static long fill(char *buf, long want)
{
    long got = 0, n;
    while (got < want && (n = sys3(63, 0, (long)(buf + got), want - got)) > 0)
        got += n;
    return got;
}

void _start(void)
{
    long n, i;
    while ((n = fill((char *)ins, sizeof ins) / (long)sizeof(struct in)) > 0) {
        for (i = 0; i < n; i++)
            one(&ins[i], &outs[i]);
        sys3(64, 1, (long)outs, n * (long)sizeof(struct out));
    }
    sys3(93, 0, 0, 0);
}
