"""Bad input gets one line on stderr and an exit status that says what went wrong: 2 for a
bad root or option, 127 for a program that is not there, 126 for one that cannot run here
(not ELF, another machine's, dynamically linked). Never a traceback."""

import shutil
import struct
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


def test_root_is_a_file(tmp_path):
    (tmp_path / "file").write_text("not a directory\n")
    status, lines, _ = run("sandbox", "--root", str(tmp_path / "file"), "--", "/bin/sh")
    assert status == 2
    one_line(lines, "file: not a directory")


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


def with_last_load(program, tmp_path, name, **fields):
    """A copy of `program` whose last PT_LOAD header has `fields` (filesz, memsz) changed."""
    data = bytearray(program.read_bytes())
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phnum, = struct.unpack_from("<H", data, 0x38)
    loads = [phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1]
    at = loads[-1]
    filesz, memsz = struct.unpack_from("<QQ", data, at + 32)
    filesz, memsz = fields.get("filesz", filesz), fields.get("memsz", memsz)(memsz) if "memsz" in fields else memsz
    struct.pack_into("<QQ", data, at + 32, filesz, memsz)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


def test_run_user_segments_the_loader_refuses_or_maps_lazily(build, tmp_path):
    """A segment that ends beyond the user addresses, or holds more file than memory, is
    refused as load_elf_binary refuses it (EINVAL: status 126, one line). A bss of 64 GiB is
    mapped as Linux maps it, a page at a time when touched, so the program runs as usual
    (before, the loader made every page of it up front and never finished)."""
    hello = build("rv_hello", "riscv64")
    usual = subprocess.run(downstairs("run-user", str(hello)), capture_output=True, env=ENV, timeout=60)
    big = with_last_load(hello, tmp_path, "big-bss", memsz=lambda size: size + (64 << 30))
    grown = subprocess.run(downstairs("run-user", str(big)), capture_output=True, env=ENV, timeout=60)
    assert grown.returncode == usual.returncode and b"heap 7 7" in usual.stdout
    assert grown.stdout.replace(bytes(big), b"PROGRAM") == usual.stdout.replace(bytes(hello), b"PROGRAM")
    for name, change in [("beyond", {"memsz": lambda size: 1 << 47}), ("more-file", {"filesz": 1 << 20})]:
        status, lines, _ = run("run-user", str(with_last_load(hello, tmp_path, name, **change)))
        assert status == 126
        one_line(lines, name, "cannot execute: Invalid argument")


def test_a_sigchld_storm_never_prints_a_race_report():
    """The x86-64 platforms swap in a SIGCHLD handler around each wait (Tracer.sigchld_wakeup).
    A SIGCHLD that came just before the old handler went back was found by Python after it,
    and reported on stderr with a traceback ("Signal 17 ignored due to race condition"; the
    syscall fuzzer met it on the ptrace platform). Another process sends SIGCHLD here
    without pause while the block is entered and left 4,000 times: nothing is reported."""
    import os
    import signal
    import sys

    from downstairs.sandbox.tracer import Tracer

    reports = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda report: reports.append(str(report.exc_value))
    storm = subprocess.Popen([sys.executable, "-c", "import os, signal, sys\nwhile True: "
                              f"os.kill({os.getpid()}, signal.SIGCHLD)"])
    tracer = Tracer()
    try:
        for _ in range(4000):
            with tracer.sigchld_wakeup():
                pass
            tracer.drain_wakeups()
    finally:
        storm.kill()
        storm.wait()
        sys.unraisablehook = hook
        os.close(tracer.wakeup_r)
        os.close(tracer.wakeup_w)
    assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL
    assert reports == []
