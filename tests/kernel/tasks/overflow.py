"""Recurses until its stack runs into the unmapped guard page below it: a store page fault."""
from downstairs.compiler.runtime import u64
from console import put


def down(n: u64) -> u64:
    return down(n + 1) + 1


def main() -> None:
    down(0)
    put(b"overflow: survived\n")
