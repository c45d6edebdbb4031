"""The console: the 16550A UART at 0x10000000 (registers as in the 16550 data sheet).

    +0 THR (write) / RBR (read)     +5 LSR: bit 0 data ready, bit 5 transmitter holding empty

The firmware prints its banner and errors here, and the SBI console calls (legacy putchar and
getchar, DBCN) are this device too. QEMU's and our UART need no set-up for output.
"""

from downstairs.compiler.runtime import u8, u64, i64, load8, store8, array

UART = 0x10000000
LSR = UART + 5
LSR_DATA_READY = 0x01
LSR_THR_EMPTY = 0x20

digits = array(u8, 20)


def putc(c: u8) -> None:
    while load8(LSR) & LSR_THR_EMPTY == 0:
        pass
    store8(UART, c)


def getc() -> i64:
    """The next received byte, or -1 when none is waiting (never blocks)."""
    if load8(LSR) & LSR_DATA_READY == 0:
        return -1
    return i64(load8(UART))


def puts(s: bytes) -> None:
    for i in range(len(s)):
        while load8(LSR) & LSR_THR_EMPTY == 0:
            pass
        store8(UART, s[i])


def put_dec(n: u64) -> None:
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


def put_hex(n: u64) -> None:
    """n in hexadecimal with a 0x prefix and no leading zeros."""
    puts(b"0x")
    shift: u64 = 60
    while shift > 0 and (n >> shift) == 0:
        shift -= 4
    while True:
        nibble = u8((n >> shift) & 15)
        putc(nibble + 48 if nibble < 10 else nibble + 87)
        if shift == 0:
            break
        shift -= 4
