"""Pieces a kernel has: a ring buffer from another module, a bump allocator over a static
arena, a small state machine over bytes, and a table of records searched by key."""

from downstairs.compiler.runtime import u8, u16, u32, u64, i64, record, array
import ring
from ring import Ring
from uart import put_u64, put_hex, putc, puts, newline
from virt import exit, trap_handler

ARENA_SIZE = 4096
arena = array(u8, ARENA_SIZE)
next_free: u64 = 0
queue = Ring()


@record
class Entry:
    key: u16
    used: bool
    value: i64


table = array(Entry, 16)


def alloc(size: u64, align: u64) -> u64:
    """Offset of `size` fresh bytes in the arena, or ARENA_SIZE when it is full."""
    global next_free
    start = (next_free + align - 1) // align * align
    if start + size > ARENA_SIZE:
        return ARENA_SIZE
    next_free = start + size
    return start


def insert(key: u16, value: i64) -> None:
    slot = u64(key) % 16
    for probe in range(16):
        e = table[(slot + u64(probe)) % 16]
        if not e.used or e.key == key:
            e.used = True
            e.key = key
            e.value = value
            return


def lookup(key: u16) -> i64:
    slot = u64(key) % 16
    for probe in range(16):
        e = table[(slot + u64(probe)) % 16]
        if not e.used:
            return -1
        if e.key == key:
            return e.value
    return -1


def count_words(text: bytes) -> u32:
    """A two-state machine: inside a word or between words."""
    words: u32 = 0
    inside = False
    for i in range(len(text)):
        c = text[i]
        space = c == 32 or c == 10 or c == 9
        if inside and space:
            inside = False
        elif not inside and not space:
            inside = True
            words += 1
    return words


def main() -> None:
    for k in range(12):
        if not ring.push(queue, u64(k * k)):
            putc(120)
    newline()
    total: u64 = 0
    while queue.count > 0:
        total += ring.pop(queue)
    put_u64(total)
    putc(32)
    put_u64(queue.dropped)
    newline()
    a = alloc(10, 8)
    b = alloc(3, 1)
    c = alloc(64, 16)
    d = alloc(5000, 8)
    put_u64(a)
    putc(32)
    put_u64(b)
    putc(32)
    put_u64(c)
    putc(32)
    put_u64(d)
    newline()
    for i in range(c, c + 64):
        arena[i] = u8(i)
    sum8: u8 = 0
    for i in range(c, c + 64):
        sum8 += arena[i]
    put_u64(u64(sum8))
    newline()
    for k in range(10):
        insert(u16(k * 37), i64(k) * 1000 - 3000)
    insert(37, 99)
    put_u64(u64(lookup(37) + 1000))
    putc(32)
    put_u64(u64(lookup(333) + 1000))
    putc(32)
    put_u64(u64(lookup(5) + 1000))
    newline()
    put_u64(u64(count_words(b"  the kernel\tboots\nand  runs ")))
    newline()
    exit(0)
