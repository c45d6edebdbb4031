"""The Linux 6.1 source tree, unpacked once from Debian's linux-source-6.1 into the cache.

The package ships the tree as /usr/src/linux-source-6.1.tar.xz (about 130 MB, 1.3 GB unpacked).
It is unpacked into `$DOWNSTAIRS_CACHE/linux/source-<package version>/` and shared by every kernel
configuration: kbuild builds out of tree (`make O=...`), so the source stays clean. The kernel's
own `tools/include/nolibc` in the same tree is the C library of our /init.
"""

import pathlib
import subprocess

from downstairs.errors import UsageError
from downstairs.guests import cache
from downstairs.guests.linux import tools


def version() -> str:
    """The dpkg version of linux-source-6.1 (e.g. "6.1.192-2")."""
    return tools.package_version(tools.SOURCE_PACKAGE)


def tree(log=print) -> pathlib.Path:
    """The unpacked tree (its top directory, holding Makefile); unpack it if needed."""
    entry = cache.cache_dir("linux") / f"source-{version()}"
    top = entry / "linux-source-6.1"
    if top.joinpath("Makefile").is_file():
        return top
    tarball = pathlib.Path(tools.SOURCE_TARBALL)
    if not tarball.is_file():
        raise UsageError(f"{tarball} not found: apt-get install {tools.SOURCE_PACKAGE}")
    tools.require({"tar": "tar", "xz": "xz-utils"})

    def unpack(tmp: pathlib.Path) -> None:
        """Unpack Debian's linux-source tarball into `tmp` (a UsageError if tar fails)."""
        log(f"unpacking {tarball} (once per package version)")
        result = subprocess.run(["tar", "-C", str(tmp), "-xf", str(tarball)], capture_output=True, text=True)
        if result.returncode != 0 or not (tmp / "linux-source-6.1" / "Makefile").is_file():
            raise UsageError(f"unpacking {tarball} failed: {result.stderr.strip()[:200]}")

    cache.publish(entry, unpack)
    return top
