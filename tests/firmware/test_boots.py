"""Our firmware as -bios, on our machine and on qemu-system-riscv64 with the same command line:
both Linux guests to the marker with the disk round trip; the SMP guest bringing up every hart
with -smp 2 and -smp 4 (with Debian's OpenSBI too, the first real multi-hart Linux on our
machine); Debian's S-mode U-Boot to its prompt, then `poweroff`; sbi_check.py, our S-mode
program that calls every SBI function; and the one-line failure when nothing was loaded."""

import os
import subprocess
import sys

import pexpect
import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.firmware import build
from downstairs.guests.linux import boot, disk, kernel
from downstairs.guests.linux.init_program import MARKER
from tests.guests.test_linux_machine import check_round_trip

OURS = [sys.executable, "-m", "downstairs", "run"]
MACHINES = {"qemu": [boot.QEMU], "downstairs": OURS}
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
HERE = os.path.dirname(__file__)
EXAMPLES = os.path.join(HERE, "..", "..", "downstairs", "compiler", "examples")
BANNER = "Downstairs SBI v2.0: "
TIMEOUT = 300

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def firmware() -> str:
    return str(build.build().binary)


@pytest.fixture(scope="module")
def sbi_check(tmp_path_factory) -> str:
    image = compile_file(os.path.join(HERE, "programs", "sbi_check.py"),
                         Options(base=0x80200000, search_path=[EXAMPLES]))
    path = tmp_path_factory.mktemp("sbi") / "sbi_check.elf"
    path.write_bytes(write_elf(image))
    return str(path)


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("config", ["tiny", "gc"])
def test_linux_with_the_disk_round_trip(firmware, machine, config, tmp_path):
    image = disk.fresh_copy(tmp_path / "disk.img")
    built = kernel.build(config, show_progress=False)
    cmd = boot.boot_command(built.image, image, qemu=MACHINES[machine], firmware=firmware)
    status, out, seen = boot.run(cmd, MARKER, TIMEOUT)
    assert seen is not None, out[-3000:]
    assert out.startswith(BANNER + "1 harts, 128 MiB, next stage at 0x80200000\n"), out[:500]
    assert "SBI specification v2.0 detected" in out and "SBI implementation ID=0x444f574e" in out
    check_round_trip(status, out, image)


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("bios", ["ours", "opensbi"])
@pytest.mark.parametrize("smp", [2, 4])
def test_smp_linux_brings_up_every_hart(firmware, machine, bios, smp, tmp_path):
    image = disk.fresh_copy(tmp_path / "disk.img")
    built = kernel.build("gc", show_progress=False)
    cmd = boot.boot_command(built.image, image, smp=smp, qemu=MACHINES[machine],
                            firmware=firmware if bios == "ours" else OPENSBI)
    status, out, seen = boot.run(cmd, MARKER, TIMEOUT)
    assert seen is not None, out[-3000:]
    assert f"smp: Brought up 1 node, {smp} CPUs" in out
    check_round_trip(status, out, image)


@pytest.mark.parametrize("machine", MACHINES)
def test_uboot_to_its_prompt_then_reset_then_poweroff(firmware, machine):
    """`reset` is SBI SRST's cold reboot: the board resets, our firmware and U-Boot come up
    again (the boot lottery's words come back with the image); `poweroff` ends with 0."""
    argv = MACHINES[machine] + ["-M", "virt", "-m", "128M", "-nographic", "-smp", "2", "-bios", firmware,
                                "-kernel", UBOOT]
    child = pexpect.spawn(argv[0], argv[1:], timeout=TIMEOUT, encoding="utf-8")
    try:
        for command in ("reset", "poweroff"):
            child.expect(BANNER + "2 harts")
            child.expect("Hit any key to stop autoboot")
            child.send(" ")
            child.expect("=> ")
            child.sendline("sbi")
            child.expect("=> ")
            assert "SBI 2.0" in child.before and "Hart State Management Extension" in child.before
            child.sendline(command)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("smp", [1, 2, 4])
def test_every_sbi_function_and_error_code(firmware, sbi_check, machine, smp):
    argv = MACHINES[machine] + ["-M", "virt", "-m", "128M", "-nographic", "-bios", firmware,
                                "-kernel", sbi_check, "-smp", str(smp)]
    run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert "FAIL" not in run.stdout, run.stdout
    assert run.stdout.rstrip().endswith(f"sbi-check: {0x47 if smp == 1 else 0x55:04x} checks, 0000 failures")
    assert run.returncode == 0


@pytest.mark.parametrize("machine", MACHINES)
def test_the_languages_kernel_style_program_runs_on_our_firmware(firmware, machine, tmp_path):
    """tests/compiler/programs/priv_supervisor.py (a U-mode task through @supervisor_trap,
    Sv39 paging, SBI power-off), as under OpenSBI in tests/compiler/test_privileged.py."""
    program = os.path.join(HERE, "..", "compiler", "programs", "priv_supervisor.py")
    elf = tmp_path / "supervisor.elf"
    elf.write_bytes(write_elf(compile_file(program, Options(base=0x80200000, search_path=[EXAMPLES]))))
    run = subprocess.run(MACHINES[machine] + ["-M", "virt", "-nographic", "-bios", firmware, "-kernel", str(elf)],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert run.stdout.endswith("paging on, window shows 1111, then 2222, wrote through it: 3333\n"), run.stdout
    assert run.returncode == 0


def test_the_timer_without_sstc_on_qemu(firmware, sbi_check):
    """QEMU can leave Sstc out: set_timer then goes through the CLINT and the M timer interrupt."""
    run = subprocess.run([boot.QEMU, "-M", "virt", "-m", "128M", "-nographic", "-cpu", "rv64,sstc=false",
                          "-bios", firmware, "-kernel", sbi_check], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert "ok   time: the timer interrupt is pending" in run.stdout, run.stdout
    assert "0000 failures" in run.stdout and run.returncode == 0


def test_smp_linux_without_sstc_on_qemu(firmware):
    """Linux 6.1 without Sstc asks the firmware for every timer tick (SBI set_timer)."""
    built = kernel.build("gc", show_progress=False)
    cmd = boot.boot_command(built.image, smp=2, firmware=firmware, cpu="rv64,sstc=false")
    status, out, seen = boot.run(cmd, MARKER, TIMEOUT)
    assert seen is not None and status == 0, out[-3000:]
    assert "smp: Brought up 1 node, 2 CPUs" in out and "reboot: Power down" in out


@pytest.mark.parametrize("machine", MACHINES)
def test_nothing_to_boot_is_one_line_and_status_1(firmware, machine):
    run = subprocess.run(MACHINES[machine] + ["-M", "virt", "-m", "128M", "-nographic", "-bios", firmware],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert run.stdout == "downstairs-sbi: nothing to run at the next stage's address (no -kernel?): 0x0\n"
    assert run.returncode == 1


def test_the_stage_trace_names_the_firmware_and_counts_it(firmware):
    built = kernel.build("tiny", show_progress=False)
    elf = str(build.build().elf)
    cmd = boot.boot_command(built.image, qemu=OURS, firmware=elf) + ["--trace-stages", "-icount", "shift=0"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "M-mode pc 0x80000000 <_start>  firmware downstairs-sbi.elf" in run.stderr
    summary = run.stderr[run.stderr.index("[stage] summary"):].splitlines()[1:]
    counts = {line.split(None, 4)[4]: int(line.split()[1].replace(",", "")) for line in summary}
    assert 1_000 < counts["firmware downstairs-sbi.elf"] < 20_000      # OpenSBI: 9.7 million
