"""A library module, imported by others as a whole (`import mathlib`)."""

from downstairs.compiler.runtime import u64, i64

LIMIT = 1000


def gcd(a: u64, b: u64) -> u64:
    while b != 0:
        a, b = b, a % b
    return a


def fib(n: u64) -> u64:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def ackermann(m: u64, n: u64) -> u64:
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def power(base: i64, exp: u64) -> i64:
    if exp == 0:
        return 1
    half = power(base, exp // 2)
    if exp % 2 == 0:
        return half * half
    return half * half * base
