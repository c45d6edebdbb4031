/* The C twin of examples/crc32.py. */
#include "bench_rt.h"
#define SIZE 8192
static uint32_t table[256];
static uint8_t data[SIZE];

static void make_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
}

__attribute__((noinline)) static uint32_t crc32(uint64_t length) {
    uint32_t crc = 0xFFFFFFFFu;
    for (uint64_t i = 0; i < length; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

int main(void) {
    uint32_t seed = 1;
    for (int i = 0; i < SIZE; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (uint8_t)(seed >> 16);
    }
    make_table();
    uint64_t start = instret();
    uint32_t crc = crc32(SIZE);
    uint64_t stop = instret();
    put_hex(crc, 8);
    putc_('\n');
    report(start, stop);
    return 0;
}
