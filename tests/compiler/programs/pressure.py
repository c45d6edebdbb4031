"""Register pressure: more live values than registers (spills), values live across calls,
a stack frame bigger than an immediate can reach, and a call with all eight argument registers."""

from downstairs.compiler.runtime import u8, u32, u64, i64, array
from uart import put_u64, put_i64, putc, newline
from virt import exit, trap_handler


def mix(a: u64, b: u64) -> u64:
    return (a * 31) ^ (b + 7)


def eight(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64:
    return a - b + c - d + e - f + g - h


def crowded(seed: u64) -> u64:
    v0 = seed + 1
    v1 = mix(v0, 2)
    v2 = mix(v1, v0)
    v3 = mix(v2, v1)
    v4 = mix(v3, v2)
    v5 = mix(v4, v3)
    v6 = mix(v5, v4)
    v7 = mix(v6, v5)
    v8 = mix(v7, v6)
    v9 = mix(v8, v7)
    v10 = mix(v9, v8)
    v11 = mix(v10, v9)
    v12 = mix(v11, v10)
    v13 = mix(v12, v11)
    v14 = mix(v13, v12)
    v15 = mix(v14, v13)
    v16 = mix(v15, v14)
    v17 = mix(v16, v15)
    total = v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9 + v10 + v11 + v12 + v13 + v14 + v15 + v16 + v17
    total ^= eight(v17, v16, v15, v14, v13, v12, v11, v10)
    total ^= eight(v0, v1, v2, v3, v4, v5, v6, v7) * eight(v8, v9, v10, v11, v12, v13, v14, v15)
    return total + ((v0 * v1) ^ (v2 * v3)) + ((v4 - v5) * (v6 | v7)) + ((v8 & v9) - (v10 ^ v11)) \
        + ((v12 + v13) * (v14 - v15)) + v16 * v17


def wide_expression(x: i64) -> i64:
    return ((x + 1) * (x + 2) - (x + 3) * (x + 4)) * (((x + 5) * (x + 6) - (x + 7) * (x + 8))
                                                      + ((x + 9) * (x + 10) - (x + 11) * (x + 12))
                                                      * ((x + 13) * (x + 14) - (x + 15) * (x + 16)))


def big_frame(n: u64) -> u64:
    buf = array(u8, 5000)
    words = array(u64, 300)
    for i in range(5000):
        buf[i] = u8(i * 7)
    for i in range(300):
        words[i] = u64(i) * n
    total: u64 = 0
    for i in range(5000):
        total += u64(buf[i])
    return total + words[299] + mix(total, words[1])


def main() -> None:
    put_u64(crowded(5))
    newline()
    put_i64(wide_expression(3))
    putc(32)
    put_i64(wide_expression(-20))
    newline()
    put_u64(big_frame(3))
    newline()
    exit(0)
