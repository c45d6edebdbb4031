"""Intrinsics: CSRs, fences, raw memory, placement of a function at a fixed address."""

from downstairs.compiler.runtime import u32, u64, csr_read, csr_write, fence, fence_i
from downstairs.compiler.runtime import amoswap32, amoswap64, amoadd32, amoadd64
from downstairs.compiler.runtime import load8, load16, load32, load64, store8, store16, store32, store64, at
from uart import put_u64, put_hex, putc, newline
from virt import exit, trap_handler

SCRATCH = 0x340
BUFFER = 0x80200000


@at(0x80010000)
def placed(x: u64) -> u64:
    return x * 3


def main() -> None:
    csr_write(SCRATCH, 0x1234567890)
    put_hex(csr_read(SCRATCH), 16)
    newline()
    store64(BUFFER, 0x1122334455667788)
    store8(BUFFER + 1, 0xAB)
    store16(BUFFER + 2, 0xCDEF)
    fence()
    put_hex(load64(BUFFER), 16)
    newline()
    put_hex(u64(load32(BUFFER + 4)), 8)
    putc(32)
    put_hex(u64(load16(BUFFER + 2)), 4)
    putc(32)
    put_hex(u64(load8(BUFFER + 7)), 2)
    newline()
    store32(BUFFER, 0xFFFFFFFF)
    put_u64(u64(load32(BUFFER)))
    newline()
    old = amoadd32(BUFFER, 5)
    put_u64(u64(old))
    putc(32)
    put_u64(u64(load32(BUFFER)))
    putc(32)
    put_u64(u64(amoswap32(BUFFER + 4, 0x80000000)))
    putc(32)
    put_u64(u64(load32(BUFFER + 4)))
    putc(32)
    put_u64(amoadd64(BUFFER + 8, 0xFFFFFFFFFFFFFFFF))
    putc(32)
    put_u64(amoswap64(BUFFER + 8, 77))
    putc(32)
    put_u64(load64(BUFFER + 8))
    newline()
    fence_i()
    put_u64(placed(14))
    newline()
    exit(0)
