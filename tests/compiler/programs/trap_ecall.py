"""An ecall from machine mode traps with mcause 11 (there is nothing below to answer it)."""

from downstairs.compiler.runtime import u64, ecall
from uart import puts
from virt import exit, trap_handler


def main() -> None:
    puts(b"before\n")
    r = ecall(1, 2, 3, 4)
    puts(b"after\n")
    exit(0)
