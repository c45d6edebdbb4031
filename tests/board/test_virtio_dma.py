"""Device DMA into the machine's RAM (machine/dma.py) and the harts' decoded-instruction cache.

A device's write must reach the harts like QEMU's does: an instruction decoded before the write
is decoded again from the new bytes. `Hart.flush_decoded_range` forgets only the blocks of
decoded instructions that overlap the write, so the tests also show that a block outside the
range keeps its old decode (RAM changed behind the cache's back, here by poking the buffer
directly, which no device does). Every test runs on both engines.
"""

import pytest

from downstairs.devices.memory import GuestMemoryError
from downstairs.isa import encode as e
from downstairs.machine.machine import Machine
from downstairs.machine.virt import RAM_BASE
from downstairs.machine.core.ops import BK_SIZE
from downstairs.machine.dma import RamMemory

A0, A1, A2 = 10, 11, 12
RAM_SIZE = 1 << 20


def addi(rd: int, imm: int) -> bytes:
    return e.to_bytes([e.i("addi", rd, 0, imm)])


def setup(engine):
    machine = Machine(engine, RAM_BASE, RAM_SIZE)
    memory = RamMemory(machine.ram, RAM_BASE, RAM_SIZE, machine.harts)
    return machine, memory, machine.harts[0]


def run_at(engine, hart, pc: int, steps: int) -> None:
    """Run `steps` instructions from pc. (The first fetch from a page whose translation is
    not in the TLB yet decodes without caching; every later one uses the cache.)"""
    for reg in (A0, A1, A2):
        hart.set_reg(reg, 0)
    hart.pc = pc
    engine.run(hart, steps)
    assert hart.pc == pc + 4 * steps


def poke(machine, offset: int, data: bytes) -> None:
    """Change RAM without telling the harts (what no device may do)."""
    machine.ram[offset:offset + len(data)] = data


def test_a_write_redecodes_only_the_blocks_it_touches(engine):
    """Each addi is a block of its own (a jump to the next instruction ends a block), at
    offsets 0, 8 and 16: a write forgets the blocks whose bytes it overlaps, and only them."""
    machine, memory, hart = setup(engine)
    fall_through = e.to_bytes([e.jal(0, 4)])
    memory.write(RAM_BASE, addi(A0, 1) + fall_through + addi(A1, 1) + fall_through + addi(A2, 1)
                 + e.to_bytes([e.jal(0, 0)]))
    run_at(engine, hart, RAM_BASE, 5)
    assert [hart.reg(r) for r in (A0, A1, A2)] == [1, 1, 1]

    poke(machine, 8, addi(A1, 7))
    poke(machine, 16, addi(A2, 7))
    memory.write(RAM_BASE, addi(A0, 5))              # exactly the first instruction
    run_at(engine, hart, RAM_BASE, 5)
    assert [hart.reg(r) for r in (A0, A1, A2)] == [5, 1, 1]

    # one byte at offset 11, the top byte of the instruction at 8 (an odd start)
    memory.write(RAM_BASE + 11, bytes(machine.ram[11:12]))
    run_at(engine, hart, RAM_BASE, 5)
    assert [hart.reg(r) for r in (A0, A1, A2)] == [5, 7, 1]

    # the upper half of the instruction at 16 (an even start two bytes into it)
    memory.write(RAM_BASE + 18, bytes(machine.ram[18:20]))
    run_at(engine, hart, RAM_BASE, 5)
    assert [hart.reg(r) for r in (A0, A1, A2)] == [5, 7, 7]


def test_a_write_to_another_address_with_the_same_slot_keeps_the_decode(engine):
    """Block-table entries are shared by offsets 2*BK_SIZE apart: the tag decides what is forgotten."""
    machine, memory, hart = setup(engine)
    memory.write(RAM_BASE, addi(A0, 1))
    run_at(engine, hart, RAM_BASE, 1)
    run_at(engine, hart, RAM_BASE, 1)
    poke(machine, 0, addi(A0, 9))
    memory.write(RAM_BASE + 2 * BK_SIZE, addi(A1, 3))
    run_at(engine, hart, RAM_BASE, 1)
    assert hart.reg(A0) == 1
    memory.write(RAM_BASE + 2, bytes(machine.ram[2:4]))
    run_at(engine, hart, RAM_BASE, 1)
    assert hart.reg(A0) == 9


def test_a_large_write_redecodes_everything_it_covers(engine):
    """More bytes than the cache has slots: the whole cache goes, the new code runs."""
    machine, memory, hart = setup(engine)
    code = 0x4000
    memory.write(RAM_BASE + code, addi(A0, 1) + addi(A1, 1))
    run_at(engine, hart, RAM_BASE + code, 2)
    run_at(engine, hart, RAM_BASE + code, 2)
    block = bytearray(4 * BK_SIZE)
    block[code:code + 8] = addi(A0, 2) + addi(A1, 3)
    memory.write(RAM_BASE, bytes(block))
    run_at(engine, hart, RAM_BASE + code, 2)
    assert (hart.reg(A0), hart.reg(A1)) == (2, 3)


def test_flush_decoded_range_at_the_edges_of_ram(engine):
    machine, memory, hart = setup(engine)
    hart.flush_decoded_range(0, 0)
    hart.flush_decoded_range(0, 1)
    hart.flush_decoded_range(RAM_SIZE - 1, RAM_SIZE)
    hart.flush_decoded_range(8, 4)                    # an empty range
    end = RAM_SIZE - 4
    memory.write(RAM_BASE + end - 4, addi(A0, 1) + e.to_bytes([e.jal(0, 0)]))
    run_at(engine, hart, RAM_BASE + end - 4, 1)
    run_at(engine, hart, RAM_BASE + end - 4, 1)
    poke(machine, end - 4, addi(A0, 4))
    run_at(engine, hart, RAM_BASE + end - 4, 1)
    assert hart.reg(A0) == 1                          # still the cached decode
    hart.flush_decoded_range(end - 1, end)
    run_at(engine, hart, RAM_BASE + end - 4, 1)
    assert hart.reg(A0) == 4


def test_ram_memory_reads_and_writes_guest_physical_addresses(engine):
    machine, memory, hart = setup(engine)
    memory.write(RAM_BASE + 0x100, b"virtio")
    assert machine.read_memory(RAM_BASE + 0x100, 6) == b"virtio"
    assert memory.read(RAM_BASE + 0x100, 6) == b"virtio"
    assert memory.read(RAM_BASE + RAM_SIZE - 2, 2) == bytes(2)
    assert memory.read(RAM_BASE, 0) == b""


@pytest.mark.parametrize("gpa,n", [
    (RAM_BASE - 1, 2),                   # starts below RAM
    (RAM_BASE + RAM_SIZE - 4, 8),        # runs past the end (into the buffer's spare bytes)
    (RAM_BASE + RAM_SIZE, 1),            # just past the end
    (0x10001000, 4),                     # a device window
    ((1 << 64) - 4096, 512),             # the top of the address space
])
def test_ram_memory_refuses_ranges_outside_ram(engine, gpa, n):
    machine, memory, hart = setup(engine)
    before = bytes(machine.ram)
    with pytest.raises(GuestMemoryError):
        memory.read(gpa, n)
    with pytest.raises(GuestMemoryError):
        memory.write(gpa, b"\xff" * n)
    assert bytes(machine.ram) == before
