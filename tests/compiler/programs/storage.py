"""addr() of a bytes constant and noinit() storage (docs/compiler-language.md, "Addresses"):
a constant read a word at a time from its address, a buffer the entry code leaves as it is,
and the small helpers the compiler inlines (a byte swap, a copy step) on the way."""

from downstairs.compiler.runtime import u32, u64, addr, array, noinit, load8, load32, store32
from uart import puts, put_u64, newline
from virt import exit
from virt import trap_handler  # noqa: F401  (mtvec points at it)

WORDS = b"abcdefghijklmnop"               # 16 bytes: four words
scratch = noinit(array(u32, 64))
counted = array(u64, 4)                   # .bss: zero at the start


def swap(v: u32) -> u32:
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)


def copy_words(to: u64, text: bytes) -> u64:
    start = addr(text)
    for k in range(0, len(text), 4):
        store32(to + k, load32(start + k))
    return len(text)


def main() -> None:
    for k in range(len(scratch)):                 # written before it is read
        scratch[k] = swap(u32(k))
    total: u64 = 0
    for k in range(len(scratch)):
        total += u64(swap(scratch[k]))
    put_u64(total)
    newline()
    n = copy_words(addr(scratch), WORDS)
    same: u64 = 0
    for i in range(len(WORDS)):
        if load8(addr(scratch) + i) == WORDS[i] and load8(addr(WORDS) + i) == WORDS[i]:
            same += 1
    put_u64(n)
    puts(b" bytes copied, ")
    put_u64(same)
    puts(b" the same\n")
    put_u64(u64(load32(addr(WORDS) + 4) == 0x68676665))      # "efgh", little-endian
    put_u64(counted[3])
    newline()
    exit(0)
