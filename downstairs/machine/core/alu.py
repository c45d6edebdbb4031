"""Integer arithmetic whose RISC-V meaning differs from both C and Python.

Registers hold 64-bit patterns in unsigned storage: C's unsigned arithmetic wraps, Python's
ints do not, so results are masked (a no-op in the compiled engine). Unprivileged ISA
chapter 7 ("M" Standard Extension): mulh* return the high 64 bits of the 128-bit product;
division truncates toward zero (Python's // floors), x / 0 is all ones and x % 0 is x, and
the one overflow, most-negative / -1, gives the dividend back with remainder 0.
"""

import cython

from downstairs.machine.core.consts import MASK32, MASK64, SIGN32, SIGN64


def mulhu(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """High half of the unsigned 128-bit product, from 32-bit halves (no 128-bit C type)."""
    a_lo: cython.ulonglong = a & MASK32
    a_hi: cython.ulonglong = a >> 32
    b_lo: cython.ulonglong = b & MASK32
    b_hi: cython.ulonglong = b >> 32
    lo_lo: cython.ulonglong = a_lo * b_lo
    hi_lo: cython.ulonglong = a_hi * b_lo
    lo_hi: cython.ulonglong = a_lo * b_hi
    hi_hi: cython.ulonglong = a_hi * b_hi
    middle: cython.ulonglong = (lo_lo >> 32) + (hi_lo & MASK32) + (lo_hi & MASK32)
    return (hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (middle >> 32)) & MASK64


def mulh(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """Signed x signed: the unsigned high half, corrected for each negative operand."""
    high: cython.ulonglong = mulhu(a, b)
    if a & SIGN64:
        high -= b
    if b & SIGN64:
        high -= a
    return high & MASK64


def mulhsu(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """Signed a x unsigned b (MULHSU): the unsigned high half, corrected for a negative a."""
    high: cython.ulonglong = mulhu(a, b)
    if a & SIGN64:
        high -= b
    return high & MASK64


def div(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """DIV: the signed quotient, truncated toward zero; all ones for x / 0, and the dividend for
    the one overflow, -2^63 / -1."""
    if b == 0:
        return MASK64
    if a == SIGN64 and b == MASK64:
        return a                                  # overflow: -2^63 / -1
    negative: cython.bint = ((a ^ b) & SIGN64) != 0
    q: cython.ulonglong = magnitude(a) // magnitude(b)
    return ((0 - q) & MASK64) if negative else q


def rem(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """REM: the signed remainder (with the dividend's sign); x for x % 0, 0 for -2^63 % -1."""
    if b == 0:
        return a
    if a == SIGN64 and b == MASK64:
        return 0
    r: cython.ulonglong = magnitude(a) % magnitude(b)
    return ((0 - r) & MASK64) if a & SIGN64 else r   # the remainder takes the dividend's sign


def divu(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """DIVU: the unsigned quotient; all ones for x / 0."""
    return a // b if b else MASK64


def remu(a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """REMU: the unsigned remainder; x for x % 0."""
    return a % b if b else a


def magnitude(a: cython.ulonglong) -> cython.ulonglong:
    """The absolute value of a two's-complement pattern (-2^63 stays 2^63, as unsigned)."""
    return ((0 - a) & MASK64) if a & SIGN64 else a


def sext(value: cython.ulonglong, bits: cython.int) -> cython.ulonglong:
    """The 64-bit pattern of the low `bits` bits of value read as a signed number (1 <= bits
    <= 64): how immediates are widened, how every *W instruction writes its 32-bit result,
    and how a signed load fills rd. Flip the sign bit, then subtract it back: a clear sign
    bit borrows into everything above it, a set one does not."""
    sign: cython.ulonglong = cython.cast(cython.ulonglong, 1) << (bits - 1)
    low: cython.ulonglong = value & ((sign << 1) - 1)
    return ((low ^ sign) - sign) & MASK64


def divw(a: cython.ulonglong, b: cython.ulonglong, unsigned: cython.bint, remainder: cython.bint) -> cython.ulonglong:
    """divw/divuw/remw/remuw: operate on the low 32 bits, sign-extend the 32-bit result."""
    if unsigned:
        x: cython.ulonglong = a & MASK32
        y: cython.ulonglong = b & MASK32
        return sext(remu(x, y) if remainder else divu(x, y), 32)
    x = sext(a, 32)
    y = sext(b, 32)
    if remainder:
        return sext(rem(x, y), 32)
    if b & MASK32 == 0:
        return MASK64
    if x == sext(SIGN32, 32) and y == MASK64:
        return x                                  # overflow of the 32-bit division
    return sext(div(x, y), 32)
