"""Busybox in the sandbox against busybox in a native chroot of the same root.

Each command runs twice in fresh copies of the default root: natively (chroot, as root, with
/proc and /dev mounted in a private mount namespace, as a container would have them) and in
`downstairs sandbox`; stdout, stderr and the exit status must be the same. The applets cover
the 31 calls busybox needs (echo, cat, ls, ls -l, sh -c with pipes) and more; the scripts
add pipes, redirections, here-documents, subshells, background jobs, signals and exit codes.
"""

import shutil

import pytest

from tests.sandbox.conftest import copy_root, run_native, run_sandboxed

APPLETS = [
    ["echo", "hello", "world"],
    ["cat", "/bin/busybox"],
    ["ls", "/"],
    ["ls", "-l", "/bin"],
    ["ls", "-la", "/etc", "/tmp"],
    ["ls", "-lR", "/usr"],
    ["true"],
    ["false"],
    ["uname", "-s", "-m"],
    ["id"],
    ["pwd"],
    ["wc", "-c", "/bin/busybox"],
    ["md5sum", "/bin/busybox"],
    ["sha256sum", "/bin/busybox"],
    ["head", "-c", "64", "/bin/busybox"],
    ["od", "-A", "x", "-t", "x1", "-N", "32", "/bin/busybox"],
    ["stat", "-c", "%n %s %a %F %h", "/", "/bin", "/bin/busybox", "/bin/sh"],
    ["readlink", "/bin/sh"],
    ["find", "/etc", "/root", "/tmp"],
    ["du", "-s", "/bin"],
    ["seq", "1", "5"],
    ["expr", "6", "*", "7"],
    ["basename", "/a/b/c.txt", ".txt"],
    ["test", "-x", "/bin/busybox"],
    ["cat", "/nonexistent"],
    ["ls", "/nonexistent"],
]

SCRIPTS = [
    "echo hi | cat",
    "for i in 1 2 3; do echo $i; done | wc -l",
    "seq 1 20000 | sort -rn | head -3",
    "yes | head -c 100000 | wc -c",
    "cat /bin/busybox | md5sum",
    "echo a > /tmp/f; cat /tmp/f; echo b >> /tmp/f; cat /tmp/f; rm /tmp/f; cat /tmp/f; echo $?",
    "exec 3>/tmp/o; echo via3 >&3; exec 3>&-; cat /tmp/o; cat < /tmp/o | tr a-z A-Z",
    "cat <<EOF\nhere document $((2 + 3))\nEOF",
    "x=$(echo inner); echo outer $x; (exit 3); echo $?; sh -c 'exit 5'; echo $?",
    "true && false || echo or; ! false && echo negated",
    "mkdir -p /tmp/a/b/c && cd /tmp/a/b && pwd && cd .. && ls && rmdir b/c b && ls -a",
    "cp /bin/busybox /tmp/bb && cmp /bin/busybox /tmp/bb && echo same && /tmp/bb echo from copy",
    "ln -s /bin/busybox /tmp/l; ls -l /tmp/l; ln /tmp/l /tmp/h; stat -c %h /tmp/h; mv /tmp/h /tmp/i; ls /tmp",
    "touch /tmp/t; chmod 640 /tmp/t; ls -l /tmp/t | cut -c1-10; rm /tmp/t; ls /tmp",
    "cd /tmp && mkfifo f && (echo through a fifo > f &) && cat f",
    "trap 'echo trapped USR1' USR1; kill -USR1 $$; echo after",
    "sh -c 'kill -TERM $$'; echo $?; sh -c 'kill -9 $$'; echo $?",
    "sleep 0.2 & wait $!; echo waited $?",
    "echo x | (read a; echo got $a)",
    "awk 'BEGIN { for (i = 0; i < 3; i++) print i * i }'; echo abc | sed s/b/X/",
    "printf '%s\\n' c a b | sort | uniq -c",
    "readlink /proc/self/exe; cat /proc/self/cmdline | tr '\\0' ' '; echo",
    "echo hidden > /dev/null; head -c 4 /dev/zero | od -An -tx1",
    "ls /bin | wc -l; ls /usr/bin | head -3",
    "echo err >&2; echo out; exit 9",
]


@pytest.fixture
def roots(busybox_root, tmp_path):
    yield copy_root(busybox_root, tmp_path / "native"), copy_root(busybox_root, tmp_path / "sandboxed")
    shutil.rmtree(tmp_path / "native", ignore_errors=True)         # 2 MB each: keep /tmp small
    shutil.rmtree(tmp_path / "sandboxed", ignore_errors=True)


def same(roots, argv, platform="seccomp"):
    native = run_native(roots[0], argv)
    sandboxed = run_sandboxed(roots[1], argv, platform=platform)
    assert (sandboxed.stdout, sandboxed.stderr, sandboxed.status) == (native.stdout, native.stderr, native.status)


@pytest.mark.parametrize("argv", APPLETS, ids=" ".join)
def test_applet(roots, argv):
    same(roots, argv)


@pytest.mark.parametrize("script", SCRIPTS)
def test_script(roots, script):
    same(roots, ["/bin/sh", "-c", script])


@pytest.mark.parametrize("script", SCRIPTS[:6] + SCRIPTS[14:18])
def test_script_on_sysemu(roots, script):
    """The same scripts on the PTRACE_SYSEMU platform (a sample: the layer is the same)."""
    same(roots, ["/bin/sh", "-c", script], platform="ptrace")


def test_stdin_passes_through(roots):
    native = run_native(roots[0], ["/bin/sh", "-c", "tr a-z A-Z; echo done"], stdin=b"from the host\n")
    sandboxed = run_sandboxed(roots[1], ["/bin/sh", "-c", "tr a-z A-Z; echo done"], stdin=b"from the host\n")
    assert sandboxed.stdout == native.stdout == b"FROM THE HOST\ndone\n"


def test_pids_are_the_sandbox_own(roots):
    """The sandbox is a pid namespace: its first process is pid 1, its parent 0."""
    result = run_sandboxed(roots[1], ["/bin/sh", "-c", "echo $$ $PPID; sh -c 'echo $$ $PPID'; true"])
    assert result.stdout == b"1 0\n2 1\n"
