"""Reads the UART task's memory (faults.toml puts it at 0x80408000): not in this address space."""
from downstairs.compiler.runtime import load64
from console import put, put_hex


def main() -> None:
    put_hex(load64(0x80408000))
    put(b"reads_other: survived\n")
