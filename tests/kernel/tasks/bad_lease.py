"""Lends the UART task memory that is not its own (the kernel's image): BAD_LEASE_LIST."""
from downstairs.compiler.runtime import addr
import abi
from abi import Leases
from userlib import Message, send, lend
from console import put
from slots import UART

message = Message()
leases = Leases()


def main() -> None:
    lend(leases, 0, 0x80200000, 64, abi.LEASE_READ)
    send(UART, message, addr(leases))
    put(b"bad_lease: survived\n")
