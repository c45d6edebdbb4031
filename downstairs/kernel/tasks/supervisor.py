"""The supervisor: the task the kernel tells when another task faults (Hubris's jefe). It waits for
FAULT_BIT, asks the kernel which task faulted and why (K_FAULT), prints one line about it, and
restarts it (K_RESTART): the restarted task runs its main() afresh, its memory copied from its
image again, and whoever was waiting on it got DEAD. It is the most urgent task, so the system
is whole again before anyone else runs.
"""

from downstairs.compiler.runtime import u32, u64
import abi
from userlib import Message, OP, W0, W1, W2, W3, send, recv
from console import put, put_dec, put_hex

request = Message()
event = Message()


def report_and_restart() -> u64:
    """Restart one faulted task the supervisor has not yet heard of; 0 when there is none."""
    request.regs[OP] = abi.K_FAULT
    send(abi.KERNEL, request, 0)
    if request.regs[OP] != abi.OK:
        return 0
    index = request.regs[W0]
    put(b"supervisor: task ")
    put_dec(index)
    put(b" faulted (cause ")
    put_hex(request.regs[W1])
    put(b" at ")
    put_hex(request.regs[W2])
    put(b", tval ")
    put_hex(request.regs[W3])
    put(b"): restarting it\n")
    request.regs[OP] = abi.K_RESTART
    request.regs[W0] = index
    send(abi.KERNEL, request, 0)
    return 1


def main() -> None:
    while True:
        recv(abi.NONE, 0, event, abi.FAULT_BIT | abi.CLOSED)
        while report_and_restart() != 0:
            pass
