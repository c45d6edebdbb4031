"""Initramfs images built from Debian packages: a cpio "newc" writer and the guests' /init scripts.

The format is the kernel's Documentation/driver-api/early-userspace/buffer-format.rst: each
entry is a 110-byte ASCII header ("070701" and thirteen 8-digit hex fields), the NUL-ended
name padded to 4 bytes, then the data padded to 4 bytes; "TRAILER!!!" ends the archive. The
kernel accepts it gzip-compressed (CONFIG_RD_GZIP).

Two images are built, both from the static busybox (package busybox-static) and kernel
modules of the installed Debian kernel (linux-image-*-cloud-amd64):
- the microVM guest: loads the virtio-mmio modules, prints the marker, reads a file from the
  virtio disk, writes one, syncs and ends the VM;
- the nested-KVM harness (nested.py): loads kvm-amd and virtiofs and runs a command in the
  host's root, shared read-only with a tmpfs overlay.
Images are cached under $DOWNSTAIRS_CACHE (default ~/.cache/downstairs), keyed by the package
versions and the init script.
"""

import glob
import gzip
import hashlib
import os
import subprocess
from pathlib import Path

BUSYBOX = "/bin/busybox"
MARKER = "downstairs-vm-ok"

VM_MODULES = ["virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "virtio_console", "virtio-rng"]

VM_INIT = """#!/bin/busybox sh
# /init of the downstairs microVM guest
/bin/busybox mkdir -p /proc /sys /dev /mnt /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo MARKER
echo "cpus: $(grep -c ^processor /proc/cpuinfo)"
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for m in MODULES; do insmod /lib/modules/$m.ko 2>/dev/null; done
if [ -b /dev/vda ]; then
    if mount /dev/vda /mnt; then
        echo "disk says: $(cat /mnt/input.txt)"
        echo "written by the guest: $(uname -r)" > /mnt/output.txt
        sync
        umount /mnt
        echo disk-done
    else
        echo "disk: cannot mount /dev/vda"
    fi
fi
[ -e /dev/hvc0 ] && echo "hello on hvc0" > /dev/hvc0
if grep -q downstairs.echo /proc/cmdline; then
    echo "type a line:"
    read -r line
    echo "got: $line"
fi
echo downstairs-vm-bye
sync
poweroff -f 2>/dev/null
reboot -f
"""


def cache_dir() -> Path:
    """The cache directory (DOWNSTAIRS_CACHE, else ~/.cache/downstairs), created if missing."""
    base = os.environ.get("DOWNSTAIRS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "downstairs")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_version(package: str) -> str:
    """A Debian package's installed version ("unknown" without dpkg), for cache keys."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def kernel_release(kernel_path: str) -> str:
    """'6.1.0-56-cloud-amd64' from /boot/vmlinuz-6.1.0-56-cloud-amd64."""
    name = os.path.basename(kernel_path)
    return name.split("-", 1)[1] if name.startswith("vmlinuz-") else os.uname().release


def default_kernel() -> str:
    """The newest /boot/vmlinuz (a cloud-amd64 one if any): the kernel the tests and the
    benchmark boot. FileNotFoundError if there is none."""
    found = sorted(glob.glob("/boot/vmlinuz-*-cloud-amd64")) or sorted(glob.glob("/boot/vmlinuz-*"))
    if not found:
        raise FileNotFoundError("no /boot/vmlinuz-*: install linux-image-cloud-amd64")
    return found[-1]


# ---- cpio newc ----------------------------------------------------------------------------
class Cpio:
    def __init__(self):
        """An empty newc archive; inode numbers count from 1."""
        self.out = bytearray()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        """Append one newc entry: the "070701" header of 13 hex fields, the name, the data, each
        padded to 4 bytes."""
        raw = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(raw), 0]
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields) + raw
        self.out += bytes(-len(self.out) % 4) + data + bytes(-len(data) % 4)
        self.ino += 1

    def directory(self, name: str) -> None:
        """A directory entry (mode 0755)."""
        self._entry(name, 0o040755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        """A regular file with its contents."""
        self._entry(name, 0o100000 | mode, data)

    def symlink(self, name: str, target: str) -> None:
        """A symbolic link: its data is the target."""
        self._entry(name, 0o120777, target.encode())

    def char_device(self, name: str, major: int, minor: int) -> None:
        """A character device node (major, minor)."""
        self._entry(name, 0o020600, rdev=(major, minor))

    def finish(self) -> bytes:
        """The archive, closed by the TRAILER!!! entry."""
        self.ino = 0
        self._entry("TRAILER!!!", 0)
        return bytes(self.out)


def build(init: str, modules: list[str], release: str) -> bytes:
    """A gzipped initramfs: busybox, /init, /dev/console and the named kernel modules."""
    archive = Cpio()
    for d in ("dev", "bin", "lib", "lib/modules", "proc", "sys", "mnt", "tmp"):
        archive.directory(d)
    archive.char_device("dev/console", 5, 1)
    archive.file("bin/busybox", Path(BUSYBOX).read_bytes(), 0o755)
    archive.symlink("bin/sh", "busybox")
    archive.file("init", init.encode(), 0o755)
    root = Path("/lib/modules") / release
    for name in modules:
        found = [p for pattern in (f"{name}.ko", f"{name}.ko.xz", f"{name}.ko.zst")
                 for p in root.rglob(pattern)]
        if not found:
            raise FileNotFoundError(f"kernel module {name} not found under {root}")
        data = found[0].read_bytes()
        archive.file(f"lib/modules/{name}.ko", data)
    return gzip.compress(archive.finish(), compresslevel=6, mtime=0)


def cached(init: str, modules: list[str], release: str, tag: str) -> Path:
    """Build once per (busybox version, kernel release, kernel package version, init, modules)."""
    key = "|".join([package_version("busybox-static"), release,
                    package_version(f"linux-image-{release}"), init, ",".join(modules)])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = cache_dir() / f"{tag}-{digest}.cpio.gz"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(build(init, modules, release))
        tmp.rename(path)
    return path


def vm_initramfs(release: str) -> Path:
    """The cached initramfs for the microVM: busybox, the virtio modules of kernel `release`,
    and an /init that prints MARKER and powers off."""
    init = VM_INIT.replace("MARKER", MARKER).replace("MODULES", " ".join(VM_MODULES))
    return cached(init, VM_MODULES, release, "vm-initramfs")
