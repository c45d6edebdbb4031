"""The benchmark's server (bench.toml): answers every message at once with the op plus one, by
RECV with its reply: one system call per round trip on this side (seL4's ReplyRecv)."""

from downstairs.compiler.runtime import u64
import abi
from userlib import Message, OP, recv

message = Message()


def main() -> None:
    to: u64 = abi.NONE
    while True:
        to = recv(to, message.regs[OP] + 1, message, 0)
