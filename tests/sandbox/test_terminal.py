"""An interactive busybox shell on a terminal: line editing, reading the terminal (the
layer waits for the host descriptor without blocking the other processes), Ctrl-C reaching
the sandbox's foreground processes (the terminal's SIGINT goes to the sandbox, which sends
it on), and the exit status."""

import time

import pexpect
import pytest

from tests.sandbox.conftest import ENV, copy_root, sandbox_command


@pytest.mark.parametrize("platform", ["seccomp", "ptrace"])
def test_interactive_shell(busybox_root, tmp_path, platform):
    root = copy_root(busybox_root, tmp_path / "root")
    command = sandbox_command(root, ["/bin/sh"], platform)
    child = pexpect.spawn(command[0], command[1:], env=dict(ENV, TERM="xterm", PS1="sbx$ "), timeout=30)
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
