"""Compiled functions that C calls, and that call C back (an @external function)."""

from downstairs.compiler.runtime import u32, u64, i64, external, resource, Array


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


@resource
class Triple:
    """12 bytes, 4-aligned: returned in a0 (a, b) and a1 (c), as C returns the same struct."""
    a: u32
    b: u32
    c: u32


@resource
class Wide:
    """16 bytes: returned in a0 and a1."""
    x: u64
    y: u64


@resource
class Big:
    """40 bytes: written to the address the caller passes in a0."""
    v: Array[u64, 4]
    n: u64


def make_triple(a: u32, b: u32) -> Triple:
    t = Triple(a, b, a ^ b)
    return t


def make_wide(x: u64) -> Wide:
    w = Wide(x, ~x)
    return w


def make_big(seed: u64, step: u64) -> Big:
    b = Big()
    for i in range(4):
        b.v[i] = seed + u64(i) * step
    b.n = 4
    return b
