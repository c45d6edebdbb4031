"""Bad input gets one line on stderr and an exit status that says what went wrong: 2 for a
bad root or option, 127 for a program that is not there, 126 for one that cannot run here
(not ELF, another machine's, dynamically linked). Never a traceback."""

import shutil
import subprocess

import pytest

from tests.sandbox.conftest import ENV, copy_root, downstairs, run_native, run_sandboxed


def run(*args, stdin=b""):
    result = subprocess.run(downstairs(*args), input=stdin, capture_output=True, env=ENV, timeout=60)
    lines = result.stderr.decode().splitlines()
    return result.returncode, lines, result.stdout


def one_line(lines, *words):
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def root(busybox_root, tmp_path, build):
    root = copy_root(busybox_root, tmp_path / "root")
    (root / "bin" / "notes.txt").write_text("just text\n")
    (root / "bin" / "notes.txt").chmod(0o755)
    shutil.copy("/usr/bin/true", root / "bin" / "dynamic")         # Debian's, dynamically linked
    shutil.copy(build("rv_hello", "riscv64"), root / "bin" / "riscv")
    return root


def test_root_missing(tmp_path):
    status, lines, _ = run("sandbox", "--root", str(tmp_path / "nowhere"), "--", "/bin/sh")
    assert status == 2
    one_line(lines, "nowhere", "no such directory")
    assert lines[0].startswith("downstairs sandbox: error: "), lines[0]      # the command's name


def test_program_missing(root):
    status, lines, _ = run("sandbox", "--root", str(root), "--", "/bin/nothing-here")
    assert status == 127
    one_line(lines, "/bin/nothing-here", "no such file")


def test_program_missing_in_path(root):
    status, lines, _ = run("sandbox", "--root", str(root), "--", "nothing-here")
    assert status == 127
    one_line(lines, "nothing-here", "not found")


@pytest.mark.parametrize("name, words", [
    ("notes.txt", ["not an ELF executable"]),
    ("dynamic", ["dynamically linked"]),
    ("riscv", ["RISC-V", "not x86-64"]),
])
def test_program_cannot_run(root, name, words):
    status, lines, _ = run("sandbox", "--root", str(root), "--", f"/bin/{name}")
    assert status == 126
    one_line(lines, f"/bin/{name}", *words)


def test_run_user_bad_input(tmp_path, root):
    status, lines, _ = run("run-user", str(tmp_path / "missing"))
    assert status == 127
    one_line(lines, "missing", "no such file")
    (tmp_path / "empty").mkdir()                             # no /bin on the way to the program
    status, lines, _ = run("run-user", "--root", str(tmp_path / "empty"), "/bin/true")
    assert status == 127
    one_line(lines, "/bin/true", "no such file")
    (tmp_path / "empty" / "bin").write_text("a file where a directory should be\n")
    status, lines, _ = run("run-user", "--root", str(tmp_path / "empty"), "/bin/true")
    assert status == 127
    one_line(lines, "/bin/true", "no such file")
    status, lines, _ = run("run-user", str(root / "bin" / "busybox"))
    assert status == 126
    one_line(lines, "x86-64", "not RISC-V")
    status, lines, _ = run("run-user")
    assert status == 2
    one_line(lines, "PROGRAM")
    status, lines, _ = run("run-user", "--root", str(tmp_path / "nowhere"), "/bin/x")
    assert status == 2
    one_line(lines, "no such directory")
    assert lines[0].startswith("downstairs run-user: error: "), lines[0]


def test_exec_of_a_bad_program_inside(root, tmp_path):
    """Inside, the same checks are execve's errno, as a native chroot gives them: ENOENT for
    a dynamic program whose loader is not in the root, ENOEXEC for another machine's."""
    script = ["/bin/sh", "-c", "/bin/dynamic; echo $?; /bin/riscv; echo $?; /bin/notes.txt; echo $?"]
    native = run_native(copy_root(root, tmp_path / "native"), script)
    sandboxed = run_sandboxed(root, script)
    assert (sandboxed.stdout, sandboxed.stderr, sandboxed.status) == (native.stdout, native.stderr, native.status)
    assert native.stdout.splitlines()[0] == b"127"
