"""The first program: integers, calls and output."""

from downstairs.compiler.runtime import u64, i64, run
from uart import puts, put_u64, put_i64, newline
from virt import exit
from virt import trap_handler


GREETING = b"hello\n"


def add(a: u64, b: u64) -> u64:
    return a + b


def main() -> None:
    puts(GREETING)
    put_u64(add(40, 2))
    newline()
    put_i64(-12345)
    newline()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
