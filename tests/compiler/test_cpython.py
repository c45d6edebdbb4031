"""The same program under plain CPython (downstairs/compiler/cpython.py): `python3 prog.py`,
`downstairs compile --run-host`, and `import` of a program module from Python code all behave
as the compiled program does; ownership is enforced at run time too."""

import gc
import os
import subprocess
import sys

import pytest

from downstairs.compiler import cpython
from downstairs.compiler.errors import CompileError
from downstairs.compiler.run import TRAP_STATUS, run_host
from downstairs.compiler.runtime import OwnershipError, host

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EXAMPLES = os.path.join(ROOT, "downstairs", "compiler", "examples")
ENV = {**os.environ, "PYTHONPATH": os.path.abspath(ROOT)}


def python(*argv):
    return subprocess.run([sys.executable, *argv], capture_output=True, env=ENV, timeout=120)


@pytest.mark.parametrize("name", ["hello", "records", "pages", "messages"])
def test_python3_runs_an_example_as_compiled(name):
    """`python3 examples/hello.py` prints what the compiled program prints and exits 0 (the
    differential test shows run_host prints what QEMU and our machine print)."""
    path = os.path.join(EXAMPLES, name + ".py")
    done = python(path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == run_host(path).output and done.stdout
    assert done.stderr == b""


def write_program(tmp_path, body, name="prog.py"):
    path = tmp_path / name
    path.write_text("from downstairs.compiler.runtime import u8, u64, i64, array, run\n"
                    "from uart import puts, put_u64, newline\nfrom virt import exit, trap_handler\n\n" + body +
                    '\n\nif __name__ == "__main__":\n    run(main)\n')
    for module in ("uart", "virt"):
        (tmp_path / f"{module}.py").write_text(open(os.path.join(EXAMPLES, f"{module}.py")).read())
    return path


def test_python3_ends_with_the_programs_status(tmp_path):
    prog = write_program(tmp_path, "def main() -> None:\n    x: u8 = 250\n    x += 10\n    put_u64(u64(x))\n"
                         "    newline()\n    exit(7)\n")
    done = python(str(prog))
    assert (done.stdout, done.returncode, done.stderr) == (b"4\n", 7, b"")


def test_python3_reports_a_trap_as_the_machine_does(tmp_path):
    prog = write_program(tmp_path, "table = array(u8, 4)\n\ndef main() -> None:\n    puts(b'before\\n')\n"
                         "    i: i64 = -1\n    table[i] = 1\n    exit(0)\n")
    done = python(str(prog))
    assert (done.stdout, done.returncode) == (b"before\n", TRAP_STATUS)
    assert b"Traceback" not in done.stderr


def test_python3_prints_a_compile_error_not_a_traceback(tmp_path):
    prog = write_program(tmp_path, "def main() -> None:\n    x: u8 = 300\n")
    done = python(str(prog))
    assert done.returncode == 1
    assert b"error: constant 300 does not fit in u8" in done.stderr and b"Traceback" not in done.stderr


def test_run_host_needs_an_entry_function():
    done = python("-m", "downstairs", "compile", "--run-host", os.path.join(EXAMPLES, "mathlib.py"))
    assert done.returncode == 1 and b"no function main() without parameters to start at" in done.stderr
    assert b"Traceback" not in done.stderr


def test_run_host_command(tmp_path):
    prog = write_program(tmp_path, "def main() -> None:\n    puts(b'on the host\\n')\n    exit(3)\n")
    done = python("-m", "downstairs", "compile", "--run-host", str(prog))
    assert (done.stdout, done.returncode) == (b"on the host\n", 3)
    assert not (tmp_path / "prog.elf").exists()


# ---- importing program modules (the hook is installed by tests/conftest.py) ---------------

@pytest.fixture
def importable(tmp_path, monkeypatch):
    """A folder on sys.path for program modules; what the test imports is forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_import_gives_the_compiled_behaviour(importable):
    (importable / "wrapmath.py").write_text(
        "from downstairs.compiler.runtime import u8, i8, u64, array\n\n"
        "table = array(u8, 4)\n\n"
        "def add8(a: u8, b: u8) -> u8:\n    return a + b\n\n"
        "def neg8(a: i8) -> i8:\n    return -a\n\n"
        "def count_up(n: u64) -> u8:\n    total: u8 = 0\n    for i in range(n):\n        total += 1\n    return total\n\n"
        "def poke(i: i8) -> None:\n    table[i] = 1\n")
    import wrapmath
    assert isinstance(wrapmath.__loader__, cpython.ProgramLoader)
    assert wrapmath.add8(250, 10) == 4
    assert wrapmath.neg8(-128) == -128
    assert wrapmath.count_up(300) == 44
    with pytest.raises(IndexError):
        wrapmath.poke(-1)


def test_import_uses_the_host_board(importable):
    host.reset()
    sys.path.insert(0, EXAMPLES)
    try:
        import uart
        uart.put_u64(2 ** 64 - 1)
        uart.newline()
    finally:
        sys.path.remove(EXAMPLES)
    assert host.MACHINE.output == b"18446744073709551615\n"


def test_import_of_a_wrong_program_module_is_a_compile_error(importable):
    (importable / "broken.py").write_text("from downstairs.compiler.runtime import u8\n\n"
                                          "def f(a: u8) -> u8:\n    return a + 1000\n")
    with pytest.raises(CompileError) as info:
        import broken  # noqa: F401
    assert "constant 1000 does not fit in u8" in str(info.value) and "broken.py:4:" in str(info.value)


def test_other_modules_import_as_usual(importable):
    (importable / "plain_helper.py").write_text("from downstairs.compiler.runtime import host\n\nVALUE = [1, 2]\n")
    import plain_helper
    assert not isinstance(plain_helper.__loader__, cpython.ProgramLoader) and plain_helper.VALUE == [1, 2]


FRAMES = '''from downstairs.compiler.runtime import u64, linear, Ref

next_base: u64 = 0x1000


@linear
class Frame:
    base: u64


def alloc() -> Frame:
    global next_base
    f = Frame(next_base)
    next_base += 0x1000
    return f


def free(f: Frame) -> None:
    del f


def base(f: Ref[Frame]) -> u64:
    return f.base


def rename(f: Frame) -> Frame:
    g = f
    return g
'''


def test_ownership_is_enforced_at_run_time(importable):
    """Plain Python code (this test) is not checked by the compiler: the runtime catches a
    use after move, a second free, and a linear value left unconsumed."""
    (importable / "hostframes.py").write_text(FRAMES)
    import hostframes
    f = hostframes.alloc()
    assert hostframes.base(f) == 0x1000
    g = hostframes.rename(f)                    # f moved into rename(), g is what came back
    with pytest.raises(OwnershipError, match="moved into rename"):
        hostframes.base(f)
    hostframes.free(g)
    with pytest.raises(OwnershipError, match="moved into free"):
        hostframes.free(g)
    with pytest.raises(OwnershipError):
        g.base = 5
    with pytest.warns(ResourceWarning, match="linear Frame was never consumed"):
        leaked = hostframes.alloc()
        del leaked
        gc.collect()


def test_the_hook_can_be_taken_out(importable):
    (importable / "later.py").write_text("from downstairs.compiler.runtime import u8\n\n"
                                         "def add8(a: u8, b: u8) -> u8:\n    return a + b\n")
    cpython.uninstall()
    try:
        import later
        assert later.add8(250, 10) == 260          # plain Python: nothing wraps
    finally:
        cpython.install()


def test_the_language_pages_example(importable):
    """docs/compiler-language.md, "Under CPython": testing examples/frames.py from pytest."""
    sys.path.insert(0, EXAMPLES)
    try:
        import frames
        host.reset()
        frames.add_region(0x80100000, 2)
        f = frames.alloc_frame()
        assert frames.frame_base(f) == 0x80100000
        frames.fill_frame(f, 1)
        assert frames.frame_sum(f) == (512 * 0x0101010101010101) % 2 ** 64     # a u64 sum wraps
        frames.free_frame(f)
        with pytest.raises(OwnershipError):
            frames.frame_base(f)
        assert frames.frames_free() == 2
    finally:
        sys.path.remove(EXAMPLES)


def test_a_package_of_program_modules(importable):
    """`import pkg.mod` and `pkg.mod.name` as Python has them: compiled, and imported by the hook."""
    from downstairs.compiler.driver import Options, compile_file
    (importable / "mykern").mkdir()
    (importable / "mykern" / "__init__.py").write_text("")
    (importable / "mykern" / "bits.py").write_text(
        "from downstairs.compiler.runtime import u32\n\n"
        "def low(x: u32, n: u32) -> u32:\n    return x & ((u32(1) << n) - 1)\n")
    (importable / "mykern" / "sched.py").write_text(
        "from downstairs.compiler.runtime import u8, u32\nimport mykern.bits\nfrom mykern.bits import low\n\n"
        "def pick(x: u32) -> u32:\n    return low(x, 4) + mykern.bits.low(x, 2)\n\n"
        "def inc8(a: u8) -> u8:\n    return a + 1\n")
    compile_file(str(importable / "mykern" / "sched.py"), Options(entry=None, search_path=[str(importable)]))
    import mykern.sched
    assert (mykern.sched.pick(0xFF), mykern.sched.inc8(255)) == (18, 0)
