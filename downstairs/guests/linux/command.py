"""`downstairs guest`: build the Linux guests and their disk, and say where they are.

    downstairs guest list                     what can be built, and what is in the cache
    downstairs guest build linux-tiny|linux-gc|disk|all
    downstairs guest path linux-tiny          the cached Image (built first if needed)
    downstairs guest path linux-tiny --file vmlinux
    downstairs guest disk --out disk.img      a fresh writable copy of the disk image
    downstairs guest clean                    remove cached builds that are out of date
    downstairs guest boot [linux-tiny]        boot it on our machine with a fresh disk copy

Builds go to $DOWNSTAIRS_CACHE (default ~/.cache/downstairs); progress goes to stderr and
paths to stdout, so `$(downstairs guest path linux-tiny)` works in a shell. Boot them with

    qemu-system-riscv64 -M virt -m 128M -nographic -no-reboot \\
      -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \\
      -kernel "$(downstairs guest path linux-tiny)" -append console=ttyS0 \\
      -drive file=disk.img,format=raw,if=none,id=disk0 -device virtio-blk-device,drive=disk0

or with `downstairs run` and the same options.
"""

import argparse
import pathlib

from downstairs.errors import UsageError

KERNELS = {"linux-tiny": "tiny", "linux-gc": "gc"}
NAMES = [*KERNELS, "disk"]
KERNEL_FILES = ("Image", "vmlinux", "System.map", "config", "init", "build.log")


def register(subparsers) -> None:
    """The `guest` subcommand and its actions (list, build, path, disk-copy, boot, clean)."""
    p = subparsers.add_parser("guest", help="build the Linux guests (Debian linux-source-6.1) and their disk",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=lambda args: _no_action(p))
    sub = p.add_subparsers(dest="action", metavar="ACTION")

    q = sub.add_parser("list", help="list the guests and whether they are built",
                       description="List the guests that can be built and their cached paths.")
    q.set_defaults(func=list_guests)

    q = sub.add_parser("build", help="build guests (cached; a second run is instant)",
                       description="Build guests into the cache and print their paths. NAME is "
                                   f"one of {', '.join(NAMES)}, or all.")
    q.add_argument("names", nargs="+", metavar="NAME", help=f"{', '.join(NAMES)} or all")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q.set_defaults(func=build)

    q = sub.add_parser("path", help="print a guest's cached file (building it first if needed)",
                       description="Print the path of a guest's file in the cache, building it "
                                   "first if needed. The disk image printed is the pristine "
                                   "cached copy: give a guest `downstairs guest disk --out FILE`.")
    q.add_argument("name", metavar="NAME", help=", ".join(NAMES))
    q.add_argument("--file", default="Image", metavar="FILE",
                   help=f"for a kernel: which file ({', '.join(KERNEL_FILES)}; default Image)")
    q.set_defaults(func=path)

    q = sub.add_parser("disk", help="write a fresh copy of the disk image (the guest writes to it)",
                       description="Copy the pristine ext2 disk image (built if needed) to FILE, "
                                   "for one guest run to write to.")
    q.add_argument("--out", required=True, metavar="FILE", help="where to write the copy")
    q.set_defaults(func=disk_copy)

    q = sub.add_parser("boot", help="boot a Linux guest with a fresh disk (the default job)",
                       description="Build the kernel and disk if needed, copy the disk, print the "
                                   "command line and run it: `downstairs run` (our machine), or "
                                   "qemu-system-riscv64 with --qemu. The guest's init mounts the "
                                   "disk, writes a file and powers off; the copy is kept.")
    q.add_argument("name", nargs="?", default="linux-tiny", metavar="NAME", help=", ".join(KERNELS))
    q.add_argument("--disk", metavar="FILE", help="where the disk copy goes (default: a temporary file)")
    q.add_argument("--smp", type=int, default=1, metavar="N", help="harts (default 1)")
    q.add_argument("--qemu", action="store_true", help="run the same command line on QEMU instead")
    q.set_defaults(func=boot_guest)

    q = sub.add_parser("clean", help="remove cached Linux builds that are out of date",
                       description="Remove the cached kernels, disks and source trees that the "
                                   "current inputs no longer use (each new package version, "
                                   "config or /init makes a new entry). --all removes them all.")
    q.add_argument("--all", action="store_true", help="remove the current entries too")
    q.set_defaults(func=clean)


def _no_action(parser: argparse.ArgumentParser) -> int:
    """`downstairs guest` with no action: print its help, exit 2."""
    parser.print_help()
    return 2


def _names(given: list[str]) -> list[str]:
    """Guest names in order, "all" expanded, each once; an unknown name is a UsageError."""
    out = []
    for name in given:
        if name == "all":
            out += [n for n in NAMES if n not in out]
        elif name in NAMES:
            out += [name] if name not in out else []
        else:
            raise UsageError(f"unknown guest {name!r} (known: {', '.join(NAMES)}, all)")
    return out


def _build_one(name: str, quiet: bool = False) -> tuple[pathlib.Path, bool]:
    """(the guest's main file, whether it came from the cache)."""
    if name == "disk":
        from downstairs.guests.linux import disk
        return disk.build()
    from downstairs.guests.linux import kernel
    built = kernel.build(KERNELS[name], show_progress=not quiet)
    return built.image, built.cached


def list_guests(args: argparse.Namespace) -> int:
    """`guest list`: each guest, what it is, and where its cached build is (or "not built")."""
    from downstairs.guests.linux import config, disk, kernel

    for name in NAMES:
        if name == "disk":
            summary, where = f"ext2 image, {disk.SIZE // 1024} KiB, with {', '.join(disk.FILES)}", disk.entry()
            main_file = where / "disk.img"
        else:
            summary, where = config.CONFIGS[KERNELS[name]].summary, kernel.entry(KERNELS[name])
            main_file = where / "Image"
        state = str(main_file) if main_file.is_file() else "not built"
        print(f"{name:11} {summary}\n{'':11} {state}")
    return 0


def build(args: argparse.Namespace) -> int:
    """`guest build NAME...`: build each (or take it from the cache) and print its path."""
    for name in _names(args.names):
        main_file, cached = _build_one(name, args.quiet)
        print(f"{name}: {main_file}" + (" (cached)" if cached else ""))
    return 0


def path(args: argparse.Namespace) -> int:
    """`guest path NAME [--file F]`: the cached file's path (built if needed)."""
    if args.name == "all":
        raise UsageError("path takes one guest name, not all")
    name = _names([args.name])[0]
    if name == "disk" and args.file != "Image":
        raise UsageError("--file is for kernels; the disk has one file")
    if args.file not in KERNEL_FILES:
        raise UsageError(f"unknown file {args.file!r} (known: {', '.join(KERNEL_FILES)})")
    main_file, _ = _build_one(name)
    print(main_file if name == "disk" else main_file.parent / args.file)
    return 0


def disk_copy(args: argparse.Namespace) -> int:
    """`guest disk-copy OUT`: a fresh writable copy of the built disk image."""
    from downstairs.guests.linux import disk

    out = disk.fresh_copy(args.out)
    print(out)
    return 0


def boot_guest(args: argparse.Namespace) -> int:
    """`guest boot`: boot a kernel with a fresh disk on our machine (or QEMU with --qemu) and
    return its exit status."""
    import os
    import shlex
    import subprocess
    import sys
    import tempfile

    from downstairs.guests.linux import boot, disk

    if args.name not in KERNELS:
        raise UsageError(f"unknown kernel {args.name!r} (known: {', '.join(KERNELS)})")
    if not 1 <= args.smp <= 8:
        raise UsageError(f"--smp {args.smp}: 1 to 8 harts")
    image, _ = _build_one(args.name)
    if args.disk:
        out = args.disk
    else:
        fd, out = tempfile.mkstemp(prefix="downstairs-disk-", suffix=".img")
        os.close(fd)
    drive = disk.fresh_copy(out)
    emulator = [boot.QEMU] if args.qemu else ["downstairs", "run"]
    cmd = boot.boot_command(image, drive, smp=args.smp, qemu=emulator)
    print("$ " + shlex.join(cmd), file=sys.stderr, flush=True)
    if not args.qemu:
        cmd = [sys.executable, "-m", "downstairs", *cmd[1:]]
    status = subprocess.run(cmd).returncode
    print(f"the disk the guest wrote to: {drive}", file=sys.stderr)
    return status


def clean(args: argparse.Namespace) -> int:
    """`guest clean`: delete the cache entries no current build uses (with --all, every
    entry)."""
    import shutil

    from downstairs.guests import cache
    from downstairs.guests.linux import disk, kernel, source

    folder = cache.cache_dir("linux")
    keep = set()
    if not args.all:
        keep = {kernel.entry(cfg).name for cfg in KERNELS.values()}
        keep |= {disk.entry().name, f"source-{source.version()}"}
    removed = 0
    for entry in sorted(folder.glob("*")) if folder.is_dir() else []:
        # entries are directories named <kind>-<key>; hidden ones are builds in progress
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in keep:
            with cache.exclusive(entry):
                shutil.rmtree(entry)
            entry.with_name(entry.name + ".lock").unlink(missing_ok=True)
            print(f"removed {entry}")
            removed += 1
    print(f"{removed} cached entries removed from {folder}")
    return 0
