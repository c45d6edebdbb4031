/* qsort.c (benchmark): quicksort of 300,000 generated 31-bit numbers (Hoare partition around
 * the middle element, recursing into the smaller side, insertion sort below 16 elements).
 * Branchy compare-and-swap code with data-dependent branches.
 * Checksum: sum of a[i] * (i + 1) modulo 2^64 over the sorted array (Python's sorted()). */
#include "bench.h"

#ifdef BENCH_SMALL                 /* the small size, for slow emulators */
#define N 10000
#define EXPECTED 0xfcdae836e309ecul
#else
#define N 300000
#define EXPECTED 0x7db151f41d45079eul
#endif
static u32 a[N];

static void insertion_sort(u32 *v, long n)
{
    for (long i = 1; i < n; i++) {
        u32 x = v[i];
        long j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void quicksort(u32 *v, long n)
{
    while (n > 16) {
        u32 pivot = v[n / 2];
        long i = -1, j = n;
        for (;;) {
            do i++; while (v[i] < pivot);
            do j--; while (v[j] > pivot);
            if (i >= j)
                break;
            u32 t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        long left = j + 1;          /* v[0..j] <= pivot <= v[j+1..n-1] */
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    insertion_sort(v, n);
}

int main(void)
{
    struct lcg g = {2};
    for (long i = 0; i < N; i++)
        a[i] = lcg_next(&g);
    quicksort(a, N);
    u64 sum = 0;
    for (long i = 0; i < N; i++)
        sum += (u64)a[i] * (u64)(i + 1);
    return bench_report("qsort", sum, EXPECTED);
}
