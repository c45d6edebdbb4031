"""Printing from a task: text collects in a line buffer, and each full line (or flush()) goes to
the UART task as one U_WRITE with the buffer lent read-only. A task that prints sends to "uart"
(its `sends` in the task table say so)."""

from downstairs.compiler.runtime import u8, u32, u64, array, addr
import abi
from abi import Leases
from userlib import Message, OP, send, lend
from protocol import U_WRITE
from slots import UART

LINE = 128

line = array(u8, LINE)
used: u64 = 0
message = Message()
leases = Leases()


def flush() -> None:
    """Send what the buffer holds to the UART."""
    global used
    if used == 0:
        return
    leases.count = 0
    lend(leases, 0, addr(line), used, abi.LEASE_READ)
    message.regs[OP] = U_WRITE
    send(UART, message, addr(leases))
    used = 0


def putc(c: u8) -> None:
    global used
    if used == LINE:
        flush()
    line[used] = c
    used += 1
    if c == 10:
        flush()


def put(text: bytes) -> None:
    for k in range(len(text)):
        putc(text[k])


def put_dec(value: u64) -> None:
    """`value` in decimal."""
    if value >= 10:
        put_dec(value // 10)
    putc(u8(48 + value % 10))


def put_hex(value: u64) -> None:
    put(b"0x")
    started = False
    for k in range(16):
        digit = u8((value >> u64(60 - 4 * k)) & 15)
        if digit != 0 or started or k == 15:
            started = True
            putc(digit + 48 if digit < 10 else digit + 87)

