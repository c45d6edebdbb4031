"""A failing assert traps (ebreak); the handler in virt.py ends the run with 0x80 | mcause."""

from downstairs.compiler.runtime import u64
from uart import puts
from virt import exit, trap_handler


def check(n: u64) -> None:
    assert n < 10, "n is too big"


def main() -> None:
    check(3)
    puts(b"before\n")
    check(12)
    puts(b"after\n")
    exit(0)
