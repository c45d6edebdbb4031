"""Writes into its own code, which is mapped read + execute: a store page fault (W^X)."""
from downstairs.compiler.runtime import addr, store64
from console import put


def main() -> None:
    store64(addr(main), 0)
    put(b"writes_code: survived\n")
