"""IEEE 754 binary32 and binary64 arithmetic in integers: what the F and D extensions compute.

Unprivileged ISA chapter 11 (F) and 12 (D) name the operations and RISC-V's choices where
IEEE 754-2008 leaves one open; the arithmetic itself is IEEE 754's. Host floats cannot be
used: they round only to nearest-even, and Python does not report exception flags.

Every value is a bit pattern in an unsigned 64-bit integer (a single in the low 32 bits);
`d` selects binary64 (True) or binary32 (False). A finite nonzero operand is unpacked into a
sign, an unbiased exponent `exp` and a significand `sig` with its leading one at bit 62, so
that value = sig / 2^62 * 2^exp. Each operation computes its exact result, or a truncation
of it with a "sticky" bit ORed into the lowest place that says whether anything nonzero was
cut off; `round_pack` then rounds that to the format once, with one of the five rounding
modes (11.2: RNE, RTZ, RDN, RUP, RMM), and encodes it.

RISC-V's choices (11.3): a NaN result is always the canonical NaN (no payload propagation);
tininess is detected after rounding; underflow is signalled when the result is tiny and
inexact. Out-of-range float-to-integer conversions saturate (table 11.4).

The accrued exception flags of 11.2 (NV, DZ, OF, UF, NX) are collected in the module's
`flags`, like the flag wires of a hardware FPU: fpu.py clears them with `take_flags` after
each instruction and ORs them into fcsr.
"""

import cython

from downstairs.machine.core import alu
from downstairs.machine.core.consts import MASK32, MASK64, SIGN32, SIGN64

# Rounding modes (table 11.1) and exception flags (table 11.2)
RNE, RTZ, RDN, RUP, RMM = 0, 1, 2, 3, 4
NX, UF, OF, DZ, NV = 1, 2, 4, 8, 16

CANONICAL_S = 0x7FC00000
CANONICAL_D = 0x7FF8000000000000
INF_D = 0x7FF0000000000000
FRAC_D = 0x000FFFFFFFFFFFFF
BIT62 = 0x4000000000000000
LOW62 = 0x3FFFFFFFFFFFFFFF
INT64_MAX = 0x7FFFFFFFFFFFFFFF
SEXT32_MIN = 0xFFFFFFFF80000000     # INT32_MIN as a sign-extended 64-bit pattern
ONE = 1                             # a 64-bit 1 in the compiled engine, for 1 << n

flags = 0


def take_flags() -> cython.int:
    """The flags raised since the last call, which clears them."""
    global flags
    raised: cython.int = flags
    flags = 0
    return raised


def raise_flags(f: cython.int) -> None:
    """Accrue exception flags (NV DZ OF UF NX) into the pending set fpu.accrue collects."""
    global flags
    flags |= f


# ---- fields of the two formats ----------------------------------------------------------

def frac_bits(d: cython.bint) -> cython.int:
    """Fraction bits of the format: 52 for double, 23 for single."""
    return 52 if d else 23


def bias(d: cython.bint) -> cython.int:
    """The exponent bias: 1023 for double, 127 for single."""
    return 1023 if d else 127


def sign_bit(d: cython.bint) -> cython.ulonglong:
    """The sign bit of the format: bit 63 or bit 31."""
    return SIGN64 if d else SIGN32


def exp_field(d: cython.bint, a: cython.ulonglong) -> cython.int:
    """The biased exponent field of a: bits 62:52 (double) or 30:23 (single)."""
    return (a >> 52) & 0x7FF if d else (a >> 23) & 0xFF


def frac(d: cython.bint, a: cython.ulonglong) -> cython.ulonglong:
    """The fraction field of a: bits 51:0 or 22:0."""
    return a & FRAC_D if d else a & 0x7FFFFF


def max_exp(d: cython.bint) -> cython.int:
    """The all-ones exponent of infinities and NaNs."""
    return 0x7FF if d else 0xFF


def is_neg(d: cython.bint, a: cython.ulonglong) -> cython.bint:
    """Whether a's sign bit is set (also for zeros and NaNs)."""
    return (a & sign_bit(d)) != 0


def is_nan(d: cython.bint, a: cython.ulonglong) -> cython.bint:
    """Whether a is a NaN (quiet or signalling)."""
    return exp_field(d, a) == max_exp(d) and frac(d, a) != 0


def is_snan(d: cython.bint, a: cython.ulonglong) -> cython.bint:
    """A signalling NaN has the most significant fraction bit clear (11.3)."""
    return is_nan(d, a) and (a >> (frac_bits(d) - 1)) & 1 == 0


def is_inf(d: cython.bint, a: cython.ulonglong) -> cython.bint:
    """Whether a is an infinity, of either sign."""
    return exp_field(d, a) == max_exp(d) and frac(d, a) == 0


def is_zero(d: cython.bint, a: cython.ulonglong) -> cython.bint:
    """Whether a is +0 or -0."""
    return (a & ~sign_bit(d)) == 0


def canonical(d: cython.bint) -> cython.ulonglong:
    """The canonical NaN RISC-V returns for every NaN result (11.3): positive, quiet, no payload."""
    return CANONICAL_D if d else CANONICAL_S


def infinity(d: cython.bint, negative: cython.bint) -> cython.ulonglong:
    """Infinity of the format with the given sign."""
    value: cython.ulonglong = INF_D if d else 0x7F800000
    return value | sign_bit(d) if negative else value


def zero(d: cython.bint, negative: cython.bint) -> cython.ulonglong:
    """Zero of the format with the given sign."""
    return sign_bit(d) if negative else 0


def clz(x: cython.ulonglong) -> cython.int:
    """Leading zeros of a 64-bit value (64 for zero), by halving the search."""
    if x == 0:
        return 64
    n: cython.int = 0
    if x >> 32 == 0:
        n += 32
        x = (x << 32) & MASK64
    if x >> 48 == 0:
        n += 16
        x = (x << 16) & MASK64
    if x >> 56 == 0:
        n += 8
        x = (x << 8) & MASK64
    if x >> 60 == 0:
        n += 4
        x = (x << 4) & MASK64
    if x >> 62 == 0:
        n += 2
        x = (x << 2) & MASK64
    if x >> 63 == 0:
        n += 1
    return n


def sig_of(d: cython.bint, a: cython.ulonglong) -> cython.ulonglong:
    """The significand of a finite nonzero value, leading one at bit 62 (subnormals too)."""
    fb: cython.int = frac_bits(d)
    sig: cython.ulonglong = frac(d, a)
    if exp_field(d, a):
        sig |= ONE << fb
    sig = sig << (62 - fb)
    return (sig << (clz(sig) - 1)) & MASK64


def exp_of(d: cython.bint, a: cython.ulonglong) -> cython.int:
    """The unbiased exponent that goes with sig_of."""
    e: cython.int = exp_field(d, a)
    if e:
        return e - bias(d)
    return 1 - bias(d) - (clz(frac(d, a) << (62 - frac_bits(d))) - 1)


def shift_right_jam(x: cython.ulonglong, n: cython.int) -> cython.ulonglong:
    """x >> n, with a 1 in the lowest place if any 1 was shifted out."""
    if n <= 0:
        return x
    if n >= 63:
        return x != 0
    return (x >> n) | ((x & ((ONE << n) - 1)) != 0)


# ---- rounding -----------------------------------------------------------------------------

def round_up(rm: cython.int, negative: cython.bint, odd: cython.bint,
             rest: cython.ulonglong, half: cython.ulonglong) -> cython.bint:
    """Whether to add one unit in the last place, given the cut-off bits `rest` and the
    weight `half` of the highest of them (11.2's rounding modes)."""
    if rest == 0 or rm == RTZ:
        return False
    if rm == RNE:
        return rest > half or (rest == half and odd)
    if rm == RDN:
        return negative
    if rm == RUP:
        return not negative
    return rest >= half                              # RMM: ties away from zero


def round_pack(d: cython.bint, negative: cython.bint, exp: cython.int, sig: cython.ulonglong,
               rm: cython.int) -> cython.ulonglong:
    """Round sig / 2^62 * 2^exp (sig nonzero, any position) to the format; raise NX, UF,
    OF as IEEE 754 says, with tininess detected after rounding."""
    global flags
    if sig & SIGN64:
        sig = (sig >> 1) | (sig & 1)
        exp += 1
    else:
        n: cython.int = clz(sig) - 1
        sig = (sig << n) & MASK64
        exp -= n
    p: cython.int = frac_bits(d) + 1                  # precision, hidden bit included
    e: cython.int = exp + bias(d)                     # biased exponent, if it is normal
    shift: cython.int = 63 - p                        # bits below the last kept place
    tiny: cython.bint = False
    kept: cython.ulonglong
    rest: cython.ulonglong
    if e < 1:
        # Tiny after rounding: the value rounded to p bits with an unbounded exponent is
        # still below the smallest normal. Only e == 0 can round up into it.
        kept = sig >> shift
        rest = sig & ((ONE << shift) - 1)
        if e < 0 or not round_up(rm, negative, kept & 1, rest, ONE << (shift - 1)) \
                or kept + 1 != ONE << p:
            tiny = True
        shift += 1 - e                                # keep fewer bits: a subnormal
        e = 1
        if shift > 63:
            sig = 1
            shift = 63
    kept = sig >> shift
    rest = sig & ((ONE << shift) - 1)
    if round_up(rm, negative, kept & 1, rest, ONE << (shift - 1)):
        kept += 1
    if rest:
        flags |= NX
        if tiny:
            flags |= UF
    # kept >> (p-1) is 1 for a normal (the hidden bit adds one to the exponent field), 0 for
    # a subnormal, 2 when rounding carried into the next binade.
    if e - 1 + cython.cast(cython.int, kept >> (p - 1)) >= max_exp(d):
        flags |= OF | NX
        if rm == RNE or rm == RMM or (rm == RUP and not negative) or (rm == RDN and negative):
            return infinity(d, negative)
        return infinity(d, negative) - 1              # the largest finite value
    result: cython.ulonglong = (cython.cast(cython.ulonglong, e - 1) << (p - 1)) + kept
    return result | sign_bit(d) if negative else result


# ---- arithmetic ---------------------------------------------------------------------------

def nan_result(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """Any NaN operand gives the canonical NaN; a signalling one raises NV."""
    global flags
    if is_snan(d, a) or is_snan(d, b):
        flags |= NV
    return canonical(d)


def add(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """a + b rounded by rm (IEEE 754 addition): NaNs and infinities first (inf - inf is NV),
    then the aligned significands with a sticky bit; an exact zero is -0 only under RDN."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        return nan_result(d, a, b)
    sa: cython.bint = is_neg(d, a)
    sb: cython.bint = is_neg(d, b)
    if is_inf(d, a):
        if is_inf(d, b) and sa != sb:
            flags |= NV                               # inf - inf
            return canonical(d)
        return a
    if is_inf(d, b):
        return b
    if is_zero(d, a) and is_zero(d, b):
        if sa == sb:
            return a
        return zero(d, rm == RDN)                     # x + (-x) is +0, or -0 rounding down
    if is_zero(d, a):
        return b
    if is_zero(d, b):
        return a
    ea: cython.int = exp_of(d, a)
    eb: cython.int = exp_of(d, b)
    xa: cython.ulonglong = sig_of(d, a)
    xb: cython.ulonglong = sig_of(d, b)
    if ea < eb or (ea == eb and xa < xb):             # the larger magnitude goes first
        ea, eb = eb, ea
        xa, xb = xb, xa
        sa, sb = sb, sa
    xb = shift_right_jam(xb, ea - eb)
    if sa == sb:
        return round_pack(d, sa, ea, xa + xb, rm)
    if xa == xb:
        return zero(d, rm == RDN)
    return round_pack(d, sa, ea, xa - xb, rm)


def sub(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """a - b: addition of b with its sign flipped."""
    return add(d, a, b ^ sign_bit(d), rm)


def mul(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """a * b rounded by rm; inf * 0 is NV and the canonical NaN."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        return nan_result(d, a, b)
    negative: cython.bint = is_neg(d, a) != is_neg(d, b)
    if is_inf(d, a) or is_inf(d, b):
        if is_zero(d, a) or is_zero(d, b):
            flags |= NV                               # inf * 0
            return canonical(d)
        return infinity(d, negative)
    if is_zero(d, a) or is_zero(d, b):
        return zero(d, negative)
    xa: cython.ulonglong = sig_of(d, a)
    xb: cython.ulonglong = sig_of(d, b)
    # The 126-bit product is in [2^124, 2^126); keep its top bits, the rest as sticky.
    hi: cython.ulonglong = alu.mulhu(xa, xb)
    lo: cython.ulonglong = (xa * xb) & MASK64
    sig: cython.ulonglong = ((hi << 2) & MASK64) | (lo >> 62) | ((lo & LOW62) != 0)
    return round_pack(d, negative, exp_of(d, a) + exp_of(d, b), sig, rm)


def div(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """a / b rounded by rm; x / 0 is DZ and infinity, 0 / 0 and inf / inf are NV."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        return nan_result(d, a, b)
    negative: cython.bint = is_neg(d, a) != is_neg(d, b)
    if is_inf(d, a):
        if is_inf(d, b):
            flags |= NV                               # inf / inf
            return canonical(d)
        return infinity(d, negative)
    if is_inf(d, b):
        return zero(d, negative)
    if is_zero(d, b):
        if is_zero(d, a):
            flags |= NV                               # 0 / 0
            return canonical(d)
        flags |= DZ
        return infinity(d, negative)
    if is_zero(d, a):
        return zero(d, negative)
    e: cython.int = exp_of(d, a) - exp_of(d, b)
    x: cython.ulonglong = sig_of(d, a)
    y: cython.ulonglong = sig_of(d, b)
    if x < y:
        x <<= 1
        e -= 1
    # Long division, one quotient bit per step: p + 2 bits, then the remainder as sticky.
    p: cython.int = frac_bits(d) + 1
    q: cython.ulonglong = 0
    i: cython.int
    for i in range(p + 2):
        q <<= 1
        if x >= y:
            x -= y
            q |= 1
        x = (x << 1) & MASK64
    return round_pack(d, negative, e + 61 - p, q | (x != 0), rm)


def sqrt(d: cython.bint, a: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """The square root of a, rounded by rm; of a negative number NV and the canonical NaN."""
    global flags
    if is_nan(d, a):
        return nan_result(d, a, a)
    if is_zero(d, a):
        return a                                      # sqrt(-0) is -0
    if is_neg(d, a):
        flags |= NV
        return canonical(d)
    if is_inf(d, a):
        return a
    e: cython.int = exp_of(d, a)
    x: cython.ulonglong = sig_of(d, a)
    if e & 1:                                         # make the exponent even: m in [1, 4)
        x <<= 1
        e -= 1
    # Digit-by-digit square root of x * 2^(2n - 64), two radicand bits per result bit:
    # after n = p + 2 steps, root = floor(sqrt(m) * 2^(n-1)) and rem says if it was exact.
    p: cython.int = frac_bits(d) + 1
    root: cython.ulonglong = 0
    rem: cython.ulonglong = 0
    pair: cython.ulonglong
    i: cython.int
    for i in range(p + 2):
        pair = (x >> (62 - 2 * i)) & 3 if i < 32 else 0
        rem = (rem << 2) | pair
        trial: cython.ulonglong = (root << 2) | 1
        root <<= 1
        if rem >= trial:
            rem -= trial
            root |= 1
    return round_pack(d, False, e // 2 + 61 - p, root | (rem != 0), rm)


def shr128_hi(hi: cython.ulonglong, n: cython.int) -> cython.ulonglong:
    """High word of the 128-bit hi:lo shifted right by n >= 1 (see shr128_lo)."""
    return 0 if n >= 64 else hi >> n


def shr128_lo(hi: cython.ulonglong, lo: cython.ulonglong, n: cython.int) -> cython.ulonglong:
    """Low word of hi:lo shifted right by n >= 1, with the sticky bit of what fell out."""
    if n >= 128:
        return (hi | lo) != 0
    if n >= 64:
        m: cython.int = n - 64
        sticky: cython.bint = lo != 0 or (m > 0 and (hi & ((ONE << m) - 1)) != 0)
        return (hi >> m) | sticky
    return (lo >> n) | ((hi << (64 - n)) & MASK64) | ((lo & ((ONE << n) - 1)) != 0)


def mul_add(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, c: cython.ulonglong,
            rm: cython.int) -> cython.ulonglong:
    """a * b + c with one rounding (fmadd; the other three negate a and/or c first)."""
    global flags
    za: cython.bint = is_zero(d, a)
    zb: cython.bint = is_zero(d, b)
    if is_nan(d, a) or is_nan(d, b) or is_nan(d, c):
        # inf * 0 is invalid even when the addend is a quiet NaN (11.6)
        if (is_inf(d, a) and zb) or (za and is_inf(d, b)):
            flags |= NV
        if is_snan(d, c):
            flags |= NV
        return nan_result(d, a, b)
    sp: cython.bint = is_neg(d, a) != is_neg(d, b)
    sc: cython.bint = is_neg(d, c)
    if is_inf(d, a) or is_inf(d, b):
        if za or zb or (is_inf(d, c) and sc != sp):
            flags |= NV
            return canonical(d)
        return infinity(d, sp)
    if is_inf(d, c):
        return c
    if za or zb:
        if is_zero(d, c) and sc != sp:
            return zero(d, rm == RDN)
        return c                                      # exact: 0 + c, or 0 + 0 of one sign
    # The exact product P = xa * xb in 128 bits: value = P / 2^124 * 2^pe.
    pe: cython.int = exp_of(d, a) + exp_of(d, b)
    xa: cython.ulonglong = sig_of(d, a)
    xb: cython.ulonglong = sig_of(d, b)
    phi: cython.ulonglong = alu.mulhu(xa, xb)
    plo: cython.ulonglong = (xa * xb) & MASK64
    if phi >> 61:                                     # P >= 2^125: halve (its low bit is 0)
        plo = (plo >> 1) | ((phi & 1) << 63)
        phi >>= 1
        pe += 1
    sign: cython.bint = sp
    if not is_zero(d, c):
        # c on the same scale, then the one with the smaller exponent shifted to match.
        ce: cython.int = exp_of(d, c)
        xc: cython.ulonglong = sig_of(d, c)
        chi: cython.ulonglong = xc >> 2
        clo: cython.ulonglong = (xc << 62) & MASK64
        if pe > ce:
            clo = shr128_lo(chi, clo, pe - ce)
            chi = shr128_hi(chi, pe - ce)
        elif ce > pe:
            plo = shr128_lo(phi, plo, ce - pe)
            phi = shr128_hi(phi, ce - pe)
            pe = ce
        if sp == sc:
            plo = (plo + clo) & MASK64
            phi = phi + chi + (plo < clo)
        else:
            if phi < chi or (phi == chi and plo < clo):
                phi, chi = chi, phi
                plo, clo = clo, plo
                sign = sc
            if phi == chi and plo == clo:
                return zero(d, rm == RDN)             # exact cancellation
            phi = phi - chi - (plo < clo)
            plo = (plo - clo) & MASK64
        # Bring the leading one back to bit 124 (after cancellation it may be far lower).
        n: cython.int = clz(phi) - 3 if phi else clz(plo) + 61
        if n >= 64:
            phi = (plo << (n - 64)) & MASK64
            plo = 0
            pe -= n
        elif n > 0:
            phi = ((phi << n) & MASK64) | (plo >> (64 - n))
            plo = (plo << n) & MASK64
            pe -= n
    sig: cython.ulonglong = ((phi << 2) & MASK64) | (plo >> 62) | ((plo & LOW62) != 0)
    return round_pack(d, sign, pe, sig, rm)


# ---- comparisons, min/max, classify (11.7-11.9) ---------------------------------------------

def less(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, zeros_equal: cython.bint) -> cython.bint:
    """a < b for non-NaN values; -0 < +0 unless zeros_equal."""
    sa: cython.bint = is_neg(d, a)
    if sa != is_neg(d, b):
        return sa and not (zeros_equal and is_zero(d, a | b))
    if a == b:
        return False
    return (a < b) != sa                              # sign-magnitude: negatives reverse


def feq(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """Quiet comparison: only a signalling NaN raises NV."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        if is_snan(d, a) or is_snan(d, b):
            flags |= NV
        return 0
    return 1 if a == b or is_zero(d, a | b) else 0


def flt(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """Signalling comparison: any NaN raises NV."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        flags |= NV
        return 0
    return 1 if less(d, a, b, True) else 0


def fle(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong) -> cython.ulonglong:
    """FLE: 1 if a <= b; any NaN is NV and 0 (a signalling compare)."""
    global flags
    if is_nan(d, a) or is_nan(d, b):
        flags |= NV
        return 0
    return 1 if a == b or is_zero(d, a | b) or less(d, a, b, True) else 0


def min_max(d: cython.bint, a: cython.ulonglong, b: cython.ulonglong, want_max: cython.bint) -> cython.ulonglong:
    """IEEE 754-2019 minimumNumber/maximumNumber: a NaN loses to a number, two NaNs give
    the canonical NaN, -0 is less than +0; a signalling NaN raises NV."""
    global flags
    if is_snan(d, a) or is_snan(d, b):
        flags |= NV
    if is_nan(d, a):
        return canonical(d) if is_nan(d, b) else b
    if is_nan(d, b):
        return a
    if less(d, a, b, False) != want_max:
        return a
    return b


def fclass(d: cython.bint, a: cython.ulonglong) -> cython.ulonglong:
    """One bit of table 11.5: -inf, -normal, -subnormal, -0, +0, +subnormal, +normal,
    +inf, signalling NaN, quiet NaN."""
    negative: cython.bint = is_neg(d, a)
    if is_nan(d, a):
        return 1 << 8 if is_snan(d, a) else 1 << 9
    if is_inf(d, a):
        return 1 if negative else 1 << 7
    if is_zero(d, a):
        return 1 << 3 if negative else 1 << 4
    if exp_field(d, a) == 0:
        return 1 << 2 if negative else 1 << 5
    return 1 << 1 if negative else 1 << 6


# ---- conversions (11.7, 12.5) ----------------------------------------------------------------

def to_int(d: cython.bint, a: cython.ulonglong, rm: cython.int, kind: cython.int) -> cython.ulonglong:
    """fcvt.{w,wu,l,lu}.{s,d} (kind 0-3): the integer as x[rd] holds it (32-bit results
    sign-extended). Out of range, infinite or NaN: the saturated value of table 11.4, NV."""
    global flags
    negative: cython.bint = is_neg(d, a)
    high: cython.ulonglong                            # largest result, as a magnitude
    low: cython.ulonglong                             # largest magnitude of a negative result
    if kind == 0:
        high = 0x7FFFFFFF
        low = SIGN32
    elif kind == 1:
        high = MASK32
        low = 0
    elif kind == 2:
        high = INT64_MAX
        low = SIGN64
    else:
        high = MASK64
        low = 0
    if is_nan(d, a):
        negative = False
    mag: cython.ulonglong = 0
    rest: cython.ulonglong = 0
    invalid: cython.bint = is_nan(d, a) or is_inf(d, a)
    if not invalid and not is_zero(d, a):
        e: cython.int = exp_of(d, a)
        x: cython.ulonglong = sig_of(d, a)
        if e > 63:
            invalid = True
        elif e >= 62:
            mag = (x << (e - 62)) & MASK64
        else:
            shift: cython.int = 62 - e
            if shift > 63:
                x = 1
                shift = 63
            mag = x >> shift
            rest = x & ((ONE << shift) - 1)
            if round_up(rm, negative, mag & 1, rest, ONE << (shift - 1)):
                mag += 1
        if (negative and mag > low) or (not negative and mag > high):
            invalid = True
    result: cython.ulonglong
    if invalid:
        flags |= NV
        result = ((0 - low) & MASK64) if negative else high
    else:
        if rest:
            flags |= NX
        result = ((0 - mag) & MASK64) if negative else mag
    if kind < 2:
        result = alu.sext(result, 32)
    return result


def from_int(d: cython.bint, value: cython.ulonglong, rm: cython.int, kind: cython.int) -> cython.ulonglong:
    """fcvt.{s,d}.{w,wu,l,lu} (kind 0-3) from the integer register's value."""
    negative: cython.bint = False
    mag: cython.ulonglong
    if kind == 0:
        mag = alu.sext(value, 32)
    elif kind == 1:
        mag = value & MASK32
    else:
        mag = value
    if kind % 2 == 0 and mag & SIGN64:
        negative = True
        mag = (0 - mag) & MASK64
    if mag == 0:
        return 0
    return round_pack(d, negative, 62, mag, rm)


def narrow(a: cython.ulonglong, rm: cython.int) -> cython.ulonglong:
    """fcvt.s.d: a double rounded to single."""
    if is_nan(True, a):
        nan_result(True, a, a)
        return CANONICAL_S
    negative: cython.bint = is_neg(True, a)
    if is_inf(True, a):
        return infinity(False, negative)
    if is_zero(True, a):
        return zero(False, negative)
    return round_pack(False, negative, exp_of(True, a), sig_of(True, a), rm)


def widen(a: cython.ulonglong) -> cython.ulonglong:
    """fcvt.d.s: every single is exactly a double."""
    if is_nan(False, a):
        nan_result(False, a, a)
        return CANONICAL_D
    negative: cython.bint = is_neg(False, a)
    if is_inf(False, a):
        return infinity(True, negative)
    if is_zero(False, a):
        return zero(True, negative)
    return round_pack(True, negative, exp_of(False, a), sig_of(False, a), RNE)
