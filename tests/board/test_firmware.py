"""Debian's firmware on the virt board, driven through the console like a person would, on
this machine and on qemu-system-riscv64 with the same command line; what they print must be
the same apart from the differences docs/board.md explains (no F/D/H, no
CFI flash, marchid/mimpid 0, a smaller device tree at another address).

Nothing here sleeps: each step waits for the text it needs (pexpect), with a generous limit."""

import difflib
import os
import re
import shutil
import sys

import pexpect
import pytest

FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic"
SMODE = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
MMODE = "/usr/lib/u-boot/qemu-riscv64/u-boot.bin"
OURS = [sys.executable, "-m", "downstairs", "run"]
QEMU = ["qemu-system-riscv64"]
COMMANDS = ["version", "bdinfo", "sbi", "printenv"]
LIMIT = 300

# Lines that differ for the reasons docs/board.md gives, matched on their start.
DIFFERENT = ("Boot HART Base ISA", "Boot HART MIDELEG",
             "Boot HART MEDELEG", "CPU:", "Core:", "Working FDT", "flashstart",
             "flashsize", "fdt_blob", "new_fdt", "fdt_size", " reserved[", "  Architecture ID",
             "  Implementation ID", "fdt_addr=", "fdtaddr=", "fdtcontroladdr=",
             # QEMU runs harts in parallel threads, so with -smp 2 either may win OpenSBI's
             # boot-hart lottery; here hart 0 always does (harts take turns, 0 first).
             "Domain0 Boot HART", "Boot HART ID")


def need(what):
    """A program on PATH, or a firmware file (absolute path)."""
    if what.startswith("/"):
        if not os.path.exists(what):
            pytest.fail(f"{what} is missing: apt-get install opensbi u-boot-qemu")
    elif shutil.which(what) is None:
        pytest.fail(f"{what} is not installed (.ci/run installs it)")


def drive(prefix, args):
    """Boot to the U-Boot prompt (a key at "Hit any key"), type COMMANDS, then poweroff.
    Returns the console transcript and the exit status."""
    child = pexpect.spawn(prefix[0], prefix[1:] + ["-M", "virt", "-m", "128M", "-nographic"] + args,
                          timeout=LIMIT, encoding="utf-8", codec_errors="replace")
    transcript = []
    try:
        child.expect("Hit any key to stop autoboot")
        transcript.append(child.before + child.after)
        child.send(" ")
        child.expect("=> ")
        transcript.append(child.before + child.after)
        for command in COMMANDS:
            child.sendline(command)
            child.expect("=> ")
            transcript.append(child.before + child.after)
        child.sendline("poweroff")
        child.expect(pexpect.EOF)
        transcript.append(child.before)
    finally:
        child.close(force=True)
    return "".join(transcript), child.exitstatus


def normal(text):
    lines = []
    for line in text.replace("\r", "").splitlines():
        line = re.sub(r"(Hit any key to stop autoboot:)\s*\d*\s*", r"\1", line)
        if line.startswith("Flash:"):
            continue                                 # QEMU's CFI flash: not on this board
        prefix = next((p for p in DIFFERENT if line.startswith(p)), None)
        if prefix is not None:
            line = prefix + " <differs>"
        lines.append(line.rstrip())
    return "\n".join(lines)


BOOTS = {
    "fw_jump": ["-bios", f"{FW}/fw_jump.bin", "-kernel", SMODE],
    "fw_dynamic-smp2": ["-smp", "2", "-bios", f"{FW}/fw_dynamic.bin", "-kernel", SMODE],
    "m-mode-uboot": ["-bios", MMODE],
}


@pytest.mark.slow
@pytest.mark.parametrize("boot", BOOTS)
def test_uboot_prompt_same_as_qemu(boot):
    need("qemu-system-riscv64")
    for arg in BOOTS[boot]:
        if arg.startswith("/"):
            need(arg)
    ours, our_status = drive(OURS, BOOTS[boot])
    theirs, their_status = drive(QEMU, BOOTS[boot])
    assert our_status == 0 and their_status == 0
    assert "U-Boot 2023.01" in ours and "=> " in ours
    if boot != "m-mode-uboot":
        assert "OpenSBI v1.1" in ours and "Platform HART Count       : " + ("2" if "smp2" in boot else "1") in ours
        assert "OpenSBI 1.1" in ours                 # U-Boot's `sbi` answer
    diff = list(difflib.unified_diff(normal(theirs).splitlines(), normal(ours).splitlines(),
                                     "qemu", "downstairs", n=1, lineterm=""))
    assert not diff, "\n".join(diff)


def test_normalisation_keeps_real_differences():
    assert normal("Boot HART MIDELEG         : 0x222") == normal("Boot HART MIDELEG         : 0x1666")
    assert normal("DRAM:  128 MiB") != normal("DRAM:  256 MiB")


@pytest.mark.slow
@pytest.mark.parametrize("machine", [OURS, QEMU], ids=["ours", "qemu"])
def test_uboot_reset_boots_again_and_ram_keeps_its_contents(machine):
    """`reset`: U-Boot -> SBI SRST -> OpenSBI -> sifive_test 0x7777; the board resets with
    its images and device tree back in RAM, and the whole boot happens again. RAM nothing is
    loaded into keeps what was written before the reset, as on QEMU: a warm reset does not
    clear memory."""
    need(machine[0])
    child = pexpect.spawn(machine[0], machine[1:] + ["-M", "virt", "-nographic"] + BOOTS["fw_jump"],
                          timeout=LIMIT, encoding="utf-8", codec_errors="replace")
    try:
        child.expect("Hit any key to stop autoboot")
        child.send(" ")
        child.expect("=> ")
        child.sendline("mw.l 0x85000000 0x5eed1e55")
        child.expect("=> ")
        child.sendline("reset")
        child.expect("OpenSBI v1.1")
        child.expect("Hit any key to stop autoboot")
        child.send(" ")
        child.expect("=> ")
        child.sendline("md.l 0x85000000 1")
        child.expect("85000000: ([0-9a-f]{8})")
        kept = child.match.group(1)
        child.expect("=> ")
        child.sendline("poweroff")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert kept == "5eed1e55"
