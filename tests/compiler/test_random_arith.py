"""Random arithmetic at every width, compiled and run on QEMU against CPython (fixed seeds).

Each generated program declares variables of one integer type, then prints many random
expressions over them: + - * // % & | ^ << >>, unary - and ~, comparisons, conversions to the
other widths. Divisors are forced odd (never zero); shift amounts stay below the width.
"""

import os
import random

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.run import QEMU, run_host, run_machine

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")
TYPES = {"u8": (8, False), "u16": (16, False), "u32": (32, False), "u64": (64, False),
         "i8": (8, True), "i16": (16, True), "i32": (32, True), "i64": (64, True)}


def constant(rng, ty):
    bits, signed = TYPES[ty]
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return rng.choice([lo, hi, 0, 1, rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(-3, 3) if signed else 3])


def expr(rng, ty, names, depth):
    bits, signed = TYPES[ty]
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.7:
            return rng.choice(names)
        value = constant(rng, ty)
        return f"{ty}({value})"
    a = expr(rng, ty, names, depth - 1)
    b = expr(rng, ty, names, depth - 1)
    op = rng.choice(["+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>", "neg", "inv", "conv"])
    if op in ("//", "%"):
        return f"({a} {op} ({b} | 1))"
    if op in ("<<", ">>"):
        return f"({a} {op} {rng.randint(0, bits - 1)})" if rng.random() < 0.5 else \
            f"({a} {op} ({b} & {bits - 1}))"
    if op == "neg":
        return f"(-{a})"
    if op == "inv":
        return f"(~{a})"
    if op == "conv":
        other = rng.choice(list(TYPES))
        return f"{ty}({other}({a}))"
    return f"({a} {op} {b})"


def program(seed):
    rng = random.Random(seed)
    lines = ["from downstairs.compiler.runtime import u8, u16, u32, u64, i8, i16, i32, i64",
             "from uart import put_u64, put_i64, putc, newline", "from virt import exit, trap_handler", ""]
    for ty, (bits, signed) in TYPES.items():
        lines.append(f"def run_{ty}() -> None:")
        names = []
        for k in range(4):
            value = constant(rng, ty)
            lines.append(f"    v{k}: {ty} = {value}")
            names.append(f"v{k}")
        show = "put_i64(i64(" if signed else "put_u64(u64("
        for _ in range(25):
            lines.append(f"    {show}{expr(rng, ty, names, 3)}))")
            lines.append("    putc(32)")
            if rng.random() < 0.3:
                lines.append(f"    put_u64(u64({expr(rng, ty, names, 2)} < {expr(rng, ty, names, 2)}))")
                lines.append("    putc(32)")
            target = rng.choice(names)
            lines.append(f"    {target} {rng.choice(['+', '-', '*', '^'])}= {expr(rng, ty, names, 2)}")
        lines.append("    newline()")
        lines.append("")
    lines.append("def main() -> None:")
    lines += [f"    run_{ty}()" for ty in TYPES]
    lines.append("    exit(0)")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(8))
def test_random_arithmetic_matches_cpython(tmp_path, seed):
    path = tmp_path / f"random{seed}.py"
    path.write_text(program(seed))
    host = run_host(str(path), search_path=[EXAMPLES])
    elf = tmp_path / "random.elf"
    elf.write_bytes(write_elf(compile_file(str(path), Options(search_path=[EXAMPLES]))))
    machine = run_machine(str(elf), QEMU, timeout=60)
    assert host.status == 0 and len(host.output.splitlines()) == 8
    assert machine.output.decode() == host.output.decode()
    assert machine.status == 0
