"""An interactive busybox shell on a terminal: line editing, reading the terminal (the
layer waits for the host descriptor without blocking the other processes), Ctrl-C reaching
the sandbox's foreground processes (the terminal's SIGINT goes to the sandbox, which sends
it on), and the exit status."""

import time

import pexpect
import pytest

from tests.sandbox.conftest import ENV, copy_root, sandbox_command


ROUNDS = 20


def shell(busybox_root, tmp_path, platform: str) -> pexpect.spawn:
    """A sandboxed busybox sh on a pseudo-terminal, its prompt "sbx$ "."""
    root = copy_root(busybox_root, tmp_path / "root")
    command = sandbox_command(root, ["/bin/sh"], platform)
    return pexpect.spawn(command[0], command[1:], env=dict(ENV, TERM="xterm", PS1="sbx$ "), timeout=30)


@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_interactive_shell(busybox_root, tmp_path, platform):
    child = shell(busybox_root, tmp_path, platform)
    try:
        child.expect(r"sbx\$ ")
        child.sendline("echo $((40 + 2)); cat")
        child.expect("42")
        child.sendline("typed into cat")
        child.expect("typed into cat.*typed into cat")
        child.sendcontrol("c")                               # ends cat, not the shell
        child.expect(r"sbx\$ ")
        child.sendline("sleep 30")
        time.sleep(1)                    # the shell must have put the terminal back in cooked mode
        child.sendcontrol("c")
        child.expect(r"sbx\$ ", timeout=10)
        child.sendline("exit 3")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 3


@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_ctrl_c_as_cat_comes_back_to_read(busybox_root, tmp_path, platform):
    """Ctrl-C typed the moment cat has copied a line, when cat is between its write and its
    next read: the SIGINT must end that read however the two cross. On ptrace it once did
    not (sent before the read parked, or coming as the read's stop was reported: cat then
    waited for ever). Each round is one more chance for the race."""
    child = shell(busybox_root, tmp_path, platform)
    try:
        child.expect(r"sbx\$ ")
        for n in range(ROUNDS):
            child.sendline(f"echo $(({n} + 1000)); cat")
            child.expect(str(n + 1000))         # the shell has put the terminal back in cooked mode
            child.sendline(f"line {n}")
            child.expect(f"line {n}.*line {n}")
            child.sendcontrol("c")
            child.expect(r"sbx\$ ", timeout=10)
        child.sendline("exit 3")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 3
