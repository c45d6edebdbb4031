"""Benchmark: multiply two 32x32 matrices of i32 (the classic triple loop)."""

from downstairs.compiler.runtime import i32, u32, u64, array, Array, csr_read, run
from uart import put_hex, newline, put_instret
from virt import exit, trap_handler

M = 32
a = array(Array[i32, M], M)
b = array(Array[i32, M], M)
c = array(Array[i32, M], M)


def matmul() -> None:
    for i in range(M):
        row = a[i]
        out = c[i]
        for j in range(M):
            s: i32 = 0
            for k in range(M):
                s += row[k] * b[k][j]
            out[j] = s


def main() -> None:
    for i in range(M):
        for j in range(M):
            a[i][j] = i32(i * 7 + j) - 100
            b[i][j] = i32(i ^ j) * 3 - 40
    start = csr_read(0xB02)
    matmul()
    stop = csr_read(0xB02)
    h: u32 = 0
    for i in range(M):
        for j in range(M):
            h = h * 31 + u32(c[i][j])
    put_hex(u64(h), 8)
    newline()
    put_instret(start, stop)
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
