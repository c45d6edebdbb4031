"""How to boot the Linux guest: the QEMU command line, and a timed run to the marker.

QEMU's `virt` board with Debian's OpenSBI (fw_dynamic: QEMU tells it where the kernel is, in a
`struct fw_dynamic_info` passed in a2) in M-mode, which starts the Image in S-mode. The console
is the 16550A UART (ttyS0). The disk, if any, is a raw image on a virtio-mmio slot, which the
guest sees as /dev/vda. It is given as `-drive if=none,id=disk0 -device virtio-blk-device,...`:
QEMU turns the shorter `-drive ...,if=virtio` into a virtio-blk *PCI* device on this board, and
the kernel has no PCI (our machine maps both forms to virtio-mmio). `-no-reboot` turns a guest reboot or a panic into an exit;
the guest's power-off (SBI SRST) also ends QEMU, with status 0.

`downstairs run` takes the same -M/-bios/-kernel/-append/-drive options, so the list this
module builds works there too with `qemu` set to the downstairs command.
"""

import pathlib
import subprocess
import threading
import time

FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"   # Debian's opensbi
QEMU = "qemu-system-riscv64"
# QEMU 7.2's rv64 CPU without F, D, H and the optional extensions it turns on by default: an
# RV64IMAC + Zicsr + Zifencei hart (C stays: Debian's OpenSBI is built with it).
QEMU_CPU_RV64IMAC = ("rv64,f=false,d=false,h=false,sstc=false,zba=false,zbb=false,zbc=false,"
                     "zbs=false,Zihintpause=false")


def boot_command(kernel: pathlib.Path | str, disk: pathlib.Path | str | None = None, smp: int = 1,
                 memory: str = "128M", append: str = "console=ttyS0", qemu: list[str] | str = QEMU,
                 firmware: str = FIRMWARE, no_reboot: bool = True, cpu: str | None = None) -> list[str]:
    """The command that boots `kernel` (an Image) with `disk` (a raw ext2 image) on virtio-blk.
    `no_reboot=False` leaves out -no-reboot, for an emulator without that option; `cpu` is a
    QEMU -cpu model with its extension switches, e.g. RV64IMAC below."""
    cmd = [qemu] if isinstance(qemu, str) else list(qemu)
    cmd += ["-M", "virt", "-m", memory, "-nographic"] + (["-no-reboot"] if no_reboot else [])
    if cpu is not None:
        cmd += ["-cpu", cpu]
    cmd += ["-bios", firmware, "-kernel", str(kernel), "-append", append]
    if smp != 1:
        cmd += ["-smp", str(smp)]
    if disk is not None:
        cmd += ["-drive", f"file={disk},format=raw,if=none,id=disk0",
                "-device", "virtio-blk-device,drive=disk0"]
    return cmd


def run(cmd: list[str], marker: str, timeout: float = 120.0) -> tuple[int, str, float | None]:
    """Run `cmd` to its exit; return (exit status, console output, seconds from launch to the
    first line containing `marker`, or None). On timeout the process is killed (status -9)."""
    start = time.monotonic()
    seen = None
    lines = []
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    # a guest that hangs prints nothing: a timer kills it, which ends the read loop
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if seen is None and marker in line:
                seen = time.monotonic() - start
        status = proc.wait()
    finally:
        killer.cancel()
    return status, "".join(lines).replace("\r", ""), seen


def time_to_marker(cmd: list[str], marker: str) -> float:
    """Wall time from launch to the marker of one boot that must succeed (a benchmark figure)."""
    status, out, seen = run(cmd, marker)
    if seen is None or status != 0:
        raise RuntimeError(f"boot failed (exit {status}): {' '.join(cmd)}\n{out[-2000:]}")
    return seen
