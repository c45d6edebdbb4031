"""A firmware benchmark: Debian's OpenSBI + U-Boot to the prompt and back out, here and on QEMU.

The run a person would make: boot `-bios fw_jump.bin -kernel u-boot.bin` (S-mode U-Boot),
press a key at "Hit any key to stop autoboot", wait for the `=> ` prompt, type `poweroff`,
wait for the process to end. Both emulators get the same command line and are driven the
same way through a pty (pexpect), in the same run, `rounds` times each, alternating; the
figures are medians of wall time from launch. The ratio is ours / QEMU's (higher is slower).
A trace run (`-icount shift=0 --trace-stages`, not timed) gives the instructions per stage.

`downstairs bench --firmware [--rounds N]` runs it:
`firmware(rounds=3)` returns a dict, `report(result)` the lines to print.
Nothing here is a pass/fail test: it measures.
"""

import io
import re
import statistics
import time

from downstairs.bench import process

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic"
SMODE = "/usr/lib/u-boot/qemu-riscv64_smode"
OPTIONS = ["-M", "virt", "-m", "128M", "-nographic",
           "-bios", f"{FW}/fw_jump.bin", "-kernel", f"{SMODE}/u-boot.bin"]
OURS = process.ours("run")                 # the console command (process.py)
QEMU = ["qemu-system-riscv64"]
LIMIT = 600


def one_boot(prefix: list[str]) -> tuple[float, float]:
    """Seconds from launch to the prompt, and to the end of the process."""
    import pexpect

    started = time.perf_counter()
    child = pexpect.spawn(prefix[0], prefix[1:] + OPTIONS, timeout=LIMIT)
    try:
        child.expect(b"Hit any key to stop autoboot")
        child.send(b" ")
        child.expect(b"=> ")
        prompt = time.perf_counter() - started
        child.sendline(b"poweroff")
        child.expect(pexpect.EOF)
        total = time.perf_counter() - started
    finally:
        child.close(force=True)
    if child.exitstatus != 0:
        raise RuntimeError(f"{prefix[0]} ended with status {child.exitstatus}")
    return prompt, total


def stage_counts() -> list[tuple[str, int]]:
    """Instructions per stage from a `-icount shift=0 --trace-stages` run of the same boot
    (the ELF files, for symbols)."""
    import pexpect

    options = ["-M", "virt", "-m", "128M", "-nographic", "-icount", "shift=0", "--trace-stages",
               "-bios", f"{FW}/fw_jump.elf", "-kernel", f"{SMODE}/uboot.elf"]
    child = pexpect.spawn(OURS[0], OURS[1:] + options, timeout=LIMIT, encoding="utf-8",
                          codec_errors="replace")
    log = io.StringIO()
    child.logfile_read = log
    try:
        child.expect("Hit any key to stop autoboot")
        child.send(" ")
        child.expect("=> ")
        child.sendline("poweroff")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    text = log.getvalue()
    stages = []
    summary = text[text.find("summary"):]
    for match in re.finditer(r"\[stage\]\s+([\d,]+)\s+([MSU])-mode\s+(0x[0-9a-f]+)\s+(.+?)\r?\n", summary):
        stages.append((f"{match.group(4)} ({match.group(2)}-mode at {match.group(3)})",
                       int(match.group(1).replace(",", ""))))
    for match in re.finditer(r"\[stage\]\s+([\d,]+) insns\s+console printed '(.+?)'", text):
        stages.append((f"console printed {match.group(2)!r} (cumulative)",
                       int(match.group(1).replace(",", ""))))
    return stages


def firmware(rounds: int = 3) -> dict:
    """Boot `rounds` times on each emulator, alternating: the medians to the prompt and to the
    end, their ratios, and the instructions per stage of a traced run."""
    ours, qemu = [], []
    for _ in range(rounds):
        ours.append(one_boot(OURS))
        qemu.append(one_boot(QEMU))
    result = {
        "ours_prompt": statistics.median(p for p, _ in ours),
        "ours_total": statistics.median(t for _, t in ours),
        "qemu_prompt": statistics.median(p for p, _ in qemu),
        "qemu_total": statistics.median(t for _, t in qemu),
        "stages": stage_counts(),
    }
    result["ratio_prompt"] = result["ours_prompt"] / result["qemu_prompt"]
    result["ratio_total"] = result["ours_total"] / result["qemu_total"]
    return result


def report(result: dict) -> list[str]:
    """The lines `downstairs bench --firmware` prints for a `firmware()` result."""
    lines = ["OpenSBI fw_jump + U-Boot (S-mode), key at 'Hit any key', then poweroff "
             "(median wall seconds from launch)",
             f"{'':<12}{'to prompt':>12}{'to exit':>12}",
             f"{'downstairs':<12}{result['ours_prompt']:>12.3f}{result['ours_total']:>12.3f}",
             f"{'qemu':<12}{result['qemu_prompt']:>12.3f}{result['qemu_total']:>12.3f}",
             f"{'ratio':<12}{result['ratio_prompt']:>12.2f}{result['ratio_total']:>12.2f}",
             "instructions per stage (-icount shift=0):"]
    lines += [f"  {count:>13,}  {name}" for name, count in result["stages"]]
    return lines

