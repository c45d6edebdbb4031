"""Boot-to-marker benchmark: Linux on our machine against QEMU, same command line, same run.

`downstairs bench --linux` calls `report()`. For each case (the tiny rv64imac kernel on one
hart, the rv64gc kernel, the tiny kernel with `-smp 2`, and the tiny kernel with the disk)
both emulators boot Debian's OpenSBI (fw_dynamic) and the kernel; the figure is the wall time
from launching the process to the first console line with init_program.MARKER, the median of
`runs` boots, taken alternately so both see the same load. The ratio is ours over QEMU's:
below 1 means we are faster. The kernels are built first (cached).
"""

import statistics
import tempfile

from downstairs.bench import process
from downstairs.guests.linux import boot, disk, kernel
from downstairs.guests.linux.init_program import MARKER

OURS = process.ours("run")                 # the console command (process.py)
CASES = [                      # (label, kernel config, harts, with a disk)
    ("tiny", "tiny", 1, False),
    ("gc", "gc", 1, False),
    ("tiny -smp 2", "tiny", 2, False),
    ("tiny + disk", "tiny", 1, True),
]


def report(runs: int = 5) -> list[str]:
    """Boot every case `runs` times on each emulator, alternating; the table's lines (median
    seconds to the marker, ours / QEMU's) and the tiny kernel's ratio."""
    lines = [f"{'case':<14}{'ours s':>9}{'qemu s':>9}{'ratio':>8}"]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, config, harts, with_disk in CASES:
            image = kernel.build(config).image
            times: dict[str, list[float]] = {"ours": [], "qemu": []}
            for _ in range(runs):
                for who, prefix in (("ours", OURS), ("qemu", [boot.QEMU])):
                    drive = disk.fresh_copy(f"{tmp}/disk.img") if with_disk else None
                    times[who].append(boot.time_to_marker(boot.boot_command(image, drive, smp=harts, qemu=prefix), MARKER))
            ours, qemu = statistics.median(times["ours"]), statistics.median(times["qemu"])
            ratios.append(ours / qemu)
            lines.append(f"{label:<14}{ours:>9.3f}{qemu:>9.3f}{ours / qemu:>8.2f}")
    lines.append(f"tiny kernel to the marker: {ratios[0]:.2f}x QEMU's time (median of {runs} boots each)")
    return lines
