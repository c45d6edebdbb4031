"""Control flow: while, for over ranges with steps, break, continue, nested loops, short-circuit."""

from downstairs.compiler.runtime import u8, u32, u64, i64, run
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler

calls: u64 = 0


def noisy(v: bool) -> bool:
    global calls
    calls += 1
    return v


def bump() -> u64:
    global calls
    calls += 1
    return calls


def collatz(n: u64) -> u64:
    steps: u64 = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def main() -> None:
    total: u64 = 0
    for i in range(10):
        total += u64(i)
    put_u64(total)
    newline()
    for j in range(20, 0, -3):
        put_i64(j)
        putc(32)
    newline()
    k: u8 = 0
    for k in range(250, 255):
        put_u64(u64(k))
        putc(32)
    put_u64(u64(k))
    newline()
    n: u32 = 0
    while True:
        n += 1
        if n % 3 == 0:
            continue
        if n > 20:
            break
        put_u64(u64(n))
        putc(32)
    newline()
    for a in range(1, 6):
        for b in range(1, 6):
            if b > a:
                break
            put_u64(u64(a * b))
            putc(32)
    newline()
    best: u64 = 0
    arg: u64 = 0
    for s in range(1, 1000):
        c = collatz(u64(s))
        if c > best:
            best = c
            arg = u64(s)
    put_u64(arg)
    putc(32)
    put_u64(best)
    newline()
    if noisy(False) and noisy(True):
        putc(33)
    if noisy(True) or noisy(True):
        putc(63)
    if not (noisy(False) or noisy(False)) and noisy(True):
        putc(43)
    put_u64(calls)
    newline()
    high: u64 = 1000
    if high < bump() < bump():
        putc(33)
    if 0 < bump() < bump() < high:
        putc(61)
    put_u64(calls)
    newline()
    x: i64 = 5
    y = x * 2 if x > 3 else x - 2
    put_i64(y)
    newline()
    empty: i64 = 42
    for empty in range(10, 5):
        put_i64(empty)
    put_i64(empty)
    newline()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
