"""Division by zero traps, as ZeroDivisionError stops CPython."""

from downstairs.compiler.runtime import i32
from uart import puts, put_i64
from virt import exit, trap_handler


def quotient(a: i32, b: i32) -> i32:
    return a // b


def main() -> None:
    q = quotient(7, 2)
    puts(b"before\n")
    q = quotient(7, q - q)
    puts(b"after\n")
    exit(0)
