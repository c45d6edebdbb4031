"""Benchmark: our compiled code against gcc -O2 in dynamic instruction counts, and compile time.

`downstairs bench --compiler` runs it. For each of sieve, crc32 and matmul
(examples/*.py and their C twins in examples/c/), both builds run on
`qemu-system-riscv64 -M virt -bios none -nographic -icount shift=0`; each program reads minstret
(CSR 0xB02) before and after its kernel and prints the difference, which with -icount is the
exact number of instructions retired, so the counts are deterministic. The C side is built by
Debian's `riscv64-unknown-elf-gcc -O2 -march=rv64imac -mabi=lp64`. Also reported: the time to
compile the whole example corpus (wall clock, so it varies from run to run).
"""

import os
import re
import subprocess
import tempfile
import time

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.run import run_machine, QEMU

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "compiler", "examples")
PROGRAMS = ["sieve", "crc32", "matmul"]
GCC = ["riscv64-unknown-elf-gcc", "-O2", "-march=rv64imac", "-mabi=lp64", "-mcmodel=medany", "-nostdlib",
       "-nostartfiles", "-ffreestanding"]
COUNTING = QEMU + ["-icount", "shift=0"]


def instret(result) -> tuple[str, int]:
    """(first output line, instructions retired) of a benchmark run; RuntimeError if it failed."""
    text = result.output.decode(errors="replace")
    found = re.search(r"instret (\d+)", text)
    if result.status != 0 or not found:
        raise RuntimeError(f"benchmark run failed (status {result.status}): {text!r}")
    return text.split("\n", 1)[0], int(found.group(1))


def measure(folder: str) -> list[dict]:
    """Build each program both ways into `folder` and count their instructions under QEMU's
    -icount: rows of program, ours, gcc's, ratio, result (the results must agree)."""
    rows = []
    cdir = os.path.join(EXAMPLES, "c")
    for name in PROGRAMS:
        ours = os.path.join(folder, name + ".elf")
        with open(ours, "wb") as f:
            f.write(write_elf(compile_file(os.path.join(EXAMPLES, name + ".py"))))
        theirs = os.path.join(folder, name + "-gcc.elf")
        subprocess.run(GCC + ["-T", os.path.join(cdir, "link.ld"), os.path.join(cdir, "start.S"),
                              os.path.join(cdir, name + ".c"), "-o", theirs],
                       check=True, stderr=subprocess.DEVNULL)
        out_ours, n_ours = instret(run_machine(ours, COUNTING))
        out_gcc, n_gcc = instret(run_machine(theirs, COUNTING))
        if out_ours != out_gcc:
            raise RuntimeError(f"{name}: results differ: {out_ours!r} vs gcc {out_gcc!r}")
        rows.append({"program": name, "ours": n_ours, "gcc": n_gcc, "ratio": n_ours / n_gcc, "result": out_ours})
    return rows


# the test corpus, when this runs from a checkout
TEST_PROGRAMS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "compiler", "programs")


def corpus_compile_time() -> tuple[int, int, float]:
    """Programs, source lines, seconds to compile them all (examples and the test corpus)."""
    folders = [f for f in (EXAMPLES, TEST_PROGRAMS) if os.path.isdir(f)]
    mains = [os.path.join(d, f) for d in folders for f in sorted(os.listdir(d))
             if f.endswith(".py") and "def main()" in open(os.path.join(d, f)).read()]
    lines = sum(len(open(os.path.join(d, f)).readlines()) for d in folders for f in os.listdir(d)
                if f.endswith(".py"))
    begin = time.perf_counter()
    for path in mains:
        compile_file(path, Options(search_path=[EXAMPLES]))
    return len(mains), lines, time.perf_counter() - begin


def main() -> int:
    """Measure and print; 1 when a program takes more than twice gcc's instructions."""
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(folder)
    print(f"{'program':10} {'ours':>10} {'gcc -O2':>10} {'ratio':>6}  result")
    for r in rows:
        print(f"{r['program']:10} {r['ours']:>10} {r['gcc']:>10} {r['ratio']:>6.2f}  {r['result']}")
    count, lines, seconds = corpus_compile_time()
    print(f"compile time: {count} programs ({lines} source lines with their modules) in {seconds:.2f} s")
    return 0 if all(r["ratio"] <= 2.0 for r in rows) else 1

