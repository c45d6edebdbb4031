"""Random structured programs (nested if/while/for, break/continue, calls, arrays, many live
variables), compiled and run on QEMU against CPython (fixed seeds). They stress liveness across
branches and loops, register allocation around calls, spilling and the loop optimisations."""

import os
import random

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.run import QEMU, run_host, run_machine

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")
VARS = [f"x{k}" for k in range(10)]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lines = []
        self.loop_depth = 0
        self.counter = 0

    def expr(self, depth=2):
        r = self.rng
        if depth == 0 or r.random() < 0.3:
            return r.choice(VARS + [f"u64({r.randint(0, 1000)})", "buf[x0 & 15]", "helper(x1, x2)"])
        op = r.choice(["+", "-", "*", "^", "&", "|", "//", "%", ">>", "<<"])
        a, b = self.expr(depth - 1), self.expr(depth - 1)
        if op in ("//", "%"):
            return f"({a} {op} (({b}) | 1))"
        if op in (">>", "<<"):
            return f"({a} {op} {r.randint(0, 63)})"
        return f"({a} {op} {b})"

    def cond(self):
        r = self.rng
        c = f"{self.expr(1)} {r.choice(['<', '<=', '>', '>=', '==', '!='])} {self.expr(1)}"
        if r.random() < 0.3:
            c = f"{c} {r.choice(['and', 'or'])} {self.cond()}"
        return f"not ({c})" if r.random() < 0.2 else c

    def block(self, indent, depth):
        r = self.rng
        for _ in range(r.randint(1, 4)):
            pad = "    " * indent
            kind = r.random()
            if kind < 0.4 or depth == 0:
                target = r.choice(VARS + ["buf[x3 & 15]"])
                self.lines.append(f"{pad}{target} {r.choice(['=', '+=', '^=', '-='])} {self.expr()}")
            elif kind < 0.55:
                self.lines.append(f"{pad}if {self.cond()}:")
                self.block(indent + 1, depth - 1)
                if r.random() < 0.5:
                    self.lines.append(f"{pad}else:")
                    self.block(indent + 1, depth - 1)
            elif kind < 0.7:
                self.counter += 1
                var = f"i{self.counter}"
                self.lines.append(f"{pad}for {var} in range({r.randint(0, 3)}, {r.randint(3, 9)}):")
                self.lines.append(f"{pad}    x{r.randint(0, 9)} += u64({var})")
                if r.random() < 0.5:          # an element address that strength.py reduces
                    self.lines.append(f"{pad}    buf[{var}] ^= x{r.randint(0, 9)} + buf[{var} + 1]")
                self.loop_depth += 1
                self.block(indent + 1, depth - 1)
                self.loop_depth -= 1
            elif kind < 0.8:
                self.counter += 1
                var = f"n{self.counter}"
                self.lines.append(f"{pad}{var}: u64 = {r.randint(1, 6)}")
                self.lines.append(f"{pad}while {var} > 0:")
                self.lines.append(f"{pad}    {var} -= 1")
                self.loop_depth += 1
                self.block(indent + 1, depth - 1)
                self.loop_depth -= 1
            elif kind < 0.88 and self.loop_depth:
                self.lines.append(f"{pad}if {self.cond()}:")
                self.lines.append(f"{pad}    {r.choice(['break', 'continue'])}")
            else:
                self.lines.append(f"{pad}show({self.expr()})")

    def program(self, blocks=1):
        self.lines = [
            "from downstairs.compiler.runtime import u64, array",
            "from uart import put_u64, putc, newline",
            "from virt import exit, trap_handler",
            "",
            "buf = array(u64, 16)",
            "",
            "def helper(a: u64, b: u64) -> u64:",
            "    return (a * 3) ^ (b >> 1)",
            "",
            "def show(v: u64) -> None:",
            "    put_u64(v)",
            "    putc(32)",
            "",
            "def body(seed: u64) -> u64:",
        ]
        for k, v in enumerate(VARS):
            self.lines.append(f"    {v}: u64 = seed * {k + 3} + {self.rng.randint(0, 99)}")
        for _ in range(blocks):
            self.block(1, 3)
        self.lines.append("    return " + " ^ ".join(VARS))
        self.lines += ["", "def main() -> None:", "    for s in range(3):", "        show(body(u64(s)))",
                       "    newline()", "    exit(0)"]
        return "\n".join(self.lines) + "\n"


@pytest.mark.parametrize("seed,blocks", [(seed, 1) for seed in range(12)] + [(100, 60)])
def test_random_programs_match_cpython(tmp_path, seed, blocks):
    path = tmp_path / f"flow{seed}.py"
    path.write_text(Gen(seed).program(blocks))
    host = run_host(str(path), search_path=[EXAMPLES])
    elf = tmp_path / "flow.elf"
    elf.write_bytes(write_elf(compile_file(str(path), Options(search_path=[EXAMPLES]))))
    machine = run_machine(str(elf), QEMU, timeout=60)
    assert host.status == 0
    assert (machine.output.decode(), machine.status) == (host.output.decode(), host.status)
