"""A range loop one past the end of an array: the bounds check stays and traps at i = 8."""

from downstairs.compiler.runtime import u8, array
from uart import puts
from virt import exit, trap_handler

table = array(u8, 8)


def main() -> None:
    for i in range(8):
        table[i] = 1
    puts(b"before\n")
    for i in range(9):
        table[i] = 2
    puts(b"after\n")
    exit(0)
