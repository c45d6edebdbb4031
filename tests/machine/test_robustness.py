"""Nothing a guest does may crash the host program: random machine words, executed in every
privilege mode with paging on and off, end in instructions or architectural traps, never in
a Python exception, on both engines; and both engines end in the same state. Registers start
at addresses that matter: RAM's two ends (where a misaligned access crosses into nothing),
the data and trap pages, and holes of the address space."""

import random

from hypothesis import given, settings, strategies as st

from downstairs.machine import engine as engines
from tests.machine.harness import CODE, RAM_SIZE, Bench, PRV_M, PRV_S, PRV_U, load_engine

RAM_END = CODE + RAM_SIZE

WORDS = st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=64)


def run_words(engine_name: str, words: list[int], priv: int, seed: int) -> tuple:
    bench = Bench(load_engine(engine_name))
    hart = bench.hart
    rng = random.Random(seed)
    for n in range(1, 32):
        hart.set_reg(n, rng.choice([0, 1, (1 << 64) - 1, CODE, CODE + 0x2000, 0x10000000,
                                    0x100000, RAM_END - 4, RAM_END - 2, CODE - 4, CODE - 1,
                                    rng.getrandbits(64)]))
    bench.machine.write_memory(CODE, b"".join(w.to_bytes(4, "little") for w in words))
    # Open all memory to S/U through PMP, then drop to the chosen mode at CODE.
    bench.engine.csr.write(hart, 0x3B0, (1 << 54) - 1)
    bench.engine.csr.write(hart, 0x3A0, 0x1F)
    hart.priv = priv
    for _ in range(4 * len(words) + 16):
        bench.engine.run(hart, 1)
        if bench.machine.exit_status is not None:
            break
    return (hart.pc, hart.priv, hart.mcause, hart.scause, hart.mtval, tuple(hart.registers()),
            hart.instret, bench.machine.exit_status)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(words=WORDS, priv=st.sampled_from([PRV_M, PRV_S, PRV_U]), seed=st.integers(0, 1 << 16))
def test_random_words_never_crash_and_engines_agree(words, priv, seed):
    compiled = run_words("compiled", words, priv, seed)
    reference = run_words("reference", words, priv, seed)
    assert compiled == reference


def test_both_engines_are_distinct():
    assert engines.load("compiled").execute is not engines.load("reference").execute
