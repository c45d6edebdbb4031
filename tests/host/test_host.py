"""host.py: what `run` and `vm` share on the host, and how each ends when signalled.

Sizes mean the same to both; a run in a terminal gives the terminal back however it ends
(Ctrl-A x, SIGTERM, SIGHUP, SIGQUIT), SIGHUP being a shutdown request as in QEMU; and a
signal that arrives while the run is already ending does not kill the process."""

import os
import signal
import subprocess
import sys
import termios
import time

import pexpect
import pytest

from downstairs.errors import UsageError
from downstairs.host import Disk, parse_size, read_input
from downstairs.hypervisor import initramfs

PYTHON = [sys.executable, "-m", "downstairs"]


@pytest.mark.parametrize("text,size", [("128M", 128 << 20), ("128", 128 << 20), ("1G", 1 << 30),
                                       ("1T", 1 << 40), ("64k", 64 << 10), ("2GiB", 2 << 30),
                                       (" 256MB ", 256 << 20)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "1.5G", "-1M", "12Q", "1e400", "0x10M", "\u0663M", "1" * 5000])
def test_bad_sizes(text):
    with pytest.raises(UsageError, match="invalid memory size"):
        parse_size(text)


def test_run_and_vm_read_a_size_alike():
    """1T is too large for both (it used to be 'invalid' to vm and 'too large' to run)."""
    run = subprocess.run(PYTHON + ["run", "-m", "1T"], capture_output=True, text=True, timeout=60)
    vm = subprocess.run(PYTHON + ["vm", "--kernel", initramfs.default_kernel(), "--mem", "1T"],
                        capture_output=True, text=True, timeout=60)
    assert "too large" in run.stderr and "too much memory" in vm.stderr


def test_inputs_must_be_regular_files_that_fit(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    for path, message in [(str(tmp_path / "fifo"), "not a regular file"), ("/dev/zero", "not a regular file"),
                          (str(tmp_path), "is a directory, not a file \\(the image\\)"),
                          ("/proc/self/mem", "cannot read"),
                          (str(tmp_path / "none"), "no such file")]:
        with pytest.raises(UsageError, match=message):
            read_input(path, "image", 1 << 20)
    (tmp_path / "big").write_bytes(bytes(2 << 20))
    with pytest.raises(UsageError, match="do not fit in 1 MiB"):
        read_input(str(tmp_path / "big"), "kernel", 1 << 20)
    assert read_input(str(tmp_path / "big"), "kernel", 2 << 20) == bytes(2 << 20)


def test_a_file_that_says_it_is_empty_is_read_to_its_end_or_the_limit():
    """A /proc file's size reads as 0: it is read on, piece by piece, up to the limit."""
    status = read_input("/proc/self/status", "initrd", 1 << 20)
    assert status.startswith(b"Name:") and status.endswith(b"\n")
    with pytest.raises(UsageError, match="more than"):
        read_input("/proc/self/status", "initrd", 64)


def test_a_disk_lock_lasts_as_long_as_its_descriptor(tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(1024))
    fd = Disk(str(image)).open()
    other = os.open(image, os.O_RDONLY)          # another descriptor of the file, closed again:
    os.close(other)                              # a POSIX lock would be gone now, an OFD one is not
    with pytest.raises(UsageError, match="in use"):
        Disk(str(image), read_only=True).open()
    os.close(fd)
    os.close(Disk(str(image), read_only=True).open())


# ---- a run in a terminal, ended from outside --------------------------------------------

def idle_guest(tmp_path) -> str:
    image = tmp_path / "idle.bin"
    image.write_bytes(b"\x01\xa0" * 8)            # c.j . : runs until stopped
    return str(image)


def cooked(fd) -> bool:
    attrs = termios.tcgetattr(fd)
    return bool(attrs[3] & termios.ICANON and attrs[3] & termios.ECHO)


def start(command: list[str], ready: bytes | None = None):
    child = pexpect.spawn(command[0], command[1:], timeout=60)
    assert cooked(child.child_fd)
    if ready is not None:
        child.expect(ready)
    deadline = time.monotonic() + 30
    while cooked(child.child_fd):                  # the program has made the terminal raw
        assert time.monotonic() < deadline, "the terminal never went raw"
        time.sleep(0.05)
    return child


def wait_exit(child) -> int:
    """The exit status of a child that has ended (and not by a signal's default action)."""
    child.close()
    assert child.signalstatus is None, f"killed by signal {child.signalstatus}"
    return child.exitstatus


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_run_gives_the_terminal_back_when_signalled(tmp_path, signum):
    """A shutdown request: the guest stops, the status says which signal, and the terminal
    the run made raw is cooked again."""
    child = start(PYTHON + ["run", "-nographic", "-bios", idle_guest(tmp_path)])
    time.sleep(0.3)
    os.kill(child.pid, signum)
    child.expect(f"terminating on signal {int(signum)}".encode())
    child.expect(pexpect.EOF)
    assert cooked(child.child_fd)
    assert wait_exit(child) == 128 + signum


def test_ctrl_a_x_gives_the_terminal_back(tmp_path):
    child = start(PYTHON + ["run", "-nographic", "-bios", idle_guest(tmp_path)])
    child.send(b"\x01x")
    child.expect(pexpect.EOF)
    assert cooked(child.child_fd)
    assert wait_exit(child) == 0


def test_a_signal_during_teardown_does_not_kill():
    """The demo guest powers off; signals keep coming from the moment it says so, while the
    process tears down: it exits with a status of its own, never by a signal's default
    action (which would leave a raw terminal and an unsynced disk behind)."""
    for attempt in range(10):
        proc = subprocess.Popen(PYTHON + ["run", "-nographic"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        for line in proc.stdout:
            if b"Powering off" in line:
                break
        time.sleep(0.001 * attempt)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT) * 3:
            try:
                proc.send_signal(signum)
            except ProcessLookupError:
                break
        proc.stdout.read()
        status = proc.wait(timeout=60)
        assert status >= 0, f"killed by signal {-status} (attempt {attempt})"


@pytest.mark.kvm
@pytest.mark.skipif(not os.access("/dev/kvm", os.R_OK | os.W_OK), reason="needs /dev/kvm")
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM])
def test_vm_gives_the_terminal_back_when_signalled(signum):
    child = start(PYTHON + ["vm", "--kernel", initramfs.default_kernel(), "--mem", "256M",
                            "--timeout", "60"])
    time.sleep(0.5)
    os.kill(child.pid, signum)
    child.expect(pexpect.EOF)
    assert cooked(child.child_fd)
    child.close()
    assert child.signalstatus is None and child.exitstatus == 128 + signum
