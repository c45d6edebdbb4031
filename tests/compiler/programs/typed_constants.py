"""Named and literal constants take the type their context gives them: a typed local from a
constant's name, and a conditional expression choosing between two constants."""

from downstairs.compiler.runtime import u8, u32, u64
from uart import put_u64, newline
from virt import exit

LIMIT = 250
STEP = 7


def bump(big: bool) -> u8:
    v: u8 = LIMIT
    return v + (10 if big else 2)


def scaled(wide: bool) -> u64:
    w = STEP
    return (u64(1) << 40 if wide else 3) + u64(w)


def main() -> None:
    put_u64(u64(bump(True)))
    newline()
    put_u64(u64(bump(False)))
    newline()
    put_u64(scaled(True))
    newline()
    put_u64(scaled(False))
    newline()
    exit(0)
