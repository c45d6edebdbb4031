/* The C twin of examples/sieve.py. */
#include "bench_rt.h"
#define N 16384
static uint8_t flags[N];

__attribute__((noinline)) static uint64_t sieve(void) {
    uint64_t count = 0;
    for (long i = 0; i < N; i++) flags[i] = 1;
    for (long i = 2; i < N; i++) {
        if (flags[i] != 0) {
            count++;
            for (long j = i + i; j < N; j += i) flags[j] = 0;
        }
    }
    return count;
}

int main(void) {
    uint64_t start = instret();
    uint64_t count = sieve();
    uint64_t stop = instret();
    put_u64(count);
    putc_('\n');
    report(start, stop);
    return 0;
}
