"""Reads the kernel's first word: mapped without U, so a load page fault."""
from downstairs.compiler.runtime import load64
from console import put, put_hex


def main() -> None:
    put_hex(load64(0x80200000))
    put(b"reads_kernel: survived\n")
