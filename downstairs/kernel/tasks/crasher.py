"""The crasher: a server that answers C_PING with w0 + 1, and on every fourth request since it
started reads address 0, which is not mapped in its address space: a load page fault. The
kernel stops it and tells the supervisor, the supervisor restarts it (its count starts at zero
again), and its caller's SEND returns DEAD; the rest of the system keeps serving meanwhile.
"""

from downstairs.compiler.runtime import u64, load64
import abi
from userlib import Message, OP, W0, recv
from protocol import OK, BAD_OP, C_PING

CRASH_EVERY = 4
NOWHERE = 0                     # address 0: unmapped (virt has no memory there either)

message = Message()
served: u64 = 0


def main() -> None:
    global served
    to: u64 = abi.NONE
    code: u64 = OK
    while True:
        to = recv(to, code, message, 0)
        code = OK
        if message.regs[OP] == C_PING:
            served += 1
            if served % CRASH_EVERY == 0:
                message.regs[W0] = load64(NOWHERE)
            message.regs[W0] += 1
        else:
            code = BAD_OP
