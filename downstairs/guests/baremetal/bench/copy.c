/* copy.c (benchmark): byte-at-a-time copies, as strcpy and a naive memmove make them: a
 * 64 KiB pool of NUL-terminated strings (1 to 64 bytes, generated) is copied string by
 * string into a second buffer with a strcpy loop, then moved back one byte at a time
 * from the end (an overlapping memmove, shifted by 3), 80 times.  Inner loops of four to
 * six instructions: load a byte, store it, step both pointers, branch.
 * Checksum: an FNV-1a-style fold of both buffers (64-bit), the expected value from a
 * Python model of the same computation. */
#include "bench.h"

#ifdef BENCH_SMALL                 /* the small size, for slow emulators */
#define SIZE (8 * 1024)
#define PASSES 4
#define EXPECTED 0x65ff5d574e2f7890ul
#else
#define SIZE (64 * 1024)
#define PASSES 80
#define EXPECTED 0x9827eed586bf15dul
#endif
static char pool[SIZE + 8];
static char out[SIZE + 8];

static char *copy_string(char *d, const char *s)
{
    while ((*d++ = *s++) != 0)
        ;
    return d;
}

static void move_back(char *d, const char *s, u64 n)   /* d > s: copy from the end */
{
    while (n--)
        d[n] = s[n];
}

int main(void)
{
    struct lcg g = {1};
    u64 i = 0;
    while (i + 66 < SIZE) {                      /* strings of 1-64 non-zero bytes */
        u32 len = 1 + lcg_next(&g) % 64;
        for (u32 k = 0; k < len; k++)
            pool[i++] = (char)(1 + lcg_next(&g) % 255);
        pool[i++] = 0;
    }
    u64 end = i;
    for (int pass = 0; pass < PASSES; pass++) {
        char *d = out;
        for (i = 0; i < end; ) {
            char *next = copy_string(d, pool + i);
            i += next - d;
            d = next;
        }
        move_back(pool + 3, out, end - 3);
        pool[end - 1] = 0;                       /* keep the pool's last string ended */
        for (u64 k = 0; k < 3; k++)
            pool[k] = (char)(1 + (pass + k) % 255);
    }
    u64 h = 0xcbf29ce484222325ul;
    for (i = 0; i < SIZE; i++) {
        h ^= (u8)pool[i] ^ ((u64)(u8)out[i] << 8);
        h *= 0x100000001b3ul;
    }
    return bench_report("copy", h, EXPECTED);
}
