"""`downstairs run-user`: riscv64 programs on our hart, against Debian's qemu-riscv64.

The programs are built here with riscv64-linux-gnu-gcc -static (programs/rv_*.c) and the
Linux guests' /init (downstairs/guests/linux/init.c, against the kernel tree's nolibc).
Each runs under qemu-riscv64 and under run-user with the same arguments, environment and
standard input; stdout, stderr and the exit status must be equal. qemu-riscv64 hands the
calls to the host kernel, so it runs as pid 1 of its own pid namespace (unshare), as the
sandbox's first process is.
"""

import os
import re
import resource
import shutil
import subprocess

import pytest

from tests.sandbox.conftest import ENV, downstairs

needs_qemu = pytest.mark.skipif(shutil.which("qemu-riscv64") is None, reason="qemu-riscv64 not installed")
USER_ENV = dict(ENV, GREETING="from the test")


def qemu(program, args, cwd, stdin=b"", setup=""):
    """qemu-riscv64 as pid 1 of a new pid (and user, mount) namespace."""
    script = setup + 'exec qemu-riscv64 "$@"'
    return subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount",
                           "sh", "-c", script, "qemu", str(program), *args],
                          input=stdin, capture_output=True, cwd=cwd, env=USER_ENV, timeout=120)


def run_user(program, args, cwd, stdin=b"", engine="auto"):
    return subprocess.run(downstairs("run-user", "--engine", engine, str(program), *args),
                          input=stdin, capture_output=True, cwd=cwd, env=USER_ENV, timeout=600)


def status(code: int) -> int:
    """A shell's view of an exit status: killed by signal N is 128 + N (unshare passes a
    child's death by signal on by dying of it too)."""
    return 128 - code if code < 0 else code


def outcome(result):
    return result.stdout, result.stderr, status(result.returncode)


@needs_qemu
@pytest.mark.parametrize("name, args, stdin", [
    ("rv_hello", ["one", "two words"], b""),
    ("rv_procs", [], b""),
    ("rv_files", [], b""),
    ("rv_stdin", [], b"some text\nfrom standard input\n" * 200),
    ("timers", [], b""),
    ("timers", ["cpu"], b""),
    ("longwait", [], b""),
    ("cputime", [], b""),
])
def test_program_like_qemu(build, tmp_path, name, args, stdin):
    program = build(name, "riscv64")
    (tmp_path / "q").mkdir()
    (tmp_path / "s").mkdir()
    expected = qemu(program, args, tmp_path / "q", stdin)
    assert outcome(run_user(program, args, tmp_path / "s", stdin)) == outcome(expected)


@needs_qemu
def test_guest_init_like_qemu(tmp_path):
    """The Linux guests' /init: uname, the pid family, clocks, brk, a refused mount, no disk,
    and reboot, which ends the pid namespace as if init were killed by SIGINT. The clocks'
    values differ run to run, so their digits are masked."""
    from downstairs.guests.linux import init_program, source
    init = tmp_path / "init"
    init_program.compile_init(source.tree(log=lambda *a: None), "rv64gc", "lp64d", init)
    expected = qemu(init, [], tmp_path, setup="mount -t tmpfs none /dev && ")
    got = run_user(init, [], tmp_path)

    def masked(out: bytes) -> bytes:
        return re.sub(rb"(clock_gettime\(CLOCK_MONOTONIC\) = 0: |gettimeofday\(\) = 0: )\d+ s( \d+ ms)?",
                      rb"\1<time>", out)
    assert masked(got.stdout) == masked(expected.stdout)
    assert b"powering off" in got.stdout
    assert (got.stderr, status(got.returncode)) == (expected.stderr, status(expected.returncode)) == (b"", 130)


def test_exec_and_proc_self_exe(build, tmp_path):
    """What qemu-riscv64 cannot do without binfmt_misc: a program that execs itself
    (through /proc/self/exe) and a busybox-style shell-less fork/exec chain."""
    source = tmp_path / "again.c"
    source.write_text(r'''
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    if (argc > 1) { printf("again with %s\n", argv[1]); return 6; }
    pid_t pid = fork();
    if (pid == 0) { execl("/proc/self/exe", "again", "an argument", (char *)0); return 99; }
    int status; waitpid(pid, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
    fflush(stdout);
    execl("/proc/self/exe", "again", "the parent's turn", (char *)0);
    return 98;
}
''')
    program = tmp_path / "again"
    subprocess.run(["riscv64-linux-gnu-gcc", "-static", "-O2", "-o", str(program), str(source)], check=True)
    result = run_user(program, [], tmp_path)
    assert outcome(result) == (b"again with an argument\nchild exited 6\nagain with the parent's turn\n", b"", 6)


def test_a_poll_that_wants_nothing_a_host_descriptor_has_sleeps(tmp_path):
    """A poll for POLLPRI on standard input that is /dev/null: the host descriptor is always
    readable, which the poll does not want, so it must sleep out its timeout, not be woken
    by the descriptor over and over (before, it spun: its two seconds on the CPU). Its CPU
    time is the check, not a speed target: asleep, the poll costs what starting the
    sandbox costs."""
    source = tmp_path / "pollpri.c"
    source.write_text(r'''
#include <poll.h>
#include <stdio.h>
int main(void) {
    struct pollfd p = {0, POLLPRI, 0};
    int r = poll(&p, 1, 2000);
    printf("poll %d revents %#x\n", r, p.revents);
    return 0;
}
''')
    program = tmp_path / "pollpri"
    subprocess.run(["riscv64-linux-gnu-gcc", "-static", "-O2", "-o", str(program), str(source)], check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(downstairs("run-user", str(program)), stdin=subprocess.DEVNULL,
                            capture_output=True, env=USER_ENV, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (result.stdout, result.returncode) == (b"poll 0 revents 0\n", 0)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < 0.6, f"a 2 s poll took {cpu:.2f} s of CPU"


@pytest.mark.slow
def test_reference_engine_agrees(build, tmp_path):
    """The same program on the plain-Python reference engine: the same output."""
    program = build("rv_hello", "riscv64")
    fast = run_user(program, ["x"], tmp_path)
    slow = run_user(program, ["x"], tmp_path, engine="reference")
    assert outcome(slow) == outcome(fast)
    assert fast.returncode == 42
