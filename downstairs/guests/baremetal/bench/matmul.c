/* matmul.c (benchmark): C = A x B for 160 x 160 matrices of 32-bit integers (entries below
 * 2^16, products summed modulo 2^32): 4 M multiply-adds in the i-k-j order.
 * Checksum: sum of C[i][j] * (160*i + j + 1) modulo 2^64, as a Python model computes it. */
#include "bench.h"

#ifdef BENCH_SMALL                 /* the small size, for slow emulators */
#define N 40
#define EXPECTED 0xa0797c6ca0161ul
#else
#define N 160
#define EXPECTED 0x9c86b062d5cb723ul
#endif
static u32 a[N][N], b[N][N], c[N][N];

int main(void)
{
    struct lcg g = {3};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = lcg_next(&g) & 0xffff;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            b[i][j] = lcg_next(&g) & 0xffff;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            u32 x = a[i][k];
            for (int j = 0; j < N; j++)
                c[i][j] += x * b[k][j];
        }
    }
    u64 sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += (u64)c[i][j] * (u64)(i * N + j + 1);
    return bench_report("matmul", sum, EXPECTED);
}
