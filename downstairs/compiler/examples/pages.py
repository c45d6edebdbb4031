"""Frames handed around: allocated, filled, passed on, returned and freed on every path."""

from downstairs.compiler.runtime import u8, u32, u64, Ref, run
from uart import puts, put_u64, put_hex, putc, newline
from virt import exit, trap_handler
from frames import Frame, add_region, frames_free, alloc_frame, free_frame, frame_base, fill_frame, frame_sum

REGION = 0x80100000          # 1 MiB into RAM, clear of the program, its data and its stack


def zeroed() -> Frame:
    """A fresh frame filled with zeros: ownership comes back to the caller."""
    f = alloc_frame()
    fill_frame(f, 0)
    return f


def keep_larger(a: Frame, b: Frame) -> Frame:
    """Takes two frames, frees the one at the lower address, returns the other."""
    if frame_base(a) > frame_base(b):
        free_frame(b)
        return a
    free_frame(a)
    return b


def show(label: bytes, f: Ref[Frame]) -> None:
    puts(label)
    put_hex(frame_base(f), 8)
    putc(32)
    put_u64(frame_sum(f))
    newline()


def main() -> None:
    add_region(REGION, 8)
    a = alloc_frame()
    b = zeroed()
    fill_frame(a, 1)
    show(b"a ", a)
    show(b"b ", b)
    c = keep_larger(a, b)
    show(b"kept ", c)
    total: u64 = 0
    for i in range(5):
        f = alloc_frame()
        fill_frame(f, u8(i + 2))
        total += frame_sum(f) >> 12
        if i % 2 == 0:
            free_frame(f)
        else:
            g = f                     # a move between names: f is dead, g owns it
            free_frame(g)
    put_u64(total)
    newline()
    free_frame(c)
    put_u64(u64(frames_free()))
    newline()
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
