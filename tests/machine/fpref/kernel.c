/* Ordinary compiled floating-point code for the F and D tests: gcc -O2 -fno-math-errno
 * -march=rv64gc -mabi=lp64d chooses the instructions (loads and stores, compressed c.fld/c.fsd, fused
 * multiply-adds, conversions, compares, sign injections, fmv). kernel() leaves its results
 * as 64-bit words in out[]; the test runs it on QEMU (user mode, -DUSER) and on the hart
 * (bare metal) and compares the words. */

typedef unsigned long u64;

static u64 bits(double x) { union { double d; u64 u; } v = { x }; return v.u; }
static u64 fbits(float x) { union { float f; unsigned u; } v = { x }; return v.u; }

static double fmin_d(double a, double b) { double r; asm("fmin.d %0,%1,%2" : "=f"(r) : "f"(a), "f"(b)); return r; }
static double fmax_d(double a, double b) { double r; asm("fmax.d %0,%1,%2" : "=f"(r) : "f"(a), "f"(b)); return r; }

static double newton_sqrt(double x)
{
    double r = x > 1 ? x / 2 : 1;
    for (int i = 0; i < 30; i++)
        r = 0.5 * (r + x / r);
    return r;
}

static int mandel(double cr, double ci)
{
    double zr = 0, zi = 0;
    int n = 0;
    while (n < 60 && zr * zr + zi * zi < 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n++;
    }
    return n;
}

static float dotf(const float *a, const float *b, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s = __builtin_fmaf(a[i], b[i], s);
    return s;
}

void kernel(u64 *out)
{
    float va[16], vb[16];
    double h = 0, acc = 0;
    long sum = 0;
    int k = 0;
    for (int i = 0; i < 16; i++) {
        va[i] = (float)i / 7.0f - 1.0f;
        vb[i] = 1.0f / (float)(i + 1);
    }
    for (int i = 1; i <= 200; i++)
        h += 1.0 / i;                                   /* harmonic number */
    for (int y = -6; y <= 6; y++)
        for (int x = -10; x <= 4; x++)
            sum += mandel(x / 5.0, y / 5.0);
    for (int i = 0; i < 50; i++) {
        double v = (i - 25) * 1.37e5;
        acc += (long)v + (unsigned)(v < 0 ? -v : v) + (int)(float)v;
        acc = __builtin_copysign(acc, v) + fmin_d(v, acc) - fmax_d(-v, 1e-300);
    }
    out[k++] = bits(h);
    out[k++] = bits(newton_sqrt(2.0));
    out[k++] = bits(newton_sqrt(1e-310));                /* subnormal */
    out[k++] = (u64)sum;
    out[k++] = fbits(dotf(va, vb, 16));
    out[k++] = bits(acc);
    out[k++] = bits(__builtin_sqrt(h)) ^ fbits(__builtin_sqrtf((float)h));
    out[k++] = (u64)(long)(h * 1e15) ^ (u64)(unsigned long)(float)(h * 1e9);
    out[k++] = (h < acc) | (h <= 3.0) << 1 | (h == h) << 2 | (__builtin_isnan(acc / 0.0 * 0.0)) << 3;
    out[k++] = bits((double)(float)(1.0 / 3.0)) ^ bits(__builtin_fabs(-acc));
    unsigned long fl;
    asm volatile("frflags %0" : "=r"(fl));
    out[k++] = fl;
}

#ifdef USER
static u64 result[11];
void _start(void)
{
    kernel(result);
    register long a7 asm("a7") = 64, a0 asm("a0") = 1, a1 asm("a1") = (long)result, a2 asm("a2") = sizeof result;
    asm volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    register long b7 asm("a7") = 93, b0 asm("a0") = 0;
    asm volatile("ecall" : : "r"(b7), "r"(b0));
}
#else
/* bare metal: a stack, out[] at DATA, then ebreak (the test parks M-mode traps) */
asm(".pushsection .text.start, \"ax\"\n.globl _start\n_start:\n"
    "\tli sp, 0x80300000\n\tli a0, 0x80002000\n\tcall kernel\n\tebreak\n.popsection\n");
#endif
