"""`downstairs bench`: one command for every benchmark, and bad options are one line."""

import shutil
import subprocess
import sys

import pytest

BENCH = [sys.executable, "-m", "downstairs", "bench"]


@pytest.mark.parametrize("options,message", [
    (["--repeat", "0"], "--repeat '0'"),
    (["--repeat", "-1"], "--repeat '-1'"),
    (["--repeat", "two"], "--repeat 'two'"),
    (["--repeat", "\u00b2"], "--repeat '\u00b2'"),
    (["--rounds", "0", "--firmware"], "--rounds '0'"),
    (["--rounds", "-2", "--linux"], "--rounds '-2'"),
    (["--rounds", "0", "--vm"], "--rounds '0'"),
    (["--rounds", "-1", "--own-firmware"], "--rounds '-1'"),
    (["--programs", "nope"], "unknown program"),
    (["--programs", ","], "unknown program"),
])
def test_bad_counts_and_names_are_one_line(options, message):
    result = subprocess.run(BENCH + options, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_one_benchmark_at_a_time():
    result = subprocess.run(BENCH + ["--vm", "--linux"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not allowed with" in result.stderr


@pytest.mark.skipif(shutil.which("qemu-system-riscv64") is None, reason="needs qemu-system-riscv64")
def test_a_c_program_against_qemu():
    result = subprocess.run(BENCH + ["--programs", "sieve", "--repeat", "1", "--no-reference"],
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "sieve +mmu" in result.stdout and "MMU on: mean" in result.stdout and "QEMU's wall time" in result.stdout


def test_vm_start_up_is_seen_from_outside():
    """The VMM has no timing hook: strace timestamps its first KVM_RUN (which needs only a
    /dev/kvm that can create a VM, not one that boots Linux)."""
    import os

    from downstairs.bench import vm
    from downstairs.hypervisor import initramfs

    if shutil.which("strace") is None or not os.access("/dev/kvm", os.R_OK | os.W_OK):
        pytest.skip("needs strace and /dev/kvm")
    command = [sys.executable, "-m", "downstairs", "vm", "--kernel", initramfs.default_kernel(),
               "--append", vm.APPEND, "--mem", "256M"]
    seconds = vm.first_kvm_run(command)
    assert seconds is not None and 0 < seconds < 30
