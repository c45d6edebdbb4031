/* What the C reference programs need from QEMU's virt board: UART output, instret, exit. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define TEST ((volatile uint32_t *)0x100000)

static void putc_(uint8_t c) {
    while ((UART[5] & 0x20) == 0) {}
    UART[0] = c;
}

static void puts_(const char *s) {
    while (*s) putc_((uint8_t)*s++);
}

static void put_u64(uint64_t n) {
    char d[24];
    int k = 0;
    do { d[k++] = (char)('0' + n % 10); n /= 10; } while (n);
    while (k) putc_((uint8_t)d[--k]);
}

static void put_hex(uint64_t n, int width) {
    for (int k = 0; k < width; k++) {
        int nib = (int)((n >> ((width - 1 - k) * 4)) & 15);
        putc_((uint8_t)(nib < 10 ? '0' + nib : 'a' + nib - 10));
    }
}

static inline uint64_t instret(void) {
    uint64_t v;
    __asm__ volatile(".insn i 0x73, 2, %0, x0, -1278" : "=r"(v));   /* csrr minstret (0xB02) */
    return v;
}

static void report(uint64_t start, uint64_t stop) {
    puts_("instret ");
    put_u64(stop - start);
    putc_('\n');
    *TEST = 0x5555;
    for (;;) {}
}
