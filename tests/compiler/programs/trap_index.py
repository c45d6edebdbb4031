"""An index outside an array traps, as IndexError stops CPython."""

from downstairs.compiler.runtime import u8, u64, array
from uart import puts
from virt import exit, trap_handler

table = array(u8, 8)


def poke(i: u64) -> None:
    table[i] = 1


def main() -> None:
    poke(7)
    puts(b"before\n")
    poke(8)
    puts(b"after\n")
    exit(0)
