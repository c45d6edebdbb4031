"""The default root: Debian's busybox-static as /bin/busybox, with a link for each applet.

Built once into the cache (`$DOWNSTAIRS_CACHE/sandbox/busybox-root-HASH`), the hash taken
over the busybox binary and this layout, so a new busybox makes a new root. The links are
the paths `busybox --list-full` names (bin/ls, usr/bin/awk, sbin/ifconfig...), each a
symlink to /bin/busybox, as Debian's busybox-static would install them; empty /dev, /proc
and /tmp are there for the sandbox's own mounts (and for a native chroot to mount on).
"""

import os
import pathlib
import subprocess

from downstairs.errors import UsageError
from downstairs.guests import cache
from downstairs.sandbox import elf

BUSYBOX = "/bin/busybox"
LAYOUT = "1: bin/busybox, --list-full symlinks, dev proc tmp root etc"
DIRECTORIES = {"dev": 0o755, "proc": 0o555, "tmp": 0o1777, "root": 0o700, "etc": 0o755}


def busybox_bytes() -> bytes:
    try:
        with open(BUSYBOX, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise UsageError(f"{BUSYBOX} not found: install Debian's busybox-static") from None
    problem = elf.describe_problem(data[:elf.HEADER_READ], 62)
    if problem is not None:
        raise UsageError(f"{BUSYBOX} is {problem}: install Debian's busybox-static")
    return data


def applets() -> list[str]:
    """Where each applet lives, relative to the root (bin/ls, usr/bin/awk, ...)."""
    listing = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True, check=True).stdout
    return sorted({line.strip().lstrip("/") for line in listing.split() if line.strip()})


def default_root() -> pathlib.Path:
    """The cached root directory, built if needed."""
    data = busybox_bytes()
    entry = cache.cache_dir("sandbox") / f"busybox-root-{cache.digest(data, LAYOUT)}"
    if not entry.is_dir():
        cache.publish(entry, lambda tmp: build(tmp, data))
    return entry


def build(top: pathlib.Path, data: bytes) -> None:
    os.chmod(top, 0o755)
    for name, mode in DIRECTORIES.items():
        (top / name).mkdir()
        os.chmod(top / name, mode)
    (top / "bin").mkdir()
    (top / "bin" / "busybox").write_bytes(data)
    os.chmod(top / "bin" / "busybox", 0o755)
    for path in applets():
        if path == "bin/busybox":
            continue
        link = top / path
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists() and not link.is_symlink():
            link.symlink_to("/bin/busybox")
