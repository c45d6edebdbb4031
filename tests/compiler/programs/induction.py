"""Counted loops whose element addresses become induction variables (strength.py): steps up
and down, 32- and 64-bit counters, continue and break, records, nested loops, a bound known
only at run time (trap_counted.py runs it one past the end)."""

from downstairs.compiler.runtime import u16, u32, u64, i32, i64, record, array, Array
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler


@record
class Pair:
    a: u32
    b: i64


words = array(u64, 40)
halves = array(u16, 40)
pairs = array(Pair, 10)
grid = array(Array[i32, 6], 6)


def fill() -> None:
    for i in range(40):
        words[i] = u64(i) * 1000003
        halves[i] = u16(i * 3001)
    for i in range(10):
        pairs[i].a = u32(i) * 7
        pairs[i].b = i64(i) - 4


def sums() -> u64:
    total: u64 = 0
    for i in range(0, 40, 3):
        total += words[i]
    for j in range(39, -1, -2):
        total += u64(halves[j])
    k: u32 = 0
    for k in range(u32(5), u32(30)):
        if k % 4 == 0:
            continue
        total += words[k] ^ u64(halves[k])
        if k == 27:
            break
    total += u64(k)
    for i in range(10):
        total += u64(pairs[i].a) + u64(pairs[i].b + 10)
    return total


def transpose_sum() -> i64:
    for r in range(6):
        for c in range(6):
            grid[r][c] = i32(r * 10 - c)
    s: i64 = 0
    for c in range(6):
        for r in range(6):
            s = s * 3 + i64(grid[r][c])
    return s


def running(n: i64) -> i64:
    acc = array(i64, 8)
    for i in range(n):
        acc[i] = i * i
    t: i64 = 0
    for i in range(8):
        t += acc[i]
    return t


def main() -> None:
    fill()
    put_u64(sums())
    newline()
    put_i64(transpose_sum())
    newline()
    put_i64(running(8))
    newline()
    exit(0)
