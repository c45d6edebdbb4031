"""Compiled functions that C calls, and that call C back (an @external function)."""

from downstairs.compiler.runtime import u32, u64, i64, external


@external
def c_scale(x: u64, factor: u64) -> u64:
    """Implemented in main.c; this body is its model for CPython runs."""
    return x * factor


def weighted_sum(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64:
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h


def scaled_total(n: u64) -> u64:
    total: u64 = 0
    for i in range(n):
        total += c_scale(u64(i), 3)
    return total


def narrow(x: u32, y: i64) -> i64:
    return i64(x) - y
