"""A buffer handed through three functions and back: each takes ownership, works on the
buffer (through borrows), and returns it; the caller gets it back and releases it."""

from downstairs.compiler.runtime import u8, u32, u64, Ref, MutRef, run
from uart import puts, put_u64, putc, newline
from virt import exit, trap_handler
from buffers import Buffer, Receipt, new_buffer, release, append, byte_at, length, checksum, receipt


def write_text(b: MutRef[Buffer], text: bytes) -> None:
    for i in range(len(text)):
        append(b, text[i])


def show(b: Ref[Buffer]) -> None:
    for i in range(length(b)):
        putc(byte_at(b, u32(i)))
    putc(32)
    put_u64(u64(checksum(b)))
    newline()


def compose() -> Buffer:
    """The first owner: makes the message."""
    b = new_buffer()
    write_text(b, b"hello")
    return b


def deliver(b: Buffer) -> Buffer:
    """The last owner: stamps the message and sends it back."""
    write_text(b, b" world")
    return b


def forward(b: Buffer) -> Buffer:
    """Hands the buffer on to deliver(), marked; what comes back goes back."""
    append(b, 62)
    return deliver(b)


def relay(b: Buffer, hops: u32) -> Buffer:
    """Hands the buffer to itself `hops` times, adding a mark each time, then to forward()."""
    if hops == 0:
        return forward(b)
    append(b, 45)
    return relay(b, hops - 1)


def main() -> None:
    m = compose()
    show(m)
    m = relay(m, 3)           # relay -> relay -> relay -> relay -> forward -> deliver, and back
    show(m)
    r = receipt(3, m)
    put_u64(u64(r.hops))
    putc(32)
    put_u64(u64(r.length))
    putc(32)
    put_u64(u64(r.check))
    newline()
    kept = m                 # moved: `m` is dead from here on
    release(kept)
    exit(0)


if __name__ == "__main__":
    run(main)       # under CPython: the same program on a model of the board
