"""HTIF on the spike board against a misbehaving guest or ELF: a proxied write whose buffer is
not RAM is -EFAULT (not a flood of zeros on stdout, not a traceback), a huge one reaches the
host a chunk at a time, and an ELF whose `tohost`/`fromhost` are not two words in RAM is a
one-line error before the machine starts."""

import shutil
import struct
import subprocess
import sys

import pytest

from downstairs.devices.htif import CHUNK, EFAULT, Htif
from downstairs.machine.machine import Machine
from tests.machine.harness import load_engine

RAM = 0x80000000
BLOCK = RAM + 0x1000                      # the eight words of a proxied system call
TOHOST = RAM + 0x2000


def htif_on_ram(ram_size: int = 1 << 20):
    machine = Machine(load_engine("compiled"), RAM, ram_size)
    out = []
    htif = Htif(TOHOST, TOHOST + 8, out.append, machine.power_off, machine.read_memory,
                machine.write_memory)
    return machine, htif, out


def syscall(machine, htif, number, fd, buf, length) -> int:
    machine.write_memory(BLOCK, struct.pack("<8Q", number, fd, buf, length, 0, 0, 0, 0))
    htif.write(TOHOST, 8, BLOCK)                       # device 0, command 0, an even payload
    assert htif.fromhost == 1 and htif.tohost == 0
    return struct.unpack("<Q", machine.read_memory(BLOCK, 8))[0]


@pytest.mark.parametrize("buf,length", [
    (0x1000, 16),                                       # below RAM
    (RAM + (1 << 20) - 8, 16),                          # runs off the end
    (RAM, 16 << 30),                                    # 16 GiB: more than RAM
    ((1 << 64) - 8, 16),                                # wraps
])
def test_a_write_from_outside_ram_is_efault(buf, length):
    machine, htif, out = htif_on_ram()
    assert syscall(machine, htif, 64, 1, buf, length) == (1 << 64) - EFAULT
    assert out == []


def test_a_large_write_reaches_the_host_in_chunks():
    machine, htif, out = htif_on_ram(4 << 20)
    machine.write_memory(RAM + 0x10000, b"x" * (3 << 20))
    assert syscall(machine, htif, 64, 2, RAM + 0x10000, 3 << 20) == 3 << 20
    assert b"".join(out) == b"x" * (3 << 20) and max(len(c) for c in out) == CHUNK


def test_a_request_block_outside_ram_is_ignored():
    machine, htif, out = htif_on_ram()
    htif.write(TOHOST, 8, 0x4000)                       # payload: a block below RAM
    assert out == [] and machine.exit_status is None


def test_unknown_calls_are_enosys_and_stores_past_a_word_are_dropped():
    machine, htif, out = htif_on_ram()
    assert syscall(machine, htif, 93, 0, 0, 0) == (1 << 64) - 38
    htif.write(TOHOST + 4, 8, (1 << 64) - 1)            # a store reaching past tohost's end
    assert htif.tohost < 1 << 64


GCC = shutil.which("riscv64-unknown-elf-gcc")
PROGRAM = """
.globl _start
_start:
    la t0, tohost
    li t1, 1            # exit(0): device 0, command 0, payload 1
    sd t1, 0(t0)
1:  j 1b
"""


def elf_with(tmp_path, symbols: dict[str, int]) -> str:
    source = tmp_path / "p.S"
    source.write_text(PROGRAM)
    out = tmp_path / "p.elf"
    defsyms = [f"-Wl,--defsym={name}={value:#x}" for name, value in symbols.items()]
    subprocess.run([GCC, "-nostdlib", "-march=rv64imac", "-mabi=lp64", "-mcmodel=medany",
                    "-Wl,-N", "-Wl,--no-relax", "-Wl,-Ttext=0x80000000", *defsyms, str(source), "-o", str(out)], check=True)
    return str(out)


def run_spike(elf: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "downstairs", "run", "-M", "spike", "-nographic",
                           "-bios", "none", "-kernel", elf, *options], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(GCC is None, reason="needs riscv64-unknown-elf-gcc")
@pytest.mark.parametrize("symbols,message", [
    ({"tohost": (1 << 64) - 1}, "outside RAM"),
    ({"tohost": 0x2000000}, "outside RAM"),                         # on the CLINT
    ({"tohost": 0x80001000, "fromhost": 0x2000000}, "outside RAM"),
    ({"tohost": 0x80001000, "fromhost": 0x80001004}, "overlap"),
    ({"tohost": 0x80001000, "fromhost": 0x80000ffc}, "overlap"),
    ({"tohost": 0x80001000, "fromhost": 0x80800000}, "more than a page apart"),
])
def test_bad_htif_symbols_are_one_line(tmp_path, symbols, message):
    result = run_spike(elf_with(tmp_path, symbols))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "symbol" in lines[0], result.stderr


@pytest.mark.skipif(GCC is None, reason="needs riscv64-unknown-elf-gcc")
@pytest.mark.parametrize("tohost", [0x80001003, 0x80001ffc, 0x80100000])
def test_htif_words_anywhere_in_ram_work(tmp_path, tohost):
    """At an odd address, across a page boundary, far from the code: the exit request works
    (the RAM between the words and around them stays RAM)."""
    result = run_spike(elf_with(tmp_path, {"tohost": tohost, "fromhost": tohost + 64}))
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(GCC is None, reason="needs riscv64-unknown-elf-gcc")
def test_stage_tracing_steps_around_htif(tmp_path):
    """The tracer watches RAM outside the images through the bus; HTIF's window is there."""
    result = run_spike(elf_with(tmp_path, {"tohost": 0x80000040}), "--trace-stages")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "kernel p.elf" in result.stderr
