"""The guest's disk: a small ext2 file system image with one known file, cached.

Made with Debian's e2fsprogs: `mke2fs -t ext2 -d DIR IMAGE SIZE` formats the image and copies
the directory DIR into it, without mounting anything (no root needed). The image is raw (no
partition table): the guest mounts the whole /dev/vda. Its size is a whole number of 512-byte
sectors, as a virtio-blk disk's capacity is counted in sectors (virtio spec 5.2.4).

The cached image is pristine: the guest writes to its disk, so a run uses a copy
(`fresh_copy`, or `downstairs guest disk --out FILE`). The image is reproducible: a fixed
UUID, hash seed and time (E2FSPROGS_FAKE_TIME), so its cache key is the content alone.
"""

import os
import pathlib
import shutil
import subprocess

from downstairs.errors import UsageError
from downstairs.guests import cache
from downstairs.guests.linux import tools
from downstairs.guests.linux.init_program import DISK_FILE

SIZE = 4 * 1024 * 1024                       # bytes: 8192 sectors
HELLO_TEXT = "hello from the downstairs disk image\n"
FILES = {DISK_FILE.lstrip("/"): HELLO_TEXT}  # path in the file system -> content
UUID = "d0d0d0d0-5a5a-4e4e-8b8b-0123456789ab"
FAKE_TIME = "1704067200"                     # 2024-01-01 00:00:00 UTC
LABEL = "downstairs"


def _mke2fs_args(files_dir: pathlib.Path, image: pathlib.Path) -> list[str]:
    """The mke2fs command that makes the image from `files_dir`: fixed label, UUID and hash
    seed, so the image is the same on every host."""
    return ["mke2fs", "-q", "-F", "-t", "ext2", "-L", LABEL, "-U", UUID, "-E", f"hash_seed={UUID}",
            "-d", str(files_dir), str(image), f"{SIZE // 1024}k"]


def entry() -> pathlib.Path:
    """The cache folder of the disk: keyed by the mke2fs version, the size, the files and the
    command."""
    tools.require(tools.DISK_TOOLS)
    key = cache.digest(mke2fs_version(), str(SIZE),
                       repr(sorted(FILES.items())), " ".join(_mke2fs_args(pathlib.Path("D"), pathlib.Path("I"))))
    return cache.cache_dir("linux") / f"disk-{key}"


def mke2fs_version() -> str:
    # `mke2fs -V` prints "mke2fs 1.47.0 (5-Feb-2023)" on stderr
    """mke2fs's version line, part of the cache key."""
    out = subprocess.run(["mke2fs", "-V"], capture_output=True, text=True)
    return (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else "mke2fs"


def build() -> tuple[pathlib.Path, bool]:
    """(path of the pristine cached image, whether it was cached)."""
    where = entry()
    image = where / "disk.img"
    if image.is_file():
        return image, True
    cached = cache.publish(where, _make)
    return image, cached


def _make(out: pathlib.Path) -> None:
    """Build the disk image in `out`: FILES in an ext2 made reproducibly (make_ext2)."""
    make_ext2({name: text.encode() for name, text in FILES.items()}, out / "disk.img")


def make_ext2(files: dict[str, bytes], image: pathlib.Path) -> None:
    """An ext2 image of SIZE bytes at `image` holding `files` (path -> content), reproducibly:
    the files' and directories' modes and times are fixed (the umask and the clock do not show),
    and so are mke2fs's UUID, hash seed and time. mke2fs's own complaint is the UsageError."""
    files_dir = image.parent / (image.name + ".files")
    for name, data in files.items():
        path = files_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    files_dir.mkdir(exist_ok=True)
    for path in [files_dir, *files_dir.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.utime(path, (int(FAKE_TIME), int(FAKE_TIME)))
    env = {**os.environ, "E2FSPROGS_FAKE_TIME": FAKE_TIME}
    copied = sorted("/" + str(path.relative_to(files_dir)) for path in files_dir.rglob("*"))
    result = subprocess.run(_mke2fs_args(files_dir, image), capture_output=True, text=True, env=env)
    shutil.rmtree(files_dir)
    if result.returncode != 0:
        raise UsageError(f"mke2fs failed: {(result.stderr or result.stdout).strip()}")
    # mke2fs -d copies each file's ctime, which is when this process wrote it: set it to the
    # fixed time too (debugfs, writing the image in place)
    script = image.parent / (image.name + ".debugfs")
    script.write_text("".join(f"set_inode_field {path} ctime @{FAKE_TIME}\n" for path in copied))
    result = subprocess.run(["debugfs", "-w", "-f", str(script), str(image)], capture_output=True, text=True,
                            env=env)
    script.unlink()
    if result.returncode != 0:
        raise UsageError(f"debugfs failed: {(result.stderr or result.stdout).strip()}")


def fresh_copy(out: pathlib.Path | str) -> pathlib.Path:
    """Copy the pristine image to `out` (a file the guest may write) and return its path."""
    image, _ = build()
    out = pathlib.Path(out)
    try:
        shutil.copyfile(image, out)
    except OSError as err:
        raise UsageError(f"{out}: {err.strerror}") from None
    return out


def read_file(image: pathlib.Path | str, path: str) -> bytes:
    """A file's content from an ext2 image, with `debugfs -R 'cat PATH'` (no mounting)."""
    tools.require(tools.DISK_TOOLS)
    result = subprocess.run(["debugfs", "-R", f"cat {path}", str(image)], capture_output=True)
    if result.returncode != 0:
        raise UsageError(f"debugfs {image}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout
