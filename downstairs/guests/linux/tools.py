"""The host programs the Linux guest build needs, and the Debian package that brings each.

Everything comes from Debian 12 packages (setup.sh installs them). When one is missing the
build stops with a one-line error naming the package to install, before any work is done.
"""

import shutil
import subprocess

from downstairs.errors import UsageError

SOURCE_PACKAGE = "linux-source-6.1"
SOURCE_TARBALL = "/usr/src/linux-source-6.1.tar.xz"
CROSS = "riscv64-linux-gnu-"        # CROSS_COMPILE prefix for kbuild

# program -> Debian package
KERNEL_TOOLS = {
    f"{CROSS}gcc": "gcc-riscv64-linux-gnu",
    f"{CROSS}ld": "binutils-riscv64-linux-gnu",
    "make": "make",
    "gcc": "gcc",                   # kbuild compiles its host tools (fixdep, conf, gen_init_cpio)
    "flex": "flex",
    "bison": "bison",
    "bc": "bc",
    "xz": "xz-utils",
    "tar": "tar",
}
DISK_TOOLS = {"mke2fs": "e2fsprogs", "debugfs": "e2fsprogs"}


def require(tools: dict[str, str]) -> None:
    """Raise UsageError naming the first missing program and its package."""
    for program, package in tools.items():
        if shutil.which(program) is None:
            raise UsageError(f"{program} not found: install Debian's {package} (apt-get install {package})")


def package_version(package: str) -> str:
    """The installed version of a Debian package, e.g. "6.1.192-2"; UsageError if absent."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Status} ${Version}", package],
                             capture_output=True, text=True)
    except FileNotFoundError:
        raise UsageError("dpkg-query not found: the Linux guest is built from Debian packages") from None
    fields = out.stdout.split()
    if out.returncode != 0 or "installed" not in fields[:3] or len(fields) < 4:
        raise UsageError(f"{package} is not installed: apt-get install {package}")
    return fields[3]


def tool_version(program: str) -> str:
    """The first line of `program --version` (goes into cache keys)."""
    out = subprocess.run([program, "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0] if out.stdout else program
