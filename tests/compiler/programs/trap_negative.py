"""A negative index traps on the machine (an unsigned bounds check), so it stops the host run
too, where Python would count from the end."""

from downstairs.compiler.runtime import u8, i64, array
from uart import puts
from virt import exit, trap_handler

table = array(u8, 8)


def poke(i: i64) -> None:
    table[i] = 1


def main() -> None:
    poke(7)
    puts(b"before\n")
    poke(-1)
    puts(b"after\n")
    exit(0)
