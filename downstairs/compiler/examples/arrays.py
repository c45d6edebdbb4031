"""Arrays: local and global, 2-D, passed to functions, sorting, byte strings."""

from downstairs.compiler.runtime import u8, u32, u64, i64, array, Array, run
from uart import put_u64, put_i64, putc, puts, newline
from virt import exit, trap_handler

N = 16
grid = array(Array[u32, 4], 4)


def fill(a: Array[i64, N], seed: u64) -> None:
    x = seed
    for i in range(N):
        x = x * 6364136223846793005 + 1442695040888963407
        a[i] = i64(x >> 40) - 8000000


def sort(a: Array[i64, N]) -> None:
    for i in range(1, N):
        v = a[i]
        j = i
        while j > 0 and a[j - 1] > v:
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


def count_vowels(s: bytes) -> u64:
    n: u64 = 0
    for i in range(len(s)):
        c = s[i]
        if c == 97 or c == 101 or c == 105 or c == 111 or c == 117:
            n += 1
    return n


def main() -> None:
    data = array(i64, N)
    fill(data, 12345)
    sort(data)
    for i in range(N):
        put_i64(data[i])
        putc(32)
    newline()
    for r in range(4):
        for c in range(4):
            grid[r][c] = u32(r * 10 + c)
    total: u32 = 0
    for r in range(4):
        total += grid[r][3 - r] * 3
    put_u64(u64(total))
    newline()
    text = b"the quick brown fox jumps over the lazy dog"
    put_u64(count_vowels(text))
    putc(32)
    put_u64(len(text))
    newline()
    puts(b"done\n")
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
