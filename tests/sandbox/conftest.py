"""Fixtures for the sandbox's tests: a root to run in, and the same command run natively
(chroot, as root, with /proc and /dev mounted in a private mount namespace) and sandboxed."""

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


def sandbox_command(root, argv, platform: str = "seccomp") -> list[str]:
    return downstairs("sandbox", "--platform", platform, "--root", str(root), "--", *argv)


def run_sandboxed(root, argv, stdin: bytes = b"", timeout: float = 60, platform: str = "seccomp") -> Result:
    return Result(subprocess.run(sandbox_command(root, argv, platform), input=stdin,
                                 capture_output=True, env=ENV, timeout=timeout))


def run_native(root, argv, stdin: bytes = b"", timeout: float = 60) -> Result:
    script = 'mount -t proc proc "$0/proc" && mount --bind /dev "$0/dev" && exec chroot "$0" "$@"'
    return Result(subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                                  str(root), *argv], input=stdin, capture_output=True, env=ENV,
                                 timeout=timeout))


def copy_root(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A private copy of a root, so a native run may write in it. Files are copied, not
    hard-linked: a link count that other tests' copies change would show in `ls -l`."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def busybox_root() -> pathlib.Path:
    return rootfs.default_root()


@pytest.fixture
def root(busybox_root, tmp_path) -> pathlib.Path:
    yield copy_root(busybox_root, tmp_path / "root")
    shutil.rmtree(tmp_path / "root", ignore_errors=True)


PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
COMPILERS = {"x86_64": "gcc", "riscv64": "riscv64-linux-gnu-gcc"}


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """build(name, arch) -> a static executable of programs/NAME.c for that architecture."""
    out = tmp_path_factory.mktemp("programs")
    built = {}

    def make(name: str, arch: str = "x86_64") -> pathlib.Path:
        key = (name, arch)
        if key not in built:
            target = out / f"{name}-{arch}"
            subprocess.run([COMPILERS[arch], "-static", "-O2", "-o", str(target),
                            str(PROGRAMS / f"{name}.c"), "-lm"], check=True)
            built[key] = target
        return built[key]
    return make
