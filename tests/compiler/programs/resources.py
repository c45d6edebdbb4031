"""Resources of every size and alignment moved around: returned in a0 (up to 8 bytes), in a0
and a1 (up to 16), through the caller's address (bigger); moved between names, into fields,
array elements and a global; results kept while many values are live (spilled)."""

from downstairs.compiler.runtime import u8, u16, u32, u64, i8, resource, array, Array, Ref
from uart import put_u64, put_hex, putc, newline
from virt import exit, trap_handler


@resource
class Three:            # 3 bytes, 1-aligned: one register, built from byte loads
    a: u8
    b: u8
    c: i8


@resource
class Nine:             # 9 bytes, 1-aligned: two registers
    v: Array[u8, 9]


@resource
class Shorts:           # 6 bytes, 2-aligned
    x: u16
    y: u16
    z: u16


@resource
class Words:            # 12 bytes, 4-aligned: a0 holds x and y, a1 holds z
    x: u32
    y: u32
    z: u32


@resource
class Pair:             # 16 bytes: a0 and a1
    lo: u64
    hi: u64


@resource
class Big:              # 24 bytes: written through the address the caller passes
    p: Pair
    n: u64


@resource
class Shelf:            # resources stored in fields
    w: Words
    big: Big


shelf = Shelf()
spares = array(Pair, 3)
last: Pair = Pair()


def three(k: u8) -> Three:
    t = Three(k, k + 1, i8(-3))
    return t


def nine(k: u8) -> Nine:
    n = Nine()
    for i in range(9):
        n.v[i] = k + u8(i) * 3
    return n


def shorts(k: u16) -> Shorts:
    s = Shorts(k, k * 2, 0xFFFF - k)
    return s


def words(k: u32) -> Words:
    w = Words(k, ~k, k * 7)
    return w


def pair(k: u64) -> Pair:
    p = Pair(k, k << 32 | 0xABCD)
    return p


def big(k: u64) -> Big:
    b = Big()
    b.p.lo = k
    b.p.hi = k * 3
    b.n = 99
    return b


def pass_pair(p: Pair) -> Pair:
    return p


def pass_big(b: Big) -> Big:
    c = b
    return c


def sum_pair(p: Ref[Pair]) -> u64:
    return p.lo + p.hi


def main() -> None:
    global last
    t = three(200)
    put_u64(u64(t.a) + u64(t.b))
    putc(32)
    put_u64(u64(t.c + 10))
    newline()
    n = nine(5)
    total: u64 = 0
    for i in range(9):
        total = total * 3 + u64(n.v[i])
    put_u64(total)
    newline()
    s = shorts(300)
    put_u64(u64(s.x) + u64(s.y) + u64(s.z))
    newline()
    w = words(0x12345678)
    put_hex(u64(w.x), 8)
    putc(32)
    put_hex(u64(w.y), 8)
    putc(32)
    put_hex(u64(w.z), 8)
    newline()
    # many values live across calls that return two registers
    a0: u64 = 1
    a1: u64 = 2
    a2: u64 = 3
    a3: u64 = 4
    a4: u64 = 5
    a5: u64 = 6
    a6: u64 = 7
    a7: u64 = 8
    a8: u64 = 9
    a9: u64 = 10
    a10: u64 = 11
    a11: u64 = 12
    a12: u64 = 13
    a13: u64 = 14
    p = pair(a0 + a13)
    q = pass_pair(p)
    put_u64(sum_pair(q) + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13)
    newline()
    spares[1] = q
    last = pair(77)
    put_u64(sum_pair(spares[1]))
    putc(32)
    put_u64(sum_pair(last))
    newline()
    b = big(1000)
    c = pass_big(b)
    shelf.big = c
    w2 = words(3)
    shelf.w = w2
    put_u64(shelf.big.p.lo + shelf.big.p.hi + shelf.big.n + u64(shelf.w.z))
    newline()
    exit(0)
