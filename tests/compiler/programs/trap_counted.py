"""A counted loop with a run-time bound one past the end of a stack array: the element
address is an induction variable (strength.py), but the bounds check still traps first."""

from downstairs.compiler.runtime import i64, array
from uart import puts
from virt import exit, trap_handler


def running(n: i64) -> i64:
    acc = array(i64, 8)
    for i in range(n):
        acc[i] = i * i
    return acc[7]


def main() -> None:
    running(8)
    puts(b"before\n")
    running(9)
    puts(b"after\n")
    exit(0)
