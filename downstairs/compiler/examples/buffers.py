"""Message buffers with one owner (docs/ownership.md), as Singularity's exchange heap has them.

A Buffer is @linear: it is created here (new_buffer), changed only through this module's
functions, and ends here (release); between those it moves from owner to owner. A Receipt is
a @resource (one owner, but it may simply be dropped) that says where a buffer went.
"""

from downstairs.compiler.runtime import u8, u32, u64, linear, resource, Array, Ref, MutRef

CAPACITY = 64


@linear
class Buffer:
    length: u32
    data: Array[u8, 64]      # 68 bytes: a result this big travels through a hidden address


@resource
class Receipt:
    hops: u32
    length: u32
    check: u32               # 12 bytes: a result in a0 and a1


def new_buffer() -> Buffer:
    b = Buffer()
    return b


def release(b: Buffer) -> None:
    del b


def append(b: MutRef[Buffer], byte: u8) -> None:
    assert b.length < CAPACITY
    b.data[b.length] = byte
    b.length += 1


def byte_at(b: Ref[Buffer], i: u32) -> u8:
    assert i < b.length
    return b.data[i]


def length(b: Ref[Buffer]) -> u32:
    return b.length


def checksum(b: Ref[Buffer]) -> u32:
    """Fletcher-16 over the bytes in use."""
    low: u32 = 0
    high: u32 = 0
    for i in range(b.length):
        low = (low + u32(b.data[i])) % 255
        high = (high + low) % 255
    return (high << 8) | low


def receipt(hops: u32, b: Ref[Buffer]) -> Receipt:
    r = Receipt(hops, b.length, checksum(b))
    return r
