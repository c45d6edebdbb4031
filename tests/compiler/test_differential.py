"""Differential tests: every example program prints the same and ends the same way under CPython
(with the host shims) and compiled, booted bare-metal on QEMU's virt board.

Every program runs on two machines with the same command line: QEMU's `qemu-system-riscv64`
and Downstairs' own (`python3 -m downstairs run`): our software must run on both.
"""

import os
import sys

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.run import QEMU, TRAP_STATUS, run_host, run_machine

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")
PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")
MACHINES = {"qemu": QEMU, "downstairs": [sys.executable, "-m", "downstairs", "run", *QEMU[1:]]}


def mains(folder):
    return sorted(f[:-3] for f in os.listdir(folder)
                  if f.endswith(".py") and "def main()" in open(os.path.join(folder, f)).read())


def without_counts(output: bytes) -> bytes:
    """The benchmark programs print their instret count only on a machine: not part of the result."""
    return b"".join(line for line in output.splitlines(keepends=True) if not line.startswith(b"instret "))


def both_ways(path, tmp_path, machine_name="qemu"):
    host = run_host(path, search_path=[EXAMPLES])
    elf = tmp_path / "prog.elf"
    elf.write_bytes(write_elf(compile_file(str(path), Options(search_path=[EXAMPLES]))))
    machine = run_machine(str(elf), MACHINES[machine_name], timeout=120)
    return host, machine


@pytest.mark.parametrize("machine_name", MACHINES)
@pytest.mark.parametrize("name", mains(EXAMPLES))
def test_example_runs_the_same_compiled(name, machine_name, tmp_path):
    host, machine = both_ways(os.path.join(EXAMPLES, name + ".py"), tmp_path, machine_name)
    assert host.status == 0
    assert machine.status == 0
    assert without_counts(machine.output) == without_counts(host.output)
    assert host.output          # every example prints something


@pytest.mark.parametrize("name,status", [("trap_assert", TRAP_STATUS), ("trap_index", TRAP_STATUS),
                                         ("trap_divide", TRAP_STATUS), ("trap_range", TRAP_STATUS), ("trap_counted", TRAP_STATUS),
                                         ("trap_negative", TRAP_STATUS),
                                         ("fail_exit", 7),
                                         ("trap_ecall", 0x80 | 11)])
@pytest.mark.parametrize("machine_name", MACHINES)
def test_failures_end_the_same_way(name, status, machine_name, tmp_path):
    host, machine = both_ways(os.path.join(PROGRAMS, name + ".py"), tmp_path, machine_name)
    assert host.status == status
    assert machine.status == status
    assert machine.output == host.output
    assert host.output.endswith(b"before\n")


@pytest.mark.parametrize("machine_name", MACHINES)
@pytest.mark.parametrize("name", [n for n in mains(PROGRAMS) if not n.startswith(("trap_", "fail_"))])
def test_program_corpus_runs_the_same(name, machine_name, tmp_path):
    host, machine = both_ways(os.path.join(PROGRAMS, name + ".py"), tmp_path, machine_name)
    assert (machine.output, machine.status) == (host.output, host.status)
    assert host.status == 0


def test_flat_binary_boots_the_same(tmp_path):
    """--emit bin: the raw memory image, loaded by QEMU at 0x80000000, runs like the ELF
    (the entry code zeroes .bss itself, since nothing else does for a flat image)."""
    from downstairs.compiler.elf import flat_binary
    path = os.path.join(EXAMPLES, "arrays.py")
    image = compile_file(path)
    flat = tmp_path / "prog.bin"
    flat.write_bytes(flat_binary(image))
    machine = run_machine(str(flat), MACHINES["qemu"], timeout=60)
    host = run_host(path)
    assert (machine.output, machine.status) == (host.output, 0)


@pytest.mark.parametrize("name", ["arith", "records", "recursion"])
def test_without_compressed_instructions(name, tmp_path):
    """--no-rvc: only 32-bit encodings; same behaviour."""
    path = os.path.join(EXAMPLES, name + ".py")
    image = compile_file(path, Options(compressed=False))
    assert len(image.text) % 4 == 0 and not image.rvc
    elf = tmp_path / "prog.elf"
    elf.write_bytes(write_elf(image))
    machine = run_machine(str(elf), MACHINES["qemu"], timeout=120)
    host = run_host(path)
    assert (machine.output, machine.status) == (host.output, 0)
