"""The app: the one task that does what the system is for, with no shell to ask it anything. It
prints a greeting (through the UART task) and the store's record "motd" if there is one (a system
image's manifest can put it there: its [files]), reads how many times the system has booted from the
store (NOT_FOUND on a fresh disk), writes the new count and a greeting record, reads that back,
calls the crasher until ten requests have been answered (retrying those that find it dead), and
powers the machine off through the kernel (SBI SRST). Every step is the same on every run, so
two machines booting the same disk leave the same bytes on it.
"""

from downstairs.compiler.runtime import u8, u32, u64, array, Array, addr
import abi
from abi import Leases
from userlib import Message, OP, W0, send, lend, copy_text, power_off
from protocol import OK, NOT_FOUND, S_GET, S_PUT, C_PING
from console import put, put_dec, putc
from slots import STORE, CRASHER

PINGS = 10

key = array(u8, 256)
value = array(u8, 256)
message = Message()
leases = Leases()


def store_op(op: u64, key_text: bytes, length: u64) -> u64:
    """S_GET or S_PUT of `key_text` with the `value` buffer (`length` bytes of it for a PUT, all
    of it for a GET): the code (w0 = the value's length after a GET)."""
    leases.count = 0
    lend(leases, 0, addr(key), copy_text(key, key_text), abi.LEASE_READ)
    lend(leases, 1, addr(value), length, abi.LEASE_WRITE if op == S_GET else abi.LEASE_READ)
    message.regs[OP] = op
    if send(STORE, message, addr(leases)) != abi.OK:
        return NOT_FOUND
    return message.regs[OP]


def boots() -> u64:
    """This boot's number: the count in the store plus one, written back."""
    count: u64 = 0
    if store_op(S_GET, b"boots", 256) == OK and message.regs[W0] == 8:
        for k in range(8):
            count |= u64(value[k]) << u64(8 * k)
    count += 1
    for k in range(8):
        value[k] = u8(count >> u64(8 * k))
    store_op(S_PUT, b"boots", 8)
    return count


def greet(count: u64) -> None:
    """Write the greeting record for this boot, read it back, print it."""
    n = copy_text(value, b"hello from the app, boot ")
    digits: u64 = 1
    while digits * 10 <= count:
        digits *= 10
    while digits > 0:
        value[n] = u8(48 + count // digits % 10)
        n += 1
        digits //= 10
    store_op(S_PUT, b"greeting", n)
    for k in range(n):
        value[k] = 0
    if store_op(S_GET, b"greeting", 256) != OK:
        put(b"app: the greeting is not in the store\n")
        return
    put(b"app: the store says: ")
    for k in range(message.regs[W0]):
        putc(value[k])
    putc(10)


def motd() -> None:
    """The message of the day, if the store has one."""
    if store_op(S_GET, b"motd", 256) != OK:
        return
    put(b"app: motd: ")
    for k in range(message.regs[W0]):
        putc(value[k])
    putc(10)


def ping_crasher() -> None:
    """PINGS answered requests to the crasher, however many times it dies on the way."""
    answered: u64 = 0
    dead: u64 = 0
    while answered < PINGS:
        message.regs[OP] = C_PING
        message.regs[W0] = answered
        if send(CRASHER, message, 0) == abi.DEAD:
            dead += 1
        elif message.regs[OP] == OK and message.regs[W0] == answered + 1:
            answered += 1
    put(b"app: the crasher answered ")
    put_dec(answered)
    put(b" requests and died ")
    put_dec(dead)
    put(b" times on the way\n")


def main() -> None:
    put(b"app: hello from U-mode\n")
    motd()
    count = boots()
    put(b"app: boot number ")
    put_dec(count)
    putc(10)
    greet(count)
    ping_crasher()
    put(b"app: done, powering off\n")
    power_off(False)
