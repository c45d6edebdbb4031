"""A test bench for one hart: put machine code in RAM, run it, look at the hart afterwards.

The layout every test shares (RAM starts at 0x80000000, as on QEMU's boards):
    0x80000000  CODE     the program, followed by `j .` (the end sentinel)
    0x80001000  M_TRAP   mtvec: `j .` - a trap to M-mode stops the run there
    0x80001100  S_TRAP   stvec: `j .` - a trap delegated to S-mode stops there
    0x80002000  DATA     scratch memory for loads, stores and atomics
    0x80010000  TABLES   room for page tables (tests/machine/paging.py)

Runs go one instruction at a time through `engine.run(hart, 1)`, so a run stops exactly on
a sentinel address and an interrupt is considered before every instruction. (A budget of 1
is one instruction attempted: when it traps, the call ends with the pc at the vector.)
"""

import pytest

from downstairs.isa import encode as e
from downstairs.machine import engine as engines
from downstairs.machine.machine import Machine
from downstairs.machine.virt import RAM_BASE

CODE = RAM_BASE
M_TRAP = RAM_BASE + 0x1000
S_TRAP = RAM_BASE + 0x1100
DATA = RAM_BASE + 0x2000
TABLES = RAM_BASE + 0x10000
RAM_SIZE = 4 << 20
LOOP = e.jal(0, 0)                         # `j .`: a place the hart can park

MASK64 = (1 << 64) - 1
PRV_U, PRV_S, PRV_M = 0, 1, 3
ENGINES = ["compiled", "reference"]


def load_engine(name: str):
    """Both engines must exist: a missing compiled build is a failure, not a skip."""
    if name == "compiled" and not engines.compiled_available():
        pytest.fail("the compiled engine is not built: run `python3 setup.py build_ext --inplace`")
    return engines.load(name)


def u64(value: int) -> int:
    return value & MASK64


class Bench:
    """One machine with one hart at the reset state, its trap vectors parked on `j .`."""

    def __init__(self, engine, ram_size: int = RAM_SIZE):
        self.engine = engine
        self.machine = Machine(engine, RAM_BASE, ram_size)
        self.hart = self.machine.harts[0]
        self.hart.reset(CODE)
        self.hart.mtvec = M_TRAP
        self.hart.stvec = S_TRAP
        self.write_words(M_TRAP, [LOOP])
        self.write_words(S_TRAP, [LOOP])
        self.stops = {M_TRAP, S_TRAP}
        self.end = CODE

    # ---- memory -----------------------------------------------------------------------

    def write_words(self, addr: int, words: list[int]) -> int:
        """Write instructions (16-bit ones where compressed); returns the end address."""
        data = e.to_bytes(words)
        self.machine.write_memory(addr, data)
        return addr + len(data)

    def write(self, addr: int, data: bytes) -> None:
        self.machine.write_memory(addr, data)

    def read(self, addr: int, length: int) -> bytes:
        return self.machine.read_memory(addr, length)

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, u64(value).to_bytes(8, "little"))

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 4), "little")

    # ---- the program ------------------------------------------------------------------

    def program(self, words: list[int], addr: int = CODE) -> int:
        """Place code and its end sentinel; the hart starts there. Returns the end pc."""
        self.end = self.write_words(addr, words)
        self.write_words(self.end, [LOOP])
        self.stops.add(self.end)
        self.hart.pc = addr
        return self.end

    def set_regs(self, regs: dict[int, int]) -> None:
        for n, value in regs.items():
            self.hart.set_reg(n, u64(value))

    def csr_read(self, number: int) -> int:
        return self.engine.csr.read(self.hart, number)

    def csr_write(self, number: int, value: int) -> None:
        self.engine.csr.write(self.hart, number, u64(value))

    def open_pmp(self) -> None:
        """PMP entry 0 as TOR from 0 to the top of the 56-bit physical space with R, W
        and X: S and U may then touch all memory (with no entry at all, PMP denies them
        everything). test_pmp.py checks the NAPOT spelling of the same thing."""
        self.csr_write(0x3B0, (1 << 54) - 1)          # pmpaddr0: address bits 55:2
        self.csr_write(0x3A0, 0x0F)                   # pmpcfg0: A = TOR, X, W, R

    def step(self) -> int:
        return self.engine.run(self.hart, 1)

    def run(self, max_steps: int = 2000, stops=None) -> int:
        """Step until the pc reaches a stop address (the end sentinel or a trap vector
        by default). Returns that pc; fails the test if the program runs away."""
        stops = self.stops if stops is None else set(stops)
        for _ in range(max_steps):
            if self.hart.pc in stops:
                return self.hart.pc
            self.step()
        if self.hart.pc in stops:
            return self.hart.pc
        raise AssertionError(f"no stop after {max_steps} steps: pc={self.hart.pc:#x}")

    def run_to_end(self, max_steps: int = 2000) -> None:
        """Run and insist the program finished without trapping."""
        pc = self.run(max_steps)
        if pc != self.end:
            raise AssertionError(f"trapped: pc={pc:#x} mcause={self.hart.mcause:#x} "
                                 f"mtval={self.hart.mtval:#x} scause={self.hart.scause:#x} "
                                 f"stval={self.hart.stval:#x} mepc={self.hart.mepc:#x}")

    def run_to_trap(self, vector: int = M_TRAP, max_steps: int = 2000) -> None:
        pc = self.run(max_steps)
        if pc != vector:
            raise AssertionError(f"expected a trap to {vector:#x}, stopped at {pc:#x} "
                                 f"(mcause={self.hart.mcause:#x} scause={self.hart.scause:#x})")

    def reg(self, n: int) -> int:
        return self.hart.reg(n)


def run_program(engine, words: list[int], regs: dict[int, int] | None = None) -> Bench:
    """The common case: run user-visible code in M-mode to its end; return the bench."""
    bench = Bench(engine)
    bench.program(words)
    bench.set_regs(regs or {})
    bench.run_to_end()
    return bench


def enter_mode(bench: Bench, priv: int, words: list[int], open_pmp: bool = True) -> None:
    """Start `words` at CODE + 0x100 in privilege `priv`: an mret at CODE (with MPP and mepc
    set) drops from M-mode into the program. Opens PMP for S and U unless told not to."""
    if open_pmp:
        bench.open_pmp()
    body = CODE + 0x100
    bench.program(words, body)
    status = bench.hart.mstatus & ~(3 << 11) | (priv << 11)
    bench.hart.mstatus = status
    bench.hart.mepc = body
    bench.write_words(CODE, [e.MRET])
    bench.hart.pc = CODE
    bench.step()
    assert bench.hart.priv == priv and bench.hart.pc == body
