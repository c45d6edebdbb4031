"""An augmented assignment whose index calls a function: the call runs once, on the machine and on the host."""

from downstairs.compiler.runtime import u8, u64, array
from uart import put_u64, newline
from virt import exit, trap_handler

counts = array(u8, 4)
calls: u64 = 0


def pick(i: u64) -> u64:
    global calls
    calls += 1
    return i & 3


def main() -> None:
    for i in range(10):
        counts[pick(u64(i))] += 200
    put_u64(u64(counts[0]) + u64(counts[1]) * 1000)
    newline()
    put_u64(calls)
    newline()
    exit(0)
