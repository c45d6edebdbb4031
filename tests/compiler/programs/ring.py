"""A ring buffer record with an array inside, used from another module."""

from downstairs.compiler.runtime import u8, u32, u64, record, Array

CAPACITY = 8


@record
class Ring:
    head: u32
    tail: u32
    count: u32
    items: Array[u64, CAPACITY]
    dropped: u64


def push(r: Ring, value: u64) -> bool:
    if r.count == CAPACITY:
        r.dropped += 1
        return False
    r.items[r.tail] = value
    r.tail = (r.tail + 1) % CAPACITY
    r.count += 1
    return True


def pop(r: Ring) -> u64:
    assert r.count > 0
    value = r.items[r.head]
    r.head = (r.head + 1) % CAPACITY
    r.count -= 1
    return value
