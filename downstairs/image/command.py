"""`downstairs image`: a shell-less system built from a data manifest, content-addressed and
reproducible, booted from its disk by our boot loader (docs/image.md).

    downstairs image build [MANIFEST] [-o os.img]   build what is missing; print the image id
    downstairs image show [MANIFEST | IMAGE]        the closure as a tree: each input's hash and
                                                    whether each step is built; or an image
                                                    file's header, checked
    downstairs image run [MANIFEST] [--qemu] [--disk FILE] [-- MACHINE OPTIONS...]
                                                    build, then boot a fresh copy of the image as
                                                    the disk; the exit status is the guest's

Without MANIFEST, the demo system's: downstairs/kernel/system.toml. The steps' outputs live in
$DOWNSTAIRS_CACHE/store (default ~/.cache/downstairs/store), each under the hash of its inputs.

Exit status: 0 (or the guest's, for run); 2 with one line on stderr for a bad manifest entry
(FILE:LINE: entry: why), a task that does not compile, or a file that is not an image.
"""

import argparse
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile

from downstairs.errors import UsageError

QEMU = ["qemu-system-riscv64"]
DOWNSTAIRS_RUN = ["downstairs", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser("image", help="a system image from a manifest: build, show, run",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=lambda args: no_action(p))
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    q = sub.add_parser("build", help="build the image of a manifest (only what is not in the store)",
                       description="Build the system image of MANIFEST (default: the demo system's, "
                                   "downstairs/kernel/system.toml): every step whose output is not in the store "
                                   "runs, the others are reused. Prints the image id and the steps that ran.")
    q.add_argument("manifest", nargs="?", help="the system manifest (TOML)")
    q.add_argument("-o", "--output", metavar="FILE", help="copy the image here (it stays in the store too)")
    q.set_defaults(func=build)
    q = sub.add_parser("show", help="a manifest's closure as a tree, or an image file's header",
                       description="With a manifest (default: the demo system's), print the image's closure: "
                                   "every step and input with its hash, and whether each step is built. With an "
                                   "image file, print its header and check it as the boot loader would.")
    q.add_argument("manifest", nargs="?", help="a system manifest (TOML) or an image file")
    q.set_defaults(func=show)
    q = sub.add_parser("run", help="build, then boot the image on our machine (or QEMU)",
                       description="Build what is missing, print the machine's command line, and boot it: our "
                                   "machine (downstairs run) or QEMU with --qemu, the firmware as -bios, the "
                                   "boot loader as -kernel and a fresh copy of the image as the virtio disk. "
                                   "Options after -- go to the machine. The exit status is the guest's.")
    q.add_argument("manifest", nargs="?", help="the system manifest (TOML)")
    q.add_argument("--qemu", action="store_true", help="boot on qemu-system-riscv64 instead of our machine")
    q.add_argument("--disk", metavar="FILE", help="put the copy of the image here and keep it")
    q.add_argument("options", nargs="*", help="more options for the machine, after --")
    q.set_defaults(func=run)


def no_action(parser: argparse.ArgumentParser) -> int:
    """`downstairs image` alone: its help, status 2."""
    parser.print_help()
    return 2


def progress(step) -> None:
    """Say which step runs (the store calls this before each)."""
    print(f"building {step.kind} {step.name}", file=sys.stderr, flush=True)


def built(manifest):
    """The manifest's image, built if needed (the demo's for None)."""
    from downstairs.image.build import build as build_image

    return build_image(manifest, progress=progress)


def build(args: argparse.Namespace) -> int:
    """`image build`: the id, the steps that ran, where the image is (and its copy)."""
    image = built(args.manifest)
    print(f"image {image.id}")
    print(f"{len(image.ran)} steps run" + (f": {', '.join(image.ran)}" if image.ran else ": all in the store"))
    size = image.image.stat().st_size
    if args.output:
        try:
            shutil.copyfile(image.image, args.output)
        except OSError as err:
            raise UsageError(f"{args.output}: {err.strerror}") from None
        print(f"{args.output}: {size:,} bytes (from {image.image})")
    else:
        print(f"{image.image}: {size:,} bytes")
    return 0


def show(args: argparse.Namespace) -> int:
    """`image show`: an image file's header (anything not .toml), else the manifest's closure."""
    from downstairs.image import show as shows
    from downstairs.image.build import plan
    from downstairs.image.store import Store, default_root

    if args.manifest and not args.manifest.endswith(".toml"):
        try:
            blob = pathlib.Path(args.manifest).read_bytes()
        except OSError as err:
            raise UsageError(f"{args.manifest}: {err.strerror}") from None
        print("\n".join(shows.image_file(blob, args.manifest)))
        return 0
    store = Store(default_root())
    print("\n".join(shows.closure(plan(args.manifest, store).image, store)))
    return 0


def machine_options(image, disk: pathlib.Path) -> list[str]:
    """The machine's options for a built image booted from `disk`."""
    from downstairs.image.manifest import MIB

    m = image.plan.manifest
    options = ["-M", "virt", "-m", f"{m.ram[1] // MIB}M", "-nographic", "-bios", str(image.firmware),
               "-kernel", str(image.loader), "-drive", f"file={disk},format=raw,if=none,id=d0",
               "-device", "virtio-blk-device,drive=d0"]
    return options + (["-append", m.append] if m.append else [])


def run(args: argparse.Namespace) -> int:
    """`image run`: build, copy the image, print the machine's line, boot; the guest's status."""
    manifest, extra = args.manifest, list(args.options)
    if manifest and manifest.startswith("-"):             # `run -- -icount ...`: no manifest given
        manifest, extra = None, [manifest] + extra
    image = built(manifest)
    with tempfile.TemporaryDirectory(prefix="downstairs-image-") as scratch:
        disk = pathlib.Path(args.disk) if args.disk else pathlib.Path(scratch) / "os.img"
        try:
            shutil.copyfile(image.image, disk)
        except OSError as err:
            raise UsageError(f"{disk}: {err.strerror}") from None
        options = machine_options(image, disk) + extra
        shown = QEMU if args.qemu else DOWNSTAIRS_RUN
        print(shlex.join(shown + options), file=sys.stderr, flush=True)
        argv = QEMU if args.qemu else [sys.executable, "-m", "downstairs", "run"]
        try:
            return subprocess.run(argv + options).returncode
        except FileNotFoundError:
            raise UsageError(f"{argv[0]} is not installed (apt-get install qemu-system-misc)") from None
