"""SHA-256 (FIPS 180-4: 5.1.1 padding, 6.2 the hash) in the typed subset, for the boot loader's
check of an image; CPython runs the same code, and the tests hold it against hashlib.

A hash is a Sha256 record fed bytes from memory in pieces of any length (update), then
finished into 32 bytes of digest (finish):

    state   eight u32 words H0..H7 (big-endian in the digest)
    block   the message block being filled: 64 bytes
    used    how many bytes of it are filled
    length  the bytes hashed so far (the padding ends with it in bits, big-endian)

A block is 16 big-endian words W0..W15, expanded to 64 (the message schedule, `w`), then 64
rounds on eight working variables a..h. Each round costs about 40 instructions compiled, so a
block about 3,000: some 47 instructions per byte.
"""

from downstairs.compiler.runtime import u8, u32, u64, record, array, Array, addr, load8, load32, store8

# The round constants K0..K63: the first 32 bits of the fractional parts of the cube roots of
# the first 64 primes (FIPS 180-4 4.2.2), big-endian. tests/image/test_sha256.py recomputes them.
ROUND_CONSTANTS = (
    b"\x42\x8a\x2f\x98\x71\x37\x44\x91\xb5\xc0\xfb\xcf\xe9\xb5\xdb\xa5"
    b"\x39\x56\xc2\x5b\x59\xf1\x11\xf1\x92\x3f\x82\xa4\xab\x1c\x5e\xd5"
    b"\xd8\x07\xaa\x98\x12\x83\x5b\x01\x24\x31\x85\xbe\x55\x0c\x7d\xc3"
    b"\x72\xbe\x5d\x74\x80\xde\xb1\xfe\x9b\xdc\x06\xa7\xc1\x9b\xf1\x74"
    b"\xe4\x9b\x69\xc1\xef\xbe\x47\x86\x0f\xc1\x9d\xc6\x24\x0c\xa1\xcc"
    b"\x2d\xe9\x2c\x6f\x4a\x74\x84\xaa\x5c\xb0\xa9\xdc\x76\xf9\x88\xda"
    b"\x98\x3e\x51\x52\xa8\x31\xc6\x6d\xb0\x03\x27\xc8\xbf\x59\x7f\xc7"
    b"\xc6\xe0\x0b\xf3\xd5\xa7\x91\x47\x06\xca\x63\x51\x14\x29\x29\x67"
    b"\x27\xb7\x0a\x85\x2e\x1b\x21\x38\x4d\x2c\x6d\xfc\x53\x38\x0d\x13"
    b"\x65\x0a\x73\x54\x76\x6a\x0a\xbb\x81\xc2\xc9\x2e\x92\x72\x2c\x85"
    b"\xa2\xbf\xe8\xa1\xa8\x1a\x66\x4b\xc2\x4b\x8b\x70\xc7\x6c\x51\xa3"
    b"\xd1\x92\xe8\x19\xd6\x99\x06\x24\xf4\x0e\x35\x85\x10\x6a\xa0\x70"
    b"\x19\xa4\xc1\x16\x1e\x37\x6c\x08\x27\x48\x77\x4c\x34\xb0\xbc\xb5"
    b"\x39\x1c\x0c\xb3\x4e\xd8\xaa\x4a\x5b\x9c\xca\x4f\x68\x2e\x6f\xf3"
    b"\x74\x8f\x82\xee\x78\xa5\x63\x6f\x84\xc8\x78\x14\x8c\xc7\x02\x08"
    b"\x90\xbe\xff\xfa\xa4\x50\x6c\xeb\xbe\xf9\xa3\xf7\xc6\x71\x78\xf2"
)
# The initial hash value H0..H7: the first 32 bits of the fractional parts of the square roots
# of the first 8 primes (5.3.3), big-endian.
INITIAL = (
    b"\x6a\x09\xe6\x67\xbb\x67\xae\x85\x3c\x6e\xf3\x72\xa5\x4f\xf5\x3a"
    b"\x51\x0e\x52\x7f\x9b\x05\x68\x8c\x1f\x83\xd9\xab\x5b\xe0\xcd\x19"
)
DIGEST_SIZE = 32
BLOCK_SIZE = 64


@record
class Sha256:
    state: Array[u32, 8]
    block: Array[u8, 64]
    used: u64
    length: u64


k = array(u32, 64)                  # the round constants as words (filled by start())
w = array(u32, 64)                  # the message schedule of the block being compressed


def word(table: bytes, i: u64) -> u32:
    """The big-endian u32 at index `i` of a table of words."""
    return (u32(table[4 * i]) << 24) | (u32(table[4 * i + 1]) << 16) | (u32(table[4 * i + 2]) << 8) \
        | u32(table[4 * i + 3])


def start(h: Sha256) -> None:
    """A fresh hash of nothing yet."""
    for t in range(64):
        k[t] = word(ROUND_CONSTANTS, u64(t))
    for i in range(8):
        h.state[i] = word(INITIAL, u64(i))
    h.used = 0
    h.length = 0


def big_endian(x: u32) -> u32:
    """A little-endian load's value as the big-endian word the same bytes make."""
    return (x << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24)


def compress(h: Sha256, address: u64) -> None:
    """Hash the 64-byte block at `address` into the state (6.2.2, steps 1 to 4)."""
    for t in range(16):
        w[t] = big_endian(load32(address + u64(4 * t)))
    for t in range(16, 64):
        x = w[t - 2]
        y = w[t - 15]
        s1 = ((x >> 17) | (x << 15)) ^ ((x >> 19) | (x << 13)) ^ (x >> 10)
        s0 = ((y >> 7) | (y << 25)) ^ ((y >> 18) | (y << 14)) ^ (y >> 3)
        w[t] = s1 + w[t - 7] + s0 + w[t - 16]
    a = h.state[0]
    b = h.state[1]
    c = h.state[2]
    d = h.state[3]
    e = h.state[4]
    f = h.state[5]
    g = h.state[6]
    hh = h.state[7]
    for t in range(64):
        t1 = hh + (((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))) \
            + ((e & f) ^ (~e & g)) + k[t] + w[t]
        t2 = (((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))) \
            + ((a & b) ^ (a & c) ^ (b & c))
        hh = g
        g = f
        f = e
        e = d + t1
        d = c
        c = b
        b = a
        a = t1 + t2
    h.state[0] += a
    h.state[1] += b
    h.state[2] += c
    h.state[3] += d
    h.state[4] += e
    h.state[5] += f
    h.state[6] += g
    h.state[7] += hh


def update(h: Sha256, address: u64, length: u64) -> None:
    """Hash `length` more bytes from memory at `address`: whole blocks straight from memory
    when no partial block is waiting, the rest through h.block."""
    h.length += length
    at: u64 = 0
    while at < length:
        if h.used == 0 and length - at >= BLOCK_SIZE:
            compress(h, address + at)
            at += BLOCK_SIZE
        else:
            h.block[h.used] = load8(address + at)
            h.used += 1
            at += 1
            if h.used == BLOCK_SIZE:
                compress(h, addr(h.block))
                h.used = 0


def finish(h: Sha256, out: u64) -> None:
    """Pad the message (a 1 bit, zeros, its length in bits: 5.1.1) and write the 32-byte
    digest to `out`."""
    bits = h.length * 8
    h.block[h.used] = 0x80
    h.used += 1
    if h.used > BLOCK_SIZE - 8:
        while h.used < BLOCK_SIZE:
            h.block[h.used] = 0
            h.used += 1
        compress(h, addr(h.block))
        h.used = 0
    while h.used < BLOCK_SIZE - 8:
        h.block[h.used] = 0
        h.used += 1
    for i in range(8):
        h.block[BLOCK_SIZE - 1 - i] = u8(bits >> u64(8 * i))
    compress(h, addr(h.block))
    for i in range(8):
        for j in range(4):
            store8(out + u64(4 * i + j), u8(h.state[i] >> u32(24 - 8 * j)))
