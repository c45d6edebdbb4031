/* C side of the interop test: calls compiled Python (placed at 0x80100000) and is called back. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define TEST ((volatile uint32_t *)0x100000)

uint64_t weighted_sum(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
uint64_t scaled_total(uint64_t);
int64_t narrow(uint32_t, int64_t);
struct triple { uint32_t a, b, c; };
struct wide { uint64_t x, y; };
struct big { uint64_t v[4]; uint64_t n; };
struct triple make_triple(uint32_t, uint32_t);
struct wide make_wide(uint64_t);
struct big make_big(uint64_t, uint64_t);

uint64_t c_scale(uint64_t x, uint64_t factor) { return x * factor; }

static void put_u64(uint64_t n) {
    char d[24];
    int k = 0;
    do { d[k++] = (char)('0' + n % 10); n /= 10; } while (n);
    while (k) { while (!(UART[5] & 0x20)) {} UART[0] = (uint8_t)d[--k]; }
    while (!(UART[5] & 0x20)) {}
    UART[0] = '\n';
}

int main(void) {
    put_u64(weighted_sum(1, 2, 3, 4, 5, 6, 7, 8));
    put_u64(scaled_total(10));
    put_u64((uint64_t)narrow(0xFFFFFFFFu, 5));
    struct triple t = make_triple(0x1234, 0xFF00FF);   /* psABI: a struct result of <= 16 bytes in a0, a1 */
    put_u64(t.a); put_u64(t.b); put_u64(t.c);
    struct wide w = make_wide(7);
    put_u64(w.x); put_u64(w.y);
    struct big b = make_big(100, 11);                 /* > 16 bytes: through the address in a0 */
    put_u64(b.v[0]); put_u64(b.v[3]); put_u64(b.n);
    *TEST = 0x5555;
    for (;;) {}
}
