/* sieve.c (benchmark): the sieve of Eratosthenes over 0..3,999,999, one byte per number.
 * Mostly byte stores with a stride and a counting loop; about 60 M instructions.
 * Checksum: the count of primes (283146) times 2^40 plus the low 40 bits of their sum;
 * the expected value comes from a Python sieve. */
#include "bench.h"

#ifdef BENCH_SMALL                 /* the small size, for slow emulators: 0..99,999 */
#define N 100000
#define EXPECTED ((9592ul << 40) | 0x1b158a79ul)
#else
#define N 4000000
#define EXPECTED ((283146ul << 40) | 0x7ec6d3bbe5ul)
#endif
static u8 composite[N];

int main(void)
{
    for (u64 i = 0; i < N; i++)
        composite[i] = 0;
    composite[0] = composite[1] = 1;
    for (u64 i = 2; i * i < N; i++)
        if (!composite[i])
            for (u64 j = i * i; j < N; j += i)
                composite[j] = 1;
    u64 count = 0, sum = 0;
    for (u64 i = 0; i < N; i++)
        if (!composite[i]) {
            count++;
            sum += i;
        }
    return bench_report("sieve", (count << 40) | (sum & ((1ul << 40) - 1)), EXPECTED);
}
