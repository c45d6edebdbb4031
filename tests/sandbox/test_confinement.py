"""Confinement: what a sandboxed program can reach on the host (nothing it was not given).

A static x86-64 program (programs/escape.c) tries each way out that issue 16 lists: `..`,
absolute paths, symlinks pointing out (absolute and relative), /proc/self/root, openat from
a descriptor, /proc/self/fd/N/.., hard links and renames in and out, sockets, ptrace, and
i386 system calls through int $0x80. Every attempt must fail or stay inside the view, and
afterwards the host's root directory and the directory outside it must be byte for byte as
they were. Then: refused calls never run (each returns -ENOSYS, not the host's answer), and
killing the sandbox ends its whole process tree and puts the terminal back.
"""

import hashlib
import os
import signal
import socket
import subprocess
import termios
import time

import pytest

from downstairs.sandbox import table
from tests.sandbox.conftest import ENV, copy_root, run_native, run_sandboxed, sandbox_command

PLATFORMS = ["seccomp", "ptrace"]
# Refused calls left out of the "never runs" check: if one did run, even with zero
# arguments it would change the machine (kexec_load with no segments unloads the crash kernel).
TOO_DANGEROUS = {"kexec_load", "kexec_file_load"}


def snapshot(top) -> dict:
    """Every path under `top` with its type, mode, size, times and content hash."""
    state = {}
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            target = os.readlink(path) if os.path.islink(path) else ""
            state[os.path.relpath(path, top)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_nlink, digest, target)
    return state


@pytest.fixture
def escape_setup(busybox_root, tmp_path, build):
    root = copy_root(busybox_root, tmp_path / "root")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("the host's secret\n")
    program = root / "bin" / "escape"
    program.write_bytes(build("escape").read_bytes())
    program.chmod(0o755)
    os.symlink(str(outside), root / "escape-abs")
    os.symlink("../" * 20 + str(outside).lstrip("/"), root / "escape-rel")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "sock"))
    listener.listen(1)
    listener.setblocking(False)
    yield root, outside, listener, tmp_path / "sock"
    listener.close()


EXPECTED = {
    "absolute": "errno 2", "dotdot": "errno 2", "root-dotdot": "errno 2",
    "symlink-absolute": "errno 2", "symlink-relative": "errno 2", "proc-self-root": "errno 2",
    "proc-self-root-link": "/", "openat-dotdot": "errno 2", "openat-absolute": "errno 2",
    "proc-fd-dotdot": "errno 2", "hardlink-out": "errno 2", "hardlink-in": "ok",
    "write-hardlink": "ok", "rename-in": "ok", "rename-out": "errno 2", "create": "errno 2",
    "create-file": "ok", "unlink": "ok", "chmod": "ok", "mknod-device": "errno 1",
    "socket-unix": "errno 38", "socket-inet": "errno 38", "connect": "errno 38",
    "ptrace": "errno 38", "int80": "-38", "list-outside": "errno 2",
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_way_out(escape_setup, platform):
    root, outside, listener, sock = escape_setup
    before_root, before_outside = snapshot(root), snapshot(outside)
    result = run_sandboxed(root, ["/bin/escape", str(outside), str(sock)], platform=platform)
    assert result.status == 0, result
    got = dict(line.split(": ", 1) for line in result.stdout.decode().splitlines())
    assert got == EXPECTED
    assert snapshot(root) == before_root                # every change stayed in memory
    assert snapshot(outside) == before_outside
    with pytest.raises(BlockingIOError):
        listener.accept()                               # nobody connected


def refused_numbers() -> list[int]:
    from downstairs.sandbox.numbers import NUMBERS
    return [NUMBERS[name][0] for name, x86, _, on_ptrace, _ in table.dispositions()
            if on_ptrace == "refused" and name not in TOO_DANGEROUS]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_refused_calls_never_run(busybox_root, tmp_path, build, platform):
    """Each refused call, made with zero arguments, answers -ENOSYS: had the host run it,
    it would have answered EFAULT, EINVAL, EBADF... (or done something)."""
    root = copy_root(busybox_root, tmp_path / "root")
    (root / "bin" / "refused").write_bytes(build("refused").read_bytes())
    (root / "bin" / "refused").chmod(0o755)
    numbers = refused_numbers()
    assert len(numbers) > 100
    result = run_sandboxed(root, ["/bin/refused", *map(str, numbers)], platform=platform)
    answers = dict(line.split() for line in result.stdout.decode().splitlines())
    assert answers == {str(n): "-38" for n in numbers}


def tracees_of(root) -> list[int]:
    """Host processes running a program of this root (the sandbox's, by their exe)."""
    busybox = os.path.realpath(root / "bin" / "busybox")
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == busybox:
                    found.append(int(pid))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL, signal.SIGHUP])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_killing_the_sandbox_ends_everything(busybox_root, tmp_path, how, platform):
    """A shell with a pipeline in the background and a sleep in the foreground, which has
    put the terminal in raw mode: killing the sandbox leaves no process behind, and the
    terminal as it was before (even after SIGKILL, thanks to the guardian)."""
    root = copy_root(busybox_root, tmp_path / "root")
    master, slave = os.openpty()
    original = termios.tcgetattr(slave)
    script = "stty raw -echo; sleep 100 | cat & sleep 100 & echo started; wait"
    sandbox = subprocess.Popen(sandbox_command(root, ["/bin/sh", "-c", script], platform),
                               stdin=slave, stdout=slave, stderr=slave, env=ENV, start_new_session=True)
    try:
        output = b""
        deadline = time.monotonic() + 30
        while b"started" not in output and time.monotonic() < deadline:
            output += os.read(master, 1024)
        assert b"started" in output
        assert termios.tcgetattr(slave) != original          # stty really changed it
        assert len(tracees_of(root)) >= 4                    # sh, sleep, cat, sleep
        sandbox.send_signal(how)
        sandbox.wait(timeout=30)
        deadline = time.monotonic() + 10
        while tracees_of(root) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracees_of(root) == []
        deadline = time.monotonic() + 10
        while termios.tcgetattr(slave) != original and time.monotonic() < deadline:
            time.sleep(0.05)
        assert termios.tcgetattr(slave) == original
    finally:
        if sandbox.poll() is None:
            sandbox.kill()
            sandbox.wait()
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_calls_that_never_wait_never_fail_with_eintr(busybox_root, tmp_path, build, platform):
    """A signal whose handler lacks SA_RESTART, arriving while a call waits for the layer to
    receive it, must not make dup or close fail with EINTR: Linux never interrupts them,
    and a shell that loses a close() leaves a pipe open for ever (`sort | uniq` hung)."""
    root = copy_root(busybox_root, tmp_path / "root")
    (root / "bin" / "interrupted").write_bytes(build("interrupted").read_bytes())
    (root / "bin" / "interrupted").chmod(0o755)
    result = run_sandboxed(root, ["/bin/interrupted", "3000"], platform=platform)
    assert result.stdout == b"eintr 0 handled some\n", result


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_fork_a_signal_restarts_is_made_once_as_asked(busybox_root, tmp_path, build, platform):
    """A signal during the host's fork makes the host restart it: the child the layer had
    made for the first try must let go of its descriptors (or a pipe never ends), and the
    call made again must be the program's, not ours (CLONE_PARENT would give the child to
    its grandparent, and waitpid would fail with ECHILD)."""
    root = copy_root(busybox_root, tmp_path / "root")
    (root / "bin" / "forks").write_bytes(build("forks").read_bytes())
    (root / "bin" / "forks").chmod(0o755)
    result = run_sandboxed(root, ["/bin/forks", "300", "100"], platform=platform)
    assert (result.stdout, result.status) == (b"forks 300 ok\n", 0), result


@pytest.mark.parametrize("platform", PLATFORMS)
def test_cpu_time_like_the_host_kernel(busybox_root, tmp_path, build, platform):
    """CPU time is the host process's (cputime.py): the CPU-time clocks, getrusage, times,
    and a child's time once waited for (before, the clocks read the wall time since the
    process started, and times, getrusage and wait4's rusage were all zeros)."""
    root = copy_root(busybox_root, tmp_path / "root")
    (root / "bin" / "cputime").write_bytes(build("cputime").read_bytes())
    (root / "bin" / "cputime").chmod(0o755)
    native = run_native(copy_root(root, tmp_path / "native"), ["/bin/cputime"])
    sandboxed = run_sandboxed(root, ["/bin/cputime"], platform=platform)
    assert (sandboxed.stdout, sandboxed.status) == (native.stdout, native.status)
    assert native.status == 0 and b": 0\n" not in native.stdout and b"burned: 1" in native.stdout


@pytest.mark.parametrize("platform", PLATFORMS)
def test_timers_and_long_waits_like_the_host_kernel(busybox_root, tmp_path, build, platform):
    """An interval timer's SIGALRM must end a call the layer holds, as the host kernel's
    would: ITIMER_REAL is the layer's own (before, the host's timer signalled the host
    process, and a poll the layer held sat out its whole timeout). Waits of 2^62 seconds
    must not overflow anything (the loop's select once did). The CPU-time timers still go
    to the host. Natively and sandboxed, the same output."""
    root = copy_root(busybox_root, tmp_path / "root")
    for name in ("timers", "longwait"):
        (root / "bin" / name).write_bytes(build(name).read_bytes())
        (root / "bin" / name).chmod(0o755)
    for argv in (["/bin/timers", "cpu"], ["/bin/longwait"]):
        native = run_native(copy_root(root, tmp_path / f"native-{argv[0][5:]}"), argv)
        sandboxed = run_sandboxed(root, argv, platform=platform)
        assert (sandboxed.stdout, sandboxed.status) == (native.stdout, native.status) and native.stdout
        assert native.status == 0
