"""Recursion and calls across modules."""

from downstairs.compiler.runtime import u64, i64, run
import mathlib
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler


def hanoi(n: u64, src: u64, dst: u64, via: u64) -> u64:
    if n == 0:
        return 0
    moves = hanoi(n - 1, src, via, dst)
    moves += 1
    return moves + hanoi(n - 1, via, dst, src)


def many(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64:
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h


def main() -> None:
    put_u64(mathlib.fib(20))
    newline()
    put_u64(mathlib.gcd(1071, 462))
    putc(32)
    put_u64(mathlib.gcd(mathlib.LIMIT, 35))
    newline()
    put_u64(mathlib.ackermann(2, 3))
    newline()
    put_i64(mathlib.power(-3, 21))
    newline()
    put_u64(hanoi(12, 1, 3, 2))
    newline()
    put_u64(many(1, 2, 3, 4, 5, 6, 7, 8))
    putc(32)
    put_u64(many(many(1, 1, 1, 1, 1, 1, 1, 1), 0, 0, 0, 0, 0, 0, many(0, 0, 0, 0, 0, 0, 0, 1)))
    newline()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
