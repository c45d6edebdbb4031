"""Benchmark: table-driven CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of 8 KiB."""

from downstairs.compiler.runtime import u8, u32, u64, array, csr_read, run
from uart import put_hex, newline, put_instret
from virt import exit, trap_handler

SIZE = 8192
table = array(u32, 256)
data = array(u8, SIZE)


def make_table() -> None:
    for n in range(256):
        c = u32(n)
        for k in range(8):
            if c & 1 != 0:
                c = 0xEDB88320 ^ (c >> 1)
            else:
                c = c >> 1
        table[n] = c


def crc32(length: u64) -> u32:
    crc: u32 = 0xFFFFFFFF
    for i in range(length):
        crc = table[(crc ^ u32(data[i])) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def main() -> None:
    seed: u32 = 1
    for i in range(SIZE):
        seed = seed * 1103515245 + 12345
        data[i] = u8(seed >> 16)
    make_table()
    start = csr_read(0xB02)
    crc = crc32(SIZE)
    stop = csr_read(0xB02)
    put_hex(u64(crc), 8)
    newline()
    put_instret(start, stop)
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
