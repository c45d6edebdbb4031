"""softfloat.py against QEMU: every F/D operation, both precisions, all five rounding modes.

Unprivileged ISA chapters 11 and 12 on top of IEEE 754-2008. The expected result bits and
fflags come from qemu-riscv64 running tests/machine/fpref/fpref.c (QEMU's own softfloat);
the operands are seeded random patterns weighted toward special values (zeros, infinities,
quiet and signalling NaNs, subnormals, the largest and smallest normals, integer limits),
exponent gaps that make additions cancel or tie, fused operations that cancel almost
completely, products and quotients at the overflow and underflow thresholds, and now and
then a single that is not NaN-boxed. Both engines' softfloat run every case.
"""

import importlib

import pytest

from tests.machine import fpref

SEED = 20261124
PER_OP = 200


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    exe = fpref.build(tmp_path_factory.mktemp("fpref"))
    cases = fpref.cases(SEED, PER_OP)
    return cases, fpref.run_qemu(exe, cases)


def softfloat_of(engine):
    if engine.name == "compiled":
        module = importlib.import_module("downstairs.machine.core.softfloat")
        assert not module.__file__.endswith(".py")
        return module
    module = engine.execute.fpu.softfloat
    assert module.__file__.endswith(".py")
    return module


def describe(case, got, want):
    i, d, rm, a, b, c = case
    return (f"{fpref.OPS[i][0]}.{'d' if d else 's'} rm={fpref.ROUNDING[rm]} "
            f"a={a:#x} b={b:#x} c={c:#x}: got {got[0]:#x} flags {got[1]:#x}, "
            f"QEMU {want[0]:#x} flags {want[1]:#x}")


@pytest.mark.parametrize("name", [name for name, _ in fpref.OPS])
def test_operation_matches_qemu(engine, reference, name):
    sf = softfloat_of(engine)
    cases, expected = reference
    index = fpref.INDEX[name]
    checked, wrong = 0, []
    for case, want in zip(cases, expected):
        if case[0] != index:
            continue
        got = fpref.model(sf, *case)
        checked += 1
        if got != tuple(want):
            wrong.append(describe(case, got, want))
    assert checked > 0
    assert not wrong, f"{len(wrong)} of {checked} differ:\n" + "\n".join(wrong[:12])
