"""Page tables under CPython: each task's Sv39 address space holds its own memory (text read +
execute, data and stack read + write, all U), its devices, and the kernel's image without U;
nothing else. Walked here by an Sv39 walker of the test's own (privileged spec 12.3.2), not the
kernel's."""

import pathlib
import tempfile

import pytest

from downstairs.compiler.runtime import host
from downstairs.kernel.hosted import TABLE_AT, FRAMES

from tests.kernel.conftest import BOSS, SERVER, CLIENT, OTHER, LOWLY

V, R, W, X, U, G, A, D = (1 << n for n in range(8))
PAGE = 4096


def walk(satp, va):
    """The leaf PTE mapping `va` under `satp`, or None; and the page-table addresses visited."""
    assert satp >> 60 == 8
    table, visited = (satp & ((1 << 44) - 1)) << 12, []
    for level in (2, 1, 0):
        visited.append(table)
        pte = host.MACHINE.load(table + ((va >> (12 + 9 * level)) & 511) * 8, 8)
        if not pte & V:
            return None, visited
        if pte & (R | W | X):
            assert level == 0, "the kernel maps 4 KiB pages only"
            assert (pte >> 10) << 12 == va & ~(PAGE - 1), "identity mapping"
            return pte & 0xFF, visited
        table = (pte >> 10) << 12
    raise AssertionError("no leaf at level 0")


def pages(start, end):
    return range(start & ~(PAGE - 1), end, PAGE)


@pytest.mark.parametrize("index", [BOSS, SERVER, CLIENT, OTHER, LOWLY])
def test_a_task_sees_its_memory_its_devices_and_nothing_else(k, index):
    t = k["task"].tasks[index]
    kernel_start, kernel_end = k["table"].header(16), k["table"].header(24)
    for va in pages(t.base, t.text_end):
        assert walk(t.satp, va)[0] == V | R | X | U | A | D
    for va in pages(t.text_end, t.data_end):
        assert walk(t.satp, va)[0] == V | R | W | U | A | D
    for va in pages(t.data_end, t.stack_bottom):
        assert walk(t.satp, va)[0] is None                  # the guard gap below the stack
    for va in pages(t.stack_bottom, t.base + t.size):
        assert walk(t.satp, va)[0] == V | R | W | U | A | D
    for va in pages(kernel_start, kernel_end):
        assert walk(t.satp, va)[0] == V | R | W | X | G | A | D  # no U: the trap entry's, not the task's
    devices = {0x10000000} if index == SERVER else set()
    for va in (0x10000000, 0x10008000):
        assert (walk(t.satp, va)[0] is not None) == (va in devices)
    for other in k["task"].tasks[:5]:
        if other.index != index:
            assert walk(t.satp, other.base)[0] is None
            assert walk(t.satp, other.base + other.size - 8)[0] is None
    for va in (0, TABLE_AT, FRAMES[0], kernel_end + PAGE, 0x0c000000, 0x100000):
        assert walk(t.satp, va)[0] is None


def test_each_space_has_its_own_asid_and_its_own_tables(k):
    seen = {}
    for t in k["task"].tasks[:5]:
        assert (t.satp >> 44) & 0xFFFF == t.index + 1
        for va in (t.base, t.stack_bottom, 0x80200000):
            for table in walk(t.satp, va)[1]:
                assert FRAMES[0] <= table < FRAMES[1]
                assert seen.setdefault(table, t.index) == t.index      # no table is shared
    assert k["vm"].spaces[CLIENT].used <= k["vm"].MAX_TABLES


def test_the_kernels_walk_agrees(k):
    t = k["task"].tasks[SERVER]
    for va in (t.base, t.text_end, t.stack_bottom, 0x10000000, 0x80200000, t.data_end, 0):
        mine = walk(t.satp, va)[0]
        theirs = k["vm"].translate(k["vm"].spaces[SERVER], va)
        assert (theirs & 0xFF if theirs else None) == mine


def test_a_frame_cannot_be_dropped_or_made_up():
    from downstairs.compiler.cpython import checked
    from downstairs.compiler.errors import CompileError
    from downstairs.kernel.hosted import HERE

    with tempfile.TemporaryDirectory() as folder:
        dropped = pathlib.Path(folder) / "dropped.py"
        dropped.write_text("from vm import alloc_frame\n\n\ndef leak() -> None:\n    f = alloc_frame()\n")
        with pytest.raises(CompileError, match="linear Frame 'f' is not consumed"):
            checked(str(dropped), [str(HERE)])
        forged = pathlib.Path(folder) / "forged.py"
        forged.write_text("from vm import Frame, spaces, keep\n\n\ndef forge() -> None:\n"
                          "    f = Frame(0x80000000)\n    keep(spaces[0], f)\n")
        with pytest.raises(CompileError, match="only module 'vm' can create a Frame"):
            checked(str(forged), [str(HERE)])
