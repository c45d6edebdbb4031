/* strscan.c (benchmark): string scans, as a parser or `grep -c` makes them: a 256 KiB buffer
 * holds NUL-terminated lowercase words (1 to 32 letters, generated); each pass walks every
 * word with strlen and counts one letter in it with a strchr-style loop, 24 passes, each
 * pass looking for the next letter.  Inner loops of four to six instructions: load a byte,
 * test it, step, branch.
 * Checksum: the total of the lengths times 2^32 plus the total count; the expected value
 * from a Python model of the same computation. */
#include "bench.h"

#ifdef BENCH_SMALL                 /* the small size, for slow emulators */
#define SIZE (16 * 1024)
#define PASSES 3
#define EXPECTED 0xb511000006c2ul
#else
#define SIZE (256 * 1024)
#define PASSES 24
#define EXPECTED 0x5a7de800037a1eul
#endif
static char text[SIZE];

static u64 length(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return p - s;
}

static u64 count(const char *s, char c)
{
    u64 n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

int main(void)
{
    struct lcg g = {1};
    u64 i = 0;
    while (i + 34 < SIZE) {                      /* words of 1-32 letters, each ended by NUL */
        u32 len = 1 + lcg_next(&g) % 32;
        for (u32 k = 0; k < len; k++)
            text[i++] = (char)('a' + lcg_next(&g) % 26);
        text[i++] = 0;
    }
    u64 end = i, lengths = 0, found = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        for (i = 0; i < end; ) {
            u64 n = length(text + i);
            lengths += n;
            found += count(text + i, (char)('a' + pass % 26));
            i += n + 1;
        }
    }
    return bench_report("strscan", (lengths << 32) + found, EXPECTED);
}
