/* bench.h: shared by the benchmark programs: a deterministic input generator and the
 * checksum report.
 *
 * Inputs come from a 64-bit linear congruential generator (Knuth's MMIX constants), taking
 * the top 31 bits.  Each benchmark prints its checksum and compares it with the value a
 * Python model of the same computation gave, so a wrong emulator shows up as FAIL and exit
 * status 1.
 */
#ifndef BENCH_H
#define BENCH_H
#include "bare.h"

struct lcg { u64 x; };

static inline u32 lcg_next(struct lcg *g)
{
    g->x = g->x * 6364136223846793005ul + 1442695040888963407ul;
    return (u32)(g->x >> 33);
}

static inline int bench_report(const char *name, u64 checksum, u64 expected)
{
    printf("%s checksum 0x%lx\n", name, checksum);
    check(name, checksum, expected);
    return check_report();
}

#endif
