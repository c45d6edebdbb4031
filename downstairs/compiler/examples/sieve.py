"""Benchmark: the sieve of Eratosthenes over 0..N-1, counting the primes (bench.py runs it)."""

from downstairs.compiler.runtime import u8, u64, array, csr_read, run
from uart import put_u64, newline, put_instret
from virt import exit, trap_handler

N = 16384
flags = array(u8, N)


def sieve() -> u64:
    count: u64 = 0
    for i in range(N):
        flags[i] = 1
    for i in range(2, N):
        if flags[i] != 0:
            count += 1
            j = i + i
            while j < N:
                flags[j] = 0
                j += i
    return count


def main() -> None:
    start = csr_read(0xB02)
    count = sieve()
    stop = csr_read(0xB02)
    put_u64(count)
    newline()
    put_instret(start, stop)
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
