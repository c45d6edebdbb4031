"""Reads one line typed at the console through the UART task (U_READ waits for input, on the
UART's receive interrupt), says it back and powers off."""

from downstairs.compiler.runtime import u8, u64, array, addr
import abi
from abi import Leases
from userlib import Message, OP, W0, send, lend, power_off
from protocol import U_READ
from console import put, putc
from slots import UART

buffer = array(u8, 64)
line = array(u8, 128)
message = Message()
leases = Leases()


def main() -> None:
    put(b"echo: type a line\n")
    n: u64 = 0
    done = False
    while not done and n < 128:
        lend(leases, 0, addr(buffer), 64, abi.LEASE_WRITE)
        message.regs[OP] = U_READ
        send(UART, message, addr(leases))
        for k in range(message.regs[W0]):
            c = buffer[k]
            if c == 10 or c == 13:
                done = True
                break
            if n < 128:
                line[n] = c
                n += 1
    put(b"echo: ")
    for k in range(n):
        putc(line[k])
    putc(10)
    power_off(False)
