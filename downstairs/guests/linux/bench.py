"""Boot-to-marker benchmark for the Linux guests on QEMU (or any emulator taking QEMU's options).

    python3 -m downstairs.guests.linux.bench [--runs 3] [--no-disk]
    python3 -m downstairs.guests.linux.bench --emulator "python3 -m downstairs run"

For each kernel (tiny, gc), with and without a disk, on 1 and 2 harts, the median wall time from
launching the emulator to the first line with init_program.MARKER, and the Image sizes.
The kernels are built first (cached). Wall times depend on the host; compare them on one host.
"""

import argparse
import shlex
import sys
import tempfile

from downstairs.guests.linux import boot, disk, kernel
from downstairs.guests.linux.init_program import MARKER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m downstairs.guests.linux.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="boots per figure (the median is shown)")
    parser.add_argument("--emulator", default=boot.QEMU, help="command prefix (default qemu-system-riscv64)")
    parser.add_argument("--no-disk", action="store_true", help="only the boots without a disk")
    args = parser.parse_args(argv)
    emulator = shlex.split(args.emulator)
    print(f"{'kernel':6} {'Image bytes':>11} {'disk':5} {'harts':>5} {'to marker (s)':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("tiny", "gc"):
            built = kernel.build(name)
            size = built.image.stat().st_size
            for with_disk in (False,) if args.no_disk else (False, True):
                for smp in (1, 2):
                    image = disk.fresh_copy(f"{tmp}/disk.img") if with_disk else None
                    cmd = boot.boot_command(built.image, image, smp=smp, qemu=emulator,
                                            no_reboot=emulator[0].startswith("qemu"))
                    seconds = boot.median_time_to_marker(cmd, MARKER, args.runs)
                    print(f"{name:6} {size:11,} {'yes' if with_disk else 'no':5} {smp:5} {seconds:14.3f}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
