"""The interactive console on a real terminal (a pty, through pexpect): raw mode so every key
reaches the guest (Ctrl-C included), Ctrl-A x quits like QEMU, and the terminal's settings
come back on every way out (Ctrl-A x, the guest powering off, SIGTERM)."""

import shlex
import sys

import pexpect
import pytest

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
SMODE = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
RUN = [sys.executable, "-m", "downstairs", "run", "-M", "virt", "-nographic", "-bios", FW, "-kernel", SMODE]


def boot_in_a_shell():
    """A shell prints the terminal settings, runs the machine, prints its exit status and
    the settings again; returns the child at the U-Boot prompt."""
    script = f"stty -g; {shlex.join(RUN)}; echo STATUS=$?; stty -g"
    child = pexpect.spawn("/bin/sh", ["-c", script], timeout=120, encoding="utf-8",
                          codec_errors="replace")
    child.expect(r"([0-9a-f:]+)\r\n")
    before = child.match.group(1)
    child.expect("Hit any key to stop autoboot")
    child.send(" ")
    child.expect("=> ")
    return child, before


def finish(child, before):
    child.expect(r"STATUS=(\d+)\r\n([0-9a-f:]+)\r\n")
    status, after = int(child.match.group(1)), child.match.group(2)
    child.expect(pexpect.EOF)
    assert after == before, "terminal settings not restored"
    return status


@pytest.mark.slow
def test_keys_reach_the_guest_and_ctrl_a_x_quits():
    child, before = boot_in_a_shell()
    child.send("echo hello downstairs\r")
    child.expect("hello downstairs\r+\n=> ")
    child.send("\x03")                               # raw mode: Ctrl-C goes to U-Boot
    child.expect("<INTERRUPT>")
    child.send("\x01x")
    assert finish(child, before) == 0


@pytest.mark.slow
def test_poweroff_restores_the_terminal():
    child, before = boot_in_a_shell()
    child.send("poweroff\r")
    assert finish(child, before) == 0


@pytest.mark.slow
def test_sigterm_restores_the_terminal():
    child, before = boot_in_a_shell()
    pids = pexpect.run("pgrep -f -n 'downstairs run -M virt -nographic'", encoding="utf-8").split()
    assert pids
    pexpect.run(f"kill -TERM {pids[0]}")
    assert finish(child, before) == 143
