"""Bad command lines and bad files: one line on stderr, exit status 2, never a traceback."""

import os
import subprocess
import sys

import pytest

RUN = [sys.executable, "-m", "downstairs", "run", "-nographic"]
FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"


def x86_image(tmp_path):
    path = tmp_path / "bz"
    path.write_bytes(bytes(0x202) + b"HdrS" + bytes(64))
    return str(path)


def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


def sparse(tmp_path, size):
    path = tmp_path / "big.img"
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)


CASES = {
    "a FIFO as kernel": (lambda t: ["-bios", "none", "-kernel", fifo(t)], "not a regular file"),
    "a FIFO as firmware": (lambda t: ["-bios", fifo(t)], "not a regular file"),
    "/dev/zero": (lambda t: ["-bios", "/dev/zero"], "not a regular file"),
    "/dev/urandom": (lambda t: ["-bios", "none", "-kernel", "/dev/urandom"], "not a regular file"),
    "/proc/self/mem": (lambda t: ["-bios", "/proc/self/mem"], "cannot read"),
    "a directory": (lambda t: ["-bios", str(t)], "is a directory"),
    "larger than RAM": (lambda t: ["-m", "16M", "-bios", sparse(t, 17 << 20)], "do not fit in 16 MiB"),
    "x86 ELF as firmware": (lambda t: ["-bios", sys.executable], "not RISC-V"),
    "bzImage as kernel": (lambda t: ["-bios", "none", "-kernel", x86_image(t)], "x86 Linux bzImage"),
    "missing file": (lambda t: ["-bios", str(t / "nope.bin")], "no such file"),
    "kernel overlaps firmware": (lambda t: ["-bios", f"{FW}/fw_jump.bin", "-kernel", f"{FW}/fw_jump.elf"],
                                 "overlaps"),
    "kernel beyond RAM": (lambda t: ["-m", "2M", "-bios", f"{FW}/fw_jump.bin", "-kernel", UBOOT],
                          "outside RAM"),
    "no room for the device tree": (lambda t: ["-m", "3M", "-bios", f"{FW}/fw_jump.bin", "-kernel", UBOOT],
                                    "RAM is too small"),
    "smp zero": (lambda t: ["-smp", "0"], "invalid -smp"),
    "smp word": (lambda t: ["-smp", "many"], "invalid -smp"),
    "smp topology that does not multiply out": (lambda t: ["-smp", "2,sockets=3"], "the topology gives 3 harts"),
    "smp with hot-plug room": (lambda t: ["-smp", "2,maxcpus=4"], "maxcpus must be the number of harts"),
    "smp unknown field": (lambda t: ["-smp", "2,books=1"], "invalid -smp"),
    "smp not ASCII digits": (lambda t: ["-smp", "\u00b2"], "invalid -smp"),       # isdigit(), yet not int()
    "smp longer than int() reads": (lambda t: ["-smp", "1" * 5000], "invalid -smp"),
    "icount not ASCII digits": (lambda t: ["-icount", "shift=\u00b2"], "invalid -icount"),
    "memory longer than int() reads": (lambda t: ["-m", "1" * 5000 + "M"], "invalid memory size"),
    "append without a kernel": (lambda t: ["-append", "console=ttyS0"], "-append only allowed with -kernel"),
    "a CPU model there is not": (lambda t: ["-cpu", "rv32"], "unable to find CPU model 'rv32'"),
    "CPU extensions": (lambda t: ["-cpu", "rv64,h=true"], "extensions are fixed"),
    "QEMU's -d": (lambda t: ["-d", "in_asm"], "-d: not on this machine"),
    "memory syntax": (lambda t: ["-m", "12Q"], "invalid memory size"),
    "memory too large": (lambda t: ["-m", "64G"], "too large"),
    "icount": (lambda t: ["-icount", "shift=99"], "invalid -icount"),
    "machine option": (lambda t: ["-M", "virt,acpi=on"], "unknown machine option"),
    "dumpdtb path": (lambda t: ["-M", f"virt,dumpdtb={t}/no/such/dir.dtb"], "cannot write"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line(tmp_path, case):
    make_args, message = CASES[case]
    result = subprocess.run(RUN + make_args(tmp_path), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
