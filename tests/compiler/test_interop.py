"""Compiled Python and gcc-built C in one program, calling each other through the psABI.

lib.py is compiled with no entry code at 0x80040000 as a flat binary (its functions that
return a resource return it as C returns a struct: in a0/a1 up to 16 bytes, else through the
address in a0); main.c is built by
riscv64-unknown-elf-gcc with our functions' addresses given to its linker (--defsym), and our
@external c_scale gets the address of the C function (--symbol). QEMU loads the C ELF and puts
our binary beside it (-device loader). The C program prints what our functions return.
"""

import os
import shutil
import subprocess

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import flat_binary
from downstairs.compiler.run import QEMU, run_host, run_machine

HERE = os.path.dirname(__file__)
CDIR = os.path.join(HERE, "..", "..", "downstairs", "compiler", "examples", "c")
GCC = "riscv64-unknown-elf-gcc"
BASE = 0x80040000
pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="needs riscv64-unknown-elf-gcc")


def build_c(tmp_path, ours):
    out = tmp_path / "main.elf"
    defsyms = [f"-Wl,--defsym={name}={addr:#x}" for name, addr in ours.items()]
    subprocess.run([GCC, "-O2", "-march=rv64imac", "-mabi=lp64", "-mcmodel=medany", "-nostdlib", "-nostartfiles",
                    "-ffreestanding", "-T", os.path.join(CDIR, "link.ld"), os.path.join(CDIR, "start.S"),
                    os.path.join(HERE, "interop", "main.c"), "-o", str(out), *defsyms],
                   check=True, capture_output=True)
    nm = subprocess.run(["riscv64-unknown-elf-nm", str(out)], check=True, capture_output=True, text=True).stdout
    return out, {line.split()[2]: int(line.split()[0], 16) for line in nm.splitlines() if len(line.split()) == 3}


def test_c_calls_compiled_python_and_back(tmp_path):
    lib = os.path.join(HERE, "interop", "lib.py")
    first = compile_file(lib, Options(base=BASE, entry=None, symbols={"c_scale": 0x80000000}))
    ours = {n: a for n, a, size, kind, sec in first.symbols if kind == "func"}
    elf, theirs = build_c(tmp_path, ours)
    image = compile_file(lib, Options(base=BASE, entry=None, symbols={"c_scale": theirs["c_scale"]}))
    assert {n: a for n, a, size, kind, sec in image.symbols if kind == "func"} == ours
    blob = tmp_path / "lib.bin"
    blob.write_bytes(flat_binary(image))
    result = run_machine(str(elf), QEMU + ["-device", f"loader,file={blob},addr={BASE:#x}"], timeout=60)
    assert result.status == 0
    assert result.output.decode().split() == [
        "204", "135", str(0xFFFFFFFF - 5),
        str(0x1234), str(0xFF00FF), str(0x1234 ^ 0xFF00FF),       # resource results, as C returns structs
        "7", str(2 ** 64 - 8), "100", "133", "4"]


def test_external_needs_an_address():
    from downstairs.compiler.errors import CompileError
    with pytest.raises(CompileError) as info:
        compile_file(os.path.join(HERE, "interop", "lib.py"), Options(entry=None))
    assert "--symbol c_scale=ADDRESS" in str(info.value)


def test_external_body_is_the_host_model(tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text("from downstairs.compiler.runtime import u8, store8, store32\nfrom lib import scaled_total\n"
                    "def main() -> None:\n    store8(0x10000000, u8(scaled_total(4)))\n    store32(0x100000, 0x5555)\n")
    result = run_host(str(prog), search_path=[os.path.join(HERE, "interop")])
    assert result.status == 0 and list(result.output) == [18]
