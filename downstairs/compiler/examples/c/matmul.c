/* The C twin of examples/matmul.py. */
#include "bench_rt.h"
#define M 32
static int32_t a[M][M], b[M][M], c[M][M];

__attribute__((noinline)) static void matmul(void) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            int32_t s = 0;
            for (int k = 0; k < M; k++) s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

int main(void) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            a[i][j] = (int32_t)(i * 7 + j) - 100;
            b[i][j] = (int32_t)(i ^ j) * 3 - 40;
        }
    uint64_t start = instret();
    matmul();
    uint64_t stop = instret();
    uint32_t h = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) h = h * 31 + (uint32_t)c[i][j];
    put_hex(h, 8);
    putc_('\n');
    report(start, stop);
    return 0;
}
