"""The benchmark's instruction counts are deterministic (QEMU -icount, minstret), so the
"within 2x of gcc -O2" requirement is checked here; the timing half of bench.py is not."""

import shutil

import pytest

from downstairs.bench import compiler as bench


@pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None, reason="needs riscv64-unknown-elf-gcc")
def test_dynamic_instruction_counts_within_twice_gcc(tmp_path):
    rows = bench.measure(str(tmp_path))
    assert [r["program"] for r in rows] == ["sieve", "crc32", "matmul"]
    for r in rows:
        assert r["ours"] > 1000 and r["gcc"] > 1000
        assert r["ratio"] <= 2.0, r
