"""A program that reports failure through the sifive_test device (code 7)."""

from uart import puts
from virt import exit, trap_handler


def main() -> None:
    puts(b"before\n")
    exit(7)
