"""Console output on the 16550 UART of QEMU's virt board (THR at +0, LSR at +5, bit 5 = THR empty)."""

from downstairs.compiler.runtime import u8, u64, i64, load8, store8, array, Array

UART = 0x10000000
LSR_THR_EMPTY = 0x20

digits = array(u8, 24)


def putc(c: u8) -> None:
    while load8(UART + 5) & LSR_THR_EMPTY == 0:
        pass
    store8(UART, c)


def puts(s: bytes) -> None:
    for i in range(len(s)):
        putc(s[i])


def put_u64(n: u64) -> None:
    count: u64 = 0
    while True:
        digits[count] = u8(n % 10) + 48
        count += 1
        n = n // 10
        if n == 0:
            break
    while count > 0:
        count -= 1
        putc(digits[count])


def put_i64(n: i64) -> None:
    if n < 0:
        putc(45)
        put_u64(u64(0) - u64(n))
    else:
        put_u64(u64(n))


def put_hex(n: u64, width: u64) -> None:
    for k in range(width):
        nibble = u8((n >> ((width - 1 - k) * 4)) & 15)
        putc(nibble + 48 if nibble < 10 else nibble + 87)


def newline() -> None:
    putc(10)


def put_instret(start: u64, stop: u64) -> None:
    """The benchmarks' cost line, `instret N`, printed only where minstret counts (on a
    machine; under CPython the host shim reads the same value twice)."""
    if stop != start:
        puts(b"instret ")
        put_u64(stop - start)
        newline()
