"""What our firmware costs, against Debian's OpenSBI (fw_dynamic), measured in one run:

    downstairs bench --own-firmware [--rounds N]

1. Instructions from reset to the next stage's first instruction on hart 0: the stage trace
   of our machine (`--trace-stages -icount shift=0`: exact, and the same instruction stream
   QEMU runs with -icount), for both firmwares; for ours also counted on QEMU itself, one
   logged instruction at a time (`-singlestep -d exec,nochain`), as a cross-check.
2. The tiny Linux guest booted to its init's marker with each firmware on each machine: the
   instructions of the whole boot (our machine, -icount shift=0, exact) and the wall time from
   launch to the marker (the median of N boots, the four set-ups taken in turn so they see the
   same load). The headline ratio: our machine with our firmware over QEMU with OpenSBI.
3. The firmware's size: lines of its subset sources (all, and without comments and blanks).

Nothing here passes or fails: it measures. (`downstairs bench --own-firmware` calls report().)
"""

import re
import statistics
import subprocess
import tempfile

from downstairs.bench import process
from downstairs.firmware import SOURCES
from downstairs.firmware.build import HERE, build
from downstairs.guests.linux import boot, kernel
from downstairs.guests.linux.init_program import MARKER

OURS = process.ours("run")                 # the console command (process.py)
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic"
KERNEL_ENTRY = 0x80200000


def trace(firmware_elf: str, image) -> tuple[int, int]:
    """(instructions of the firmware stage, instructions of the whole boot) on our machine."""
    cmd = boot.boot_command(image, qemu=OURS, firmware=firmware_elf) + ["--trace-stages", "-icount", "shift=0"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    summary = run.stderr[run.stderr.index("[stage] summary"):]
    total = int(re.search(r"\(([\d,]+) instructions in all\)", summary).group(1).replace(",", ""))
    stage = next(int(line.split()[1].replace(",", "")) for line in summary.splitlines() if "firmware" in line)
    return stage, total


def qemu_firmware_count(firmware: str, image) -> int:
    """Instructions QEMU executes from reset until the kernel's first one (every instruction
    its own translation block, each logged once it runs)."""
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        cmd = boot.boot_command(image, firmware=firmware) + ["-singlestep", "-d", "exec,nochain", "-D", log.name,
                                                             "-icount", "shift=0"]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            proc.stdout.readline()                    # the banner, then the kernel's first line:
            proc.stdout.readline()                    # it has run its first instruction by then
        finally:
            proc.terminate()                          # (QEMU writes out its log as it exits)
            proc.wait()
        count = 0
        with open(log.name) as lines:
            for line in lines:
                pc = re.search(r"/([0-9a-f]{16})/", line)
                if pc and int(pc.group(1), 16) == KERNEL_ENTRY:
                    return count
                count += pc is not None
    raise RuntimeError("the kernel's first instruction never ran")


def source_lines() -> tuple[int, int]:
    """(all lines, lines that are neither blank, comment nor docstring) of the firmware."""
    everything = code = 0
    for name in SOURCES:
        text = (HERE / f"{name}.py").read_text()
        everything += len(text.splitlines())
        in_doc = False
        for line in text.splitlines():
            stripped = line.strip()
            quotes = stripped.count('"""')
            if in_doc or quotes:
                in_doc = in_doc != (quotes == 1)
                continue
            if stripped and not stripped.startswith("#"):
                code += 1
    return everything, code


def report(runs: int = 5) -> list[str]:
    """The three measurements above, as the lines to print (`runs` boots per set-up)."""
    built = build()
    image = kernel.build("tiny").image
    firmwares = {"ours": (str(built.binary), str(built.elf)), "opensbi": (OPENSBI + ".bin", OPENSBI + ".elf")}
    lines = ["reset to the kernel's first instruction (hart 0, -icount shift=0):"]
    counts = {}
    for name, (_, elf) in firmwares.items():
        counts[name] = trace(elf, image)
        lines.append(f"  {name:<9}{counts[name][0]:>12,} instructions on our machine")
    lines.append(f"  ours     {qemu_firmware_count(firmwares['ours'][0], image):>12,} instructions on QEMU")
    lines.append(f"  ratio    {counts['opensbi'][0] / counts['ours'][0]:>12,.0f}x fewer than OpenSBI")
    setups = [(machine, fw) for machine in ("ours", "qemu") for fw in ("ours", "opensbi")]
    times: dict[tuple, list[float]] = {s: [] for s in setups}
    for _ in range(runs):
        for machine, fw in setups:
            prefix = OURS if machine == "ours" else [boot.QEMU]
            times[(machine, fw)].append(boot.time_to_marker(boot.boot_command(image, qemu=prefix,
                                                                              firmware=firmwares[fw][0]), MARKER))
    lines.append(f"tiny Linux to its marker (median of {runs} boots; instructions: the whole boot):")
    lines.append(f"  {'machine':<9}{'firmware':<10}{'seconds':>9}{'instructions':>15}")
    for machine, fw in setups:
        insns = f"{counts[fw][1]:>15,}"
        lines.append(f"  {machine:<9}{fw:<10}{statistics.median(times[(machine, fw)]):>9.3f}{insns}")
    ours = statistics.median(times[("ours", "ours")])
    qemu = statistics.median(times[("qemu", "opensbi")])
    lines.append(f"  our machine + our firmware: {ours / qemu:.2f}x the time of QEMU + OpenSBI")
    everything, code = source_lines()
    lines.append(f"firmware source: {everything} lines in {len(SOURCES)} files, {code} of them code")
    return lines

