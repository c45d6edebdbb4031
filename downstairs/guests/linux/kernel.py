"""Build a Linux 6.1 kernel Image for QEMU's RISC-V `virt` board, with /init inside, cached.

Steps (all with Debian packages; tools.py lists them):
  1. the source tree, unpacked once (source.py);
  2. /init compiled for the configuration's ISA (init_program.py);
  3. an initramfs list in gen_init_cpio's format (usr/gen_init_cpio.c): the directories
     /dev /proc /sys /mnt, the console node /dev/console (char 5:1, which the kernel opens as
     the init's stdin/stdout/stderr) and /init; kbuild packs it, uncompressed, into the Image;
  4. `make tinyconfig`, the options of config.py, `make olddefconfig` (twice: options whose
     dependencies the first pass turned on can only be set in the second), then a check that
     every option took;
  5. `make Image` out of tree, with a progress bar (progress.py).

The result is a directory `$DOWNSTAIRS_CACHE/linux/<name>-<key>/` holding Image (the RISC-V
Linux boot image: a 64-byte header with magic "RSC\\x05" at offset 56, then the kernel, loaded
2 MiB above the start of RAM), vmlinux (the ELF, for disassembly and symbols), System.map,
config, init, initramfs.list and build.log. The key hashes the package version, the cross
compiler's version, the configuration data and init's source and flags, so a change in any of
them builds a new entry; otherwise the entry is returned at once. The kbuild object tree is
deleted after the build (about 100 MB); only the artifacts are kept.
"""

import os
import pathlib
import shutil
import sys

from downstairs.errors import UsageError
from downstairs.guests import cache
from downstairs.guests.linux import config as kconfig
from downstairs.guests.linux import init_program, progress, source, tools

ARTIFACTS = ("Image", "vmlinux", "System.map", "config", "init", "initramfs.list", "build.log")
FIRST_ESTIMATE = 1000         # kbuild steps of our tinyconfig-based Image (998 measured), until counted
# A fixed identity and date for the build, so `uname -v` and the Image do not change from one
# build to the next (kbuild's KBUILD_BUILD_* variables).
BUILD_ENV = {"KBUILD_BUILD_USER": "downstairs", "KBUILD_BUILD_HOST": "downstairs",
             "KBUILD_BUILD_TIMESTAMP": "2024-01-01 00:00:00 UTC", "KBUILD_BUILD_VERSION": "1"}
BUILD_EPOCH = 1704067200          # the same instant in seconds since 1970
INITRAMFS_LIST = """\
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /mnt 0755 0 0
file /init {init} 0755 0 0
"""


class Built:
    def __init__(self, directory: pathlib.Path, cached: bool):
        """A built kernel in its cache folder; `cached`: found there, nothing was run."""
        self.directory = directory
        self.cached = cached

    @property
    def image(self) -> pathlib.Path:
        """The kernel Image the boards load (-kernel)."""
        return self.directory / "Image"

    @property
    def vmlinux(self) -> pathlib.Path:
        """The ELF vmlinux, for its symbols."""
        return self.directory / "vmlinux"


def get_config(name: str) -> kconfig.Config:
    """The kernel configuration called `name` (config.py); a UsageError for an unknown one."""
    if name not in kconfig.CONFIGS:
        raise UsageError(f"no Linux config named {name!r} (have: {', '.join(kconfig.CONFIGS)})")
    return kconfig.CONFIGS[name]


def _check_host() -> None:
    """A UsageError naming the Debian package if a tool or the riscv64 headers are missing."""
    tools.require(tools.KERNEL_TOOLS)
    if not pathlib.Path("/usr/riscv64-linux-gnu/include/asm/unistd.h").is_file():
        raise UsageError("riscv64 Linux headers not found: apt-get install libc6-dev-riscv64-cross")


def key_parts(cfg: kconfig.Config) -> list[tuple[str, str | bytes]]:
    """Everything the build depends on, each with a name (the image layer shows them as the
    inputs of its Linux step)."""
    return [(tools.SOURCE_PACKAGE, tools.package_version(tools.SOURCE_PACKAGE)),
            (f"{tools.CROSS}gcc", tools.tool_version(f"{tools.CROSS}gcc")),
            ("config", cfg.describe()), ("initramfs list", INITRAMFS_LIST),
            ("build identity", repr(sorted(BUILD_ENV.items()))),
            ("init flags", " ".join(init_program.flags(cfg.init_march, cfg.init_mabi))),
            ("init.c", init_program.SOURCE.read_bytes())]


def cache_key(cfg: kconfig.Config) -> str:
    """Everything the build depends on, hashed."""
    return cache.digest(*(value for _, value in key_parts(cfg)))


def entry(name: str) -> pathlib.Path:
    """Where the build of config `name` is (or will be) cached."""
    cfg = get_config(name)
    _check_host()
    return cache.cache_dir("linux") / f"{cfg.name}-{cache_key(cfg)}"


def _estimate_file(cfg: kconfig.Config) -> pathlib.Path:
    """Where the step count of the last build of `cfg` is kept (the progress bar's total)."""
    return cache.cache_dir("linux") / f"steps-{cfg.name}.txt"


def _estimate(cfg: kconfig.Config) -> int:
    """The expected number of build steps: the last build's, else a first guess."""
    try:
        return int(_estimate_file(cfg).read_text())
    except (OSError, ValueError):
        return FIRST_ESTIMATE


def build(name: str, show_progress: bool = True, log=None) -> Built:
    """The kernel of config `name` ("tiny" or "gc"), built if it is not in the cache."""
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    cfg = get_config(name)
    where = entry(name)
    if where.joinpath("Image").is_file():
        return Built(where, cached=True)
    tree = source.tree(log)
    cached = cache.publish(where, lambda tmp: _build_into(tmp, tree, cfg, show_progress, log))
    return Built(where, cached=cached)


def _build_into(out: pathlib.Path, tree: pathlib.Path, cfg: kconfig.Config, show_progress: bool, log) -> None:
    """Build kernel `cfg` from the source `tree` into `out`: the init and its initramfs list,
    the .config, then make Image with a pinned build time and user (a reproducible Image)."""
    kbuild = out / "kbuild"
    kbuild.mkdir()
    blog = out / "build.log"
    init_program.compile_init(tree, cfg.init_march, cfg.init_mabi, out / "init")
    # gen_init_cpio stores a file's own mtime in the archive: pin it, for a reproducible Image
    os.utime(out / "init", (BUILD_EPOCH, BUILD_EPOCH))
    (out / "initramfs.list").write_text(INITRAMFS_LIST.format(init=out / "init"))

    env = {**os.environ, **BUILD_ENV, "LC_ALL": "C"}
    make = ["make", "-C", str(tree), f"O={kbuild}", "ARCH=riscv", f"CROSS_COMPILE={tools.CROSS}"]

    def failed(what: str) -> UsageError:
        # the build directory goes away with the failure: keep its log beside the cache entries
        """The UsageError for a failed step, its build log kept in the cache for reading."""
        kept = cache.cache_dir("linux") / f"failed-{cfg.name}.log"
        shutil.copyfile(blog, kept)
        return UsageError(f"{what} failed for linux-{cfg.name}: see {kept}")

    def quiet_make(*targets: str) -> None:
        """Run make for `targets` into the build log; a UsageError if it fails."""
        status, _ = progress.run(make + list(targets), blog, "", 0, env=env, show=False)
        if status != 0:
            raise failed(f"make {' '.join(targets)}")

    options = cfg.options + (("INITRAMFS_SOURCE", str(out / "initramfs.list")),)
    quiet_make("tinyconfig")
    for _ in range(2):
        kconfig.apply(kbuild / ".config", options)
        quiet_make("olddefconfig")
    try:
        kconfig.check(kbuild / ".config", options)
    except ValueError as err:
        raise UsageError(f"linux-{cfg.name}: {err}") from None

    jobs = str(os.cpu_count() or 1)
    log(f"building linux-{cfg.name} ({cfg.summary}) with {jobs} jobs")
    status, steps = progress.run(make + ["-j", jobs, "Image"], blog, f"linux-{cfg.name}",
                                 _estimate(cfg), env=env, show=show_progress)
    if status != 0:
        raise failed(f"make Image (exit {status})")
    _estimate_file(cfg).write_text(f"{steps}\n")

    shutil.copyfile(kbuild / "arch" / "riscv" / "boot" / "Image", out / "Image")
    shutil.copyfile(kbuild / "vmlinux", out / "vmlinux")
    shutil.copyfile(kbuild / "System.map", out / "System.map")
    shutil.copyfile(kbuild / ".config", out / "config")
    shutil.rmtree(kbuild)
