"""Fixtures for the sandbox's tests: a root to run in, and the same command run natively
(chroot, as root, with /proc and /dev mounted in a private mount namespace) and sandboxed."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from downstairs.sandbox import rootfs

REPO = pathlib.Path(__file__).resolve().parents[2]
ENV = {"PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "HOME": "/root", "LC_ALL": "C", "TERM": "dumb"}


class Result:
    def __init__(self, completed: subprocess.CompletedProcess):
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.status = completed.returncode

    def __repr__(self):
        return f"<status {self.status} stdout {self.stdout!r} stderr {self.stderr!r}>"


# The downstairs command of this checkout, without PYTHONPATH (which the program would see).
LAUNCH = f"import sys; sys.path.insert(0, {str(REPO)!r}); from downstairs.cli import main; sys.exit(main())"


def downstairs(*args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCH, *args]


def sandbox_command(root, argv) -> list[str]:
    return downstairs("sandbox", "--root", str(root), "--", *argv)


def run_sandboxed(root, argv, stdin: bytes = b"", timeout: float = 60) -> Result:
    return Result(subprocess.run(sandbox_command(root, argv), input=stdin, capture_output=True,
                                 env=ENV, timeout=timeout))


def run_native(root, argv, stdin: bytes = b"", timeout: float = 60) -> Result:
    script = 'mount -t proc proc "$0/proc" && mount --bind /dev "$0/dev" && exec chroot "$0" "$@"'
    return Result(subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                                  str(root), *argv], input=stdin, capture_output=True, env=ENV,
                                 timeout=timeout))


def copy_root(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A private copy of a root (busybox hard-linked), so a native run may write in it."""
    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
    return target


@pytest.fixture(scope="session")
def busybox_root() -> pathlib.Path:
    return rootfs.default_root()


@pytest.fixture
def root(busybox_root, tmp_path) -> pathlib.Path:
    return copy_root(busybox_root, tmp_path / "root")
