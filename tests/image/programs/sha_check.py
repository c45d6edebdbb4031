"""The boot loader's SHA-256 on test messages, digests printed in hex, one per line: the test
compares them with hashlib's, under CPython and compiled on QEMU and our machine.

The messages: the empty one; "abc" (FIPS 180-2's example); every length from 0 to 130 bytes of
a pattern, fed in one piece (lengths across the 55/56-byte padding edge and two blocks); 1,000
bytes fed in uneven pieces; and 4,096 bytes fed a sector at a time, as the boot loader does.
"""

from downstairs.compiler.runtime import u8, u64, array, addr, run
from uart import putc, puts
from virt import exit, trap_handler  # noqa: F401  (the trap handler: mtvec points at it)
import sha256
from sha256 import Sha256

HEX = b"0123456789abcdef"
h = Sha256()
data = array(u8, 4096)
digest = array(u8, 32)
abc = array(u8, 3)


def pattern(n: u64) -> u8:
    return u8(n * 131 + (n >> 8) * 7 + 1)


def show() -> None:
    sha256.finish(h, addr(digest))
    for i in range(32):
        putc(HEX[digest[i] >> 4])
        putc(HEX[digest[i] & 15])
    putc(10)


def main() -> None:
    for i in range(4096):
        data[i] = pattern(u64(i))
    sha256.start(h)
    show()
    sha256.start(h)
    abc[0] = 97
    abc[1] = 98
    abc[2] = 99
    sha256.update(h, addr(abc), 3)
    show()
    for n in range(131):
        sha256.start(h)
        sha256.update(h, addr(data), u64(n))
        show()
    sha256.start(h)
    done: u64 = 0
    piece: u64 = 1
    while done < 1000:
        if done + piece > 1000:
            piece = 1000 - done
        sha256.update(h, addr(data) + done, piece)
        done += piece
        piece = piece * 3 % 97 + 1
    show()
    sha256.start(h)
    for sector in range(8):
        sha256.update(h, addr(data) + u64(512 * sector), 512)
    show()
    puts(b"done\n")
    exit(0)


if __name__ == "__main__":
    run(main)
