"""A page-frame allocator whose frames cannot be forged (docs/ownership.md).

A Frame is @linear: whoever holds one must hand it back (free_frame) or pass it on, on every
path; only this module can make one (alloc_frame) or end one (free_frame), and only this
module can change the address inside one. So owning a Frame is the right to use the 4 KiB of
memory it names, as in Theseus. The free frames are a stack of addresses.
"""

from downstairs.compiler.runtime import u8, u32, u64, linear, array, Ref, MutRef, load64, store64

FRAME_SIZE = 4096
MAX_FRAMES = 64

free_list = array(u64, MAX_FRAMES)
free_count: u32 = 0


@linear
class Frame:
    base: u64          # physical address of the frame's first byte


def add_region(start: u64, count: u32) -> None:
    """Give the allocator `count` frames from `start` (4 KiB aligned) on."""
    global free_count
    for i in range(count):
        assert free_count < MAX_FRAMES
        free_list[free_count] = start + u64(count - 1 - i) * FRAME_SIZE
        free_count += 1


def frames_free() -> u32:
    return free_count


def alloc_frame() -> Frame:
    """A frame nobody else owns (a failed assert if there is none)."""
    global free_count
    assert free_count > 0
    free_count -= 1
    f = Frame(free_list[free_count])
    return f


def free_frame(f: Frame) -> None:
    """The end of a frame: its address goes back on the free stack."""
    global free_count
    free_list[free_count] = f.base
    free_count += 1
    del f


def frame_base(f: Ref[Frame]) -> u64:
    return f.base


def fill_frame(f: MutRef[Frame], byte: u8) -> None:
    """Write `byte` to every byte of the frame's memory (exclusive: we change what it owns)."""
    word = u64(byte) * 0x0101010101010101
    for k in range(FRAME_SIZE // 8):
        store64(f.base + u64(k) * 8, word)


def frame_sum(f: Ref[Frame]) -> u64:
    """The sum of the frame's memory read as 64-bit words."""
    total: u64 = 0
    for k in range(FRAME_SIZE // 8):
        total += load64(f.base + u64(k) * 8)
    return total
