"""Arithmetic at every width: wrap-around, signed floor division, shifts, conversions."""

from downstairs.compiler.runtime import u8, u16, u32, u64, i8, i16, i32, i64, run
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler


def show_u(x: u64) -> None:
    put_u64(x)
    putc(32)


def show_i(x: i64) -> None:
    put_i64(x)
    putc(32)


def unsigned_widths() -> None:
    a: u8 = 200
    b: u8 = 100
    show_u(u64(a + b))
    show_u(u64(a - b - b - b))
    show_u(u64(a * b))
    show_u(u64(a // 7))
    show_u(u64(a % 7))
    show_u(u64(a << 3))
    show_u(u64(a >> 3))
    show_u(u64(~a))
    show_u(u64(-a))
    c: u16 = 60000
    show_u(u64(c + c))
    show_u(u64(c * 3))
    show_u(u64(c ^ 0xFFFF))
    d: u32 = 0xFFFFFFF0
    show_u(u64(d + 0x20))
    show_u(u64(d * d))
    show_u(u64(d >> 4))
    show_u(u64(d << 4))
    show_u(u64(d // 3))
    show_u(u64(d % 1000))
    e: u64 = 0xFFFFFFFFFFFFFFFF
    show_u(e + 2)
    show_u(e * e)
    show_u(e // 10)
    show_u(e >> 60)
    newline()


def signed_widths() -> None:
    a: i8 = 100
    show_i(i64(a + a))
    show_i(i64(-a - a - a))
    show_i(i64(a * 3))
    b: i8 = -128
    show_i(i64(-b))
    show_i(i64(b // -1))
    c: i16 = -30000
    show_i(i64(c + c))
    show_i(i64(c >> 3))
    d: i32 = -2000000000
    show_i(i64(d + d))
    show_i(i64(d * 7))
    show_i(i64(d >> 5))
    e: i64 = -9223372036854775807
    show_i(e - 2)
    show_i(e * 3)
    newline()
    for x in range(-7, 8, 3):
        for y in range(-3, 4):
            if y != 0:
                show_i(x // y)
                show_i(x % y)
    newline()
    p: i32 = -17
    q: i32 = 5
    show_i(i64(p // q))
    show_i(i64(p % q))
    show_i(i64(p // -q))
    show_i(i64(p % -q))
    newline()


def conversions() -> None:
    big: u64 = 0x123456789ABCDEF0
    show_u(u64(u8(big)))
    show_u(u64(u16(big)))
    show_u(u64(u32(big)))
    show_i(i64(i8(big)))
    show_i(i64(i16(big)))
    show_i(i64(i32(big)))
    neg: i64 = -2
    show_u(u64(neg))
    show_u(u64(u32(neg)))
    show_u(u64(u8(neg)))
    show_i(i64(i8(u8(neg))))
    w: u32 = 0x80000000
    show_u(u64(w))
    show_i(i64(i32(w)))
    show_u(u64(u16(w >> 16)))
    small: i8 = -1
    show_u(u64(u16(small)))
    show_u(u64(u32(small)))
    show_i(i64(i16(small)))
    flag = bool(big)
    show_u(u64(flag))
    show_u(u64(bool(big & 0)))
    newline()


def comparisons() -> None:
    x: u32 = 0x80000000
    y: u32 = 5
    show_u(u64(x > y))
    show_u(u64(i32(x) > i32(y)))
    a: i64 = -1
    show_u(u64(a < 0))
    show_u(u64(u64(a) < 10))
    show_u(u64(1 <= y <= 5))
    show_u(u64(1 <= y < 5))
    show_u(u64(y == 5 and x != 0))
    show_u(u64(y == 4 or not (x == 0)))
    m: u8 = 255
    show_u(u64(m + 1 == 0))
    newline()


def main() -> None:
    unsigned_widths()
    signed_widths()
    conversions()
    comparisons()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
