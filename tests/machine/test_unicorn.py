"""Differential tests: random RV64IMAC user-level streams on unicorn and on both engines.

unicorn 2.x (QEMU's RISC-V TCG inside) runs the same bytes at the same addresses from the
same registers and scratch memory; all 31 registers and the scratch area must agree
afterwards. unicorn executes in M-mode with no MMU or PMP set up, which for user-level
instructions is the same as U-mode on this hart's M-mode bench. What unicorn 2.1.x handles
and these streams use: RV64I, M, A (AMOs, LR/SC), C, misaligned scalar loads and stores
(QEMU emulates them). Streams only branch forward, so both run until pc reaches the end.
"""

from random import Random

import unicorn                           # a test dependency (pyproject extras "test")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unicorn import riscv_const as rv

from tests.machine import streams
from tests.machine.harness import CODE, ENGINES, Bench, load_engine

SETTINGS = settings(derandomize=True, deadline=None, max_examples=250, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def run_unicorn(code: bytes, regs: dict[int, int], stop: int, count_instructions: bool = False):
    uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
    uc.mem_map(CODE, 0x10000)
    uc.mem_write(CODE, code)
    uc.mem_write(streams.SCRATCH, streams.scratch_pattern())
    for n, v in regs.items():
        uc.reg_write(rv.UC_RISCV_REG_X0 + n, v)
    counter = [0]
    if count_instructions:
        uc.hook_add(unicorn.UC_HOOK_CODE, lambda *args: counter.__setitem__(0, counter[0] + 1))
    uc.emu_start(CODE, stop)
    assert uc.reg_read(rv.UC_RISCV_REG_PC) == stop
    registers = [uc.reg_read(rv.UC_RISCV_REG_X0 + n) for n in range(32)]
    memory = bytes(uc.mem_read(streams.SCRATCH, streams.SCRATCH_SIZE))
    return registers, memory, counter[0]


def run_engine(name: str, code: bytes, regs: dict[int, int]):
    bench = Bench(load_engine(name), ram_size=1 << 20)
    bench.write(streams.SCRATCH, streams.scratch_pattern())
    bench.write(CODE, code)
    bench.end = CODE + len(code)
    bench.write_words(bench.end, [streams.e.jal(0, 0)])
    bench.stops.add(bench.end)
    bench.hart.pc = CODE
    bench.set_regs(regs)
    bench.run_to_end(max_steps=len(code))
    return bench.hart.registers(), bench.read(streams.SCRATCH, streams.SCRATCH_SIZE), bench.hart.instret


def differ(rng: Random, length: int, kinds: list[str]) -> None:
    words = streams.stream(rng, length, kinds)
    regs = streams.registers(rng)
    code = streams.e.to_bytes(words)
    expected_regs, expected_memory, _ = run_unicorn(code, regs, CODE + len(code))
    retired = set()
    for name in ENGINES:
        got_regs, got_memory, instret = run_engine(name, code, regs)
        retired.add(instret)
        diff = {f"x{n}": (hex(expected_regs[n]), hex(got_regs[n])) for n in range(32)
                if expected_regs[n] != got_regs[n]}
        assert not diff, f"{name}: registers differ (unicorn, ours) {diff}\ncode {[hex(w) for w in words]}"
        assert got_memory == expected_memory, f"{name}: scratch memory differs\ncode {[hex(w) for w in words]}"
    assert len(retired) == 1, f"the engines retired different counts: {retired}"


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_alu_streams(rng):
    differ(rng, 24, ["alu"])


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_memory_and_atomic_streams(rng):
    differ(rng, 24, ["memory", "alu"])


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_compressed_streams(rng):
    differ(rng, 24, ["compressed", "alu"])


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_mixed_streams_with_forward_branches(rng):
    differ(rng, 32, ["alu", "memory", "compressed", "branch"])


def looped_program(seed: int, body_length: int, rounds: int) -> list[int]:
    """x9 counts down `rounds` times around a random body (which never writes x9), then wfi."""
    rng = Random(seed)
    body = [item for item in streams.items(rng, body_length, ["alu", "memory", "compressed", "branch"])
            if not writes_x9(item)]
    words = streams.layout(body)
    size = len(streams.e.to_bytes(words))
    return ([streams.e.i("addi", 9, 0, rounds)] + words
            + [streams.e.i("addi", 9, 9, -1), streams.e.b("bne", 9, 0, -(size + 4)), streams.e.WFI])


def writes_x9(item) -> bool:
    """Whether a stream item may write x9: its rd field (after expanding a compressed one),
    for any opcode but stores and branches, which have no rd."""
    if isinstance(item, tuple):
        return item[0] == "jal" and item[1] == 9
    word = item
    if word & 3 != 3:
        from downstairs.machine.core import compressed
        word = compressed.expand(word)
    return (word >> 7) & 31 == 9 and word & 0x7F not in (0x23, 0x63)


def test_long_stream_agrees_across_engines_and_unicorn():
    words = looped_program(seed=2024, body_length=300, rounds=40)
    code = streams.e.to_bytes(words)
    regs = streams.registers(Random(7))
    regs.pop(9, None)
    wfi = CODE + len(code) - 4
    expected_regs, expected_memory, count = run_unicorn(code, regs, wfi, count_instructions=True)
    results = {}
    for name in ENGINES:
        bench = Bench(load_engine(name))
        bench.write(streams.SCRATCH, streams.scratch_pattern())
        bench.write(CODE, code)
        bench.hart.pc = CODE
        bench.set_regs(regs)
        retired = 0
        for _ in range(100_000):                  # a run returns early after atomics and wfi
            retired += bench.engine.run(bench.hart, 1_000_000)
            if bench.hart.waiting:
                break
        assert bench.hart.pc == wfi + 4 and bench.hart.waiting
        results[name] = (bench.hart.registers(), bench.read(streams.SCRATCH, streams.SCRATCH_SIZE),
                         bench.hart.instret, retired)
    for name, (registers, memory, instret, retired) in results.items():
        assert registers == expected_regs, name
        assert memory == expected_memory, name
        assert instret == retired == count + 1, name          # + the wfi itself
    assert count > 40 * 150          # the loop really ran: forward branches skip some of the body


def test_long_stream_in_s_mode_through_4k_pages():
    """The same looped program in S-mode, every page reached through a 4 KiB Sv39 leaf
    (identity-mapped, so addresses and auipc results match unicorn's M-mode run): the TLB
    fast paths must give the same registers and memory, and the walks must set A and D."""
    from tests.machine.paging import A, D, R, V, W, X, PageTables
    from tests.machine.harness import M_TRAP
    words = looped_program(seed=99, body_length=200, rounds=30)
    code = streams.e.to_bytes(words)
    regs = streams.registers(Random(11))
    regs.pop(9, None)
    wfi = CODE + len(code) - 4
    expected_regs, expected_memory, count = run_unicorn(code, regs, wfi, count_instructions=True)
    pages = [CODE + 0x1000 * i for i in range(4)]       # code, trap vectors, scratch x2
    for name in ENGINES:
        bench = Bench(load_engine(name), ram_size=1 << 20)
        bench.open_pmp()
        tables = PageTables(bench)
        slots = {page: tables.map(page, page, V | R | W | X) for page in pages}
        tables.install()
        bench.write(streams.SCRATCH, streams.scratch_pattern())
        bench.write(CODE, code)
        launch = M_TRAP + 0x40                           # an mret, run in M-mode (physical)
        bench.write_words(launch, [streams.e.MRET])
        bench.hart.mepc = CODE
        bench.hart.mstatus = (bench.hart.mstatus & ~(3 << 11)) | (1 << 11)
        bench.hart.pc = launch
        bench.set_regs(regs)
        for _ in range(100_000):
            bench.engine.run(bench.hart, 1_000_000)
            if bench.hart.waiting or bench.hart.pc in (M_TRAP, bench.hart.stvec):
                break
        assert bench.hart.priv == 1 and bench.hart.waiting, f"{name}: pc={bench.hart.pc:#x} mcause={bench.hart.mcause}"
        assert bench.hart.registers() == expected_regs, name
        assert bench.read(streams.SCRATCH, streams.SCRATCH_SIZE) == expected_memory, name
        assert bench.hart.instret == count + 2, name     # + the mret and the wfi
        assert bench.read_u64(slots[CODE]) & (A | D) == A      # fetched, never written
        changed = 0
        for page in pages[2:]:
            offset = page - streams.SCRATCH
            if expected_memory[offset:offset + 0x1000] != streams.PATTERN[offset:offset + 0x1000]:
                assert bench.read_u64(slots[page]) & (A | D) == A | D, f"{name}: {page:#x} not dirty"
                changed += 1
        assert changed == 2                                     # the program stored to both pages
