"""Guests doing something illegal on a real virt board get the architectural trap, once.

A misaligned load or store that crosses from something (RAM, a device window) into nothing,
or from nothing into something, at either end of RAM and of every device window: one access
fault, whose mtval is the first byte that faulted (privileged spec 3.1.16: the portion of the
access that caused it), mepc the instruction's, and not one byte read or written. And an
instruction fetch from a device (I/O is not executable, 3.6) is an instruction access fault in
every mode, as on QEMU, while the ROM stays executable. Both engines.
"""

import pytest

from downstairs.isa import encode as e
from downstairs.machine import boards
from tests.machine.harness import ENGINES, load_engine

RAM = 0x80000000
CODE = RAM + 0x1000
TRAP = RAM + 0x2000
LOOP = e.jal(0, 0)
EXC_INSN_ACCESS, EXC_LOAD_ACCESS, EXC_STORE_ACCESS = 1, 5, 7

# (start, end) of what is backed on the virt board, each end met from both sides
WINDOWS = {
    "RAM": (RAM, RAM + (128 << 20)),
    "sifive_test": (0x100000, 0x101000),
    "RTC": (0x101000, 0x102000),
    "CLINT": (0x2000000, 0x2010000),
    "PLIC": (0xC000000, 0xC600000),
    "virtio slot 0": (0x10001000, 0x10002000),
    "virtio slot 7": (0x10008000, 0x10009000),
}
NEIGHBOURS = {0x101000, 0x10002000, 0x10008000}     # an end where the next window begins


def board(engine_name: str, tmp_path):
    image = tmp_path / "idle.bin"
    image.write_bytes(e.to_bytes([LOOP]))
    machine = boards.build(boards.BootConfig(bios=str(image)), load_engine(engine_name), lambda data: None)
    hart = machine.harts[0]
    machine.write_memory(TRAP, e.to_bytes([LOOP]))
    hart.mtvec = TRAP
    return machine, hart


def run_one(machine, hart, words, regs):
    """Run `words` at CODE in M-mode, one instruction at a time, until the end or a trap."""
    machine.write_memory(CODE, e.to_bytes(words + [LOOP]))
    hart.pc = CODE
    for n, value in regs.items():
        hart.set_reg(n, value)
    end = CODE + 4 * len(words)
    for _ in range(len(words) + 1):
        if hart.pc in (end, TRAP):
            break
        machine.engine.run(hart, 1)
    return hart.pc


def crossings():
    """(name, address of an 8-byte access that crosses the boundary, first unbacked byte)."""
    for name, (start, end) in WINDOWS.items():
        if end not in NEIGHBOURS:
            yield f"{name} end", end - 4, end
        if start not in NEIGHBOURS:
            yield f"{name} start", start - 4, start - 4


CASES = list(crossings())


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_split_store_into_nothing_faults_once_and_writes_nothing(engine_name, case, tmp_path):
    _, addr, first_bad = case
    machine, hart = board(engine_name, tmp_path)
    before = machine.read_memory(RAM + (128 << 20) - 16, 16)
    pc = run_one(machine, hart, [e.s("sd", 6, 5, 0), e.i("addi", 7, 0, 1)],
                 {5: addr, 6: 0x1122334455667788})
    assert pc == TRAP
    assert (hart.mcause, hart.mtval, hart.mepc) == (EXC_STORE_ACCESS, first_bad, CODE)
    machine.engine.run(hart, 1)                         # the handler runs (it is `j .`)
    assert hart.pc == TRAP and hart.mepc == CODE        # not re-faulting at the vector
    assert machine.read_memory(RAM + (128 << 20) - 16, 16) == before


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_split_load_from_nothing_faults_once(engine_name, case, tmp_path):
    _, addr, first_bad = case
    machine, hart = board(engine_name, tmp_path)
    pc = run_one(machine, hart, [e.i("ld", 6, 5, 0)], {5: addr, 6: 0xDEAD})
    assert pc == TRAP
    assert (hart.mcause, hart.mtval, hart.mepc) == (EXC_LOAD_ACCESS, first_bad, CODE)
    assert hart.reg(6) == 0xDEAD                        # rd untouched


@pytest.mark.parametrize("engine_name", ENGINES)
def test_split_store_that_is_all_backed_writes_every_byte(engine_name, tmp_path):
    machine, hart = board(engine_name, tmp_path)
    addr = RAM + 0x3FFC                                 # crosses a page, all RAM
    run_one(machine, hart, [e.s("sd", 6, 5, 0)], {5: addr, 6: 0x1122334455667788})
    assert machine.read_memory(addr, 8) == (0x1122334455667788).to_bytes(8, "little")


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize("target", [0x10000000, 0x2000000, 0xC000000, 0x10008000, 0x100000, 0x40000000])
@pytest.mark.parametrize("priv", [3, 1])
def test_fetch_from_a_device_is_an_access_fault(engine_name, target, priv, tmp_path):
    machine, hart = board(engine_name, tmp_path)
    engine = machine.engine
    if priv != 3:                                       # S-mode, with PMP open to everything
        engine.csr.write(hart, 0x3B0, (1 << 54) - 1)
        engine.csr.write(hart, 0x3A0, 0x0F)
        hart.priv = priv
    pc = run_one(machine, hart, [e.i("jalr", 0, 5, 0)], {5: target})
    assert pc == TRAP
    assert (hart.mcause, hart.mtval, hart.mepc) == (EXC_INSN_ACCESS, target, target)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_rom_stays_executable(engine_name, tmp_path):
    machine, hart = board(engine_name, tmp_path)
    hart.reset(0x1000)
    for _ in range(10):                                 # the reset vector jumps to RAM
        machine.engine.run(hart, 1)
    assert hart.pc == RAM and hart.mcause == 0


def test_a_guest_scanning_holes_does_not_grow_the_host(tmp_path):
    """Loads from 20,000 distinct vacant addresses, each an access fault the handler steps
    over: the bus counts them all but remembers only the first few addresses."""
    from downstairs.devices.bus import KEPT

    machine, hart = board("compiled", tmp_path)
    handler = [e.csr("csrrs", 5, 0x341, 0), e.i("addi", 5, 5, 4), e.csr("csrrw", 0, 0x341, 5), e.MRET]
    machine.write_memory(TRAP, e.to_bytes(handler))
    scan = [e.i("lb", 6, 10, 0), e.i("addi", 10, 10, 8), e.i("addi", 11, 11, -1),
            e.b("bne", 11, 0, -12), LOOP]
    machine.write_memory(CODE, e.to_bytes(scan))
    hart.pc = CODE
    hart.set_reg(10, 0x40000000)                        # a hole of the virt board's map
    hart.set_reg(11, 20_000)
    for _ in range(200):
        machine.engine.run(hart, 10_000)
        if hart.reg(11) == 0:
            break
    assert hart.reg(11) == 0 and hart.pc == CODE + 16
    assert machine.bus.unknown_total == 20_000
    assert len(machine.bus.unknown) == KEPT
