/* lib.c: the few C library functions the guest programs use (console, exit, memory, checks). */
#include "bare.h"

int checks_passed, checks_failed;

int putchar(int c)
{
    putchar_raw(c);
    return c;
}

void print(const char *s)
{
    while (*s)
        putchar_raw(*s++);
}

int puts(const char *s)
{
    print(s);
    putchar_raw('\n');
    return 0;
}

static void print_unsigned(u64 v, unsigned base, int width)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width)
        buf[n++] = '0';
    while (n)
        putchar_raw(buf[--n]);
}

/* printf: %s %c %d %u %x %p %%; 'l' and 'll' select 64 bits; a width like %016lx pads with 0. */
void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putchar_raw(*fmt);
            continue;
        }
        fmt++;
        int width = 0, longs = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 's':
            print(va_arg(ap, const char *));
            break;
        case 'c':
            putchar_raw(va_arg(ap, int));
            break;
        case 'd': {
            i64 v = longs ? va_arg(ap, i64) : va_arg(ap, int);
            if (v < 0) {
                putchar_raw('-');
                print_unsigned(-(u64)v, 10, width);
            } else {
                print_unsigned(v, 10, width);
            }
            break;
        }
        case 'u':
            print_unsigned(longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, width);
            break;
        case 'x':
            print_unsigned(longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, width);
            break;
        case 'p':
            print("0x");
            print_unsigned((u64)va_arg(ap, void *), 16, 16);
            break;
        case '%':
            putchar_raw('%');
            break;
        default:
            putchar_raw('?');
            return;
        }
    }
    va_end(ap);
}

void exit(int code)
{
    board_exit(code);
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

void check(const char *name, u64 got, u64 expected)
{
    if (got == expected) {
        checks_passed++;
        printf("PASS %s\n", name);
    } else {
        checks_failed++;
        printf("FAIL %s: got 0x%lx expected 0x%lx\n", name, got, expected);
    }
}

int check_report(void)
{
    printf("%d checks, %d failed\n", checks_passed + checks_failed, checks_failed);
    puts(checks_failed ? "RESULT FAIL" : "RESULT PASS");
    return checks_failed ? 1 : 0;
}
