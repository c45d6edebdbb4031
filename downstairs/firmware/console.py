"""The console: the 16550A UART at 0x10000000 (16550 data sheet), and the SBI calls that are
this device: DBCN (SBI v2.0, chapter 12) and the legacy console putchar and getchar (v0.1).

    +0 THR (write) / RBR (read)     +5 LSR: bit 0 data ready, bit 5 THR empty

The FIFOs stay as the board left them (off): turning them on empties the receive side, and a
key typed before the firmware ran would be lost. So each byte waits for THR empty.
"""

from downstairs.compiler.runtime import u8, u64, i64, TrapFrame, addr, array, load8, store8
from sbi_spec import SUCCESS, NOT_SUPPORTED, INVALID_PARAM, EXT_DBCN, LEGACY_PUTCHAR
import hsm

UART = 0x10000000
LSR = UART + 5
LSR_DATA_READY = 0x01
LSR_THR_EMPTY = 0x20
HEX = b"0123456789abcdef"

digits = array(u8, 24)


def wait_for_room() -> None:
    while load8(LSR) & LSR_THR_EMPTY == 0:
        pass


def putc(c: u8) -> None:
    wait_for_room()
    store8(UART, c)


def getc() -> i64:
    """The next received byte, or -1 when none is waiting (never blocks)."""
    if load8(LSR) & LSR_DATA_READY == 0:
        return -1
    return i64(load8(UART))


def write(start: u64, count: u64) -> None:
    """The `count` bytes at `start`."""
    end = start + count
    while start < end:
        wait_for_room()
        store8(UART, load8(start))
        start += 1


def puts(s: bytes) -> None:
    write(addr(s), len(s))


def put_dec(n: u64) -> None:
    first: u64 = len(digits)
    while True:
        first -= 1
        digits[first] = u8(n % 10) + 48
        n = n // 10
        if n == 0:
            break
    write(addr(digits) + first, len(digits) - first)


def put_hex(n: u64) -> None:
    """n in hexadecimal after "0x", without leading zeros."""
    puts(b"0x")
    shift: u64 = 60
    while shift > 0 and n >> shift == 0:
        shift -= 4
    while True:
        putc(HEX[(n >> shift) & 15])
        if shift == 0:
            return
        shift -= 4


def call(frame: TrapFrame, eid: u64, fid: u64) -> i64:
    """DBCN 0 write, 1 read (a0 bytes at a1 in RAM outside the firmware, a2 its high half: 0;
    reads never wait), 2 write one byte: the bytes done in a1. Or a legacy putchar or getchar
    (`earlycon=sbi`, Linux's hvc0): a0 only, getchar's the byte or -1."""
    if eid != EXT_DBCN:
        if eid == LEGACY_PUTCHAR:
            putc(u8(frame.regs[10]))
            return 0
        return getc()
    count = frame.regs[10]
    base = frame.regs[11]
    frame.regs[11] = 0
    if fid == 2:
        putc(u8(count))
    elif fid > 1:
        return NOT_SUPPORTED
    elif frame.regs[12] != 0 or not hsm.usable_address(base) or base + count > hsm.ram_end or base + count < base:
        return INVALID_PARAM
    elif fid == 0:
        write(base, count)
        frame.regs[11] = count
    else:
        while frame.regs[11] < count and load8(LSR) & LSR_DATA_READY != 0:
            store8(base + frame.regs[11], load8(UART))
            frame.regs[11] += 1
    return SUCCESS
