"""A supervisor for tests: it prints each fault the kernel reports (task, cause, tval) and
restarts nothing, so each misbehaving task faults exactly once."""

from downstairs.compiler.runtime import u64
import abi
from userlib import Message, OP, W0, W1, W3, send, recv
from console import put, put_dec, put_hex

request = Message()
event = Message()


def main() -> None:
    while True:
        recv(abi.NONE, 0, event, abi.FAULT_BIT | abi.CLOSED)
        request.regs[OP] = abi.K_FAULT
        send(abi.KERNEL, request, 0)
        while request.regs[OP] == abi.OK:
            put(b"fault: task ")
            put_dec(request.regs[W0])
            put(b" cause ")
            put_hex(request.regs[W1])
            put(b" tval ")
            put_hex(request.regs[W3])
            put(b"\n")
            request.regs[OP] = abi.K_FAULT
            send(abi.KERNEL, request, 0)
