"""The system booted for real, on QEMU and on our machine with the same command line (issue 14's):

    downstairs run -M virt -bios FW -kernel "$(downstairs kernel path)" \\
        -drive file=disk.img,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0 -nographic

with FW Debian's OpenSBI fw_dynamic or our own firmware. The store formats the blank disk, a
second boot finds what the first wrote, the host reads the app's record back from the image, and
both machines leave the same bytes on it. Then the test systems of tests/kernel/systems: faults
contained, a line read from the console, time slices and preemption, kernel panics; and the
reference engine for one boot.
"""

import pathlib
import re
import struct
import subprocess
import sys

import pytest

from downstairs.kernel.build import build
from downstairs.kernel.tasks import storeformat as F

from tests.kernel.conftest import SYSTEMS

pytestmark = pytest.mark.slow

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
MACHINES = {"qemu": ["qemu-system-riscv64"], "downstairs": [sys.executable, "-m", "downstairs", "run"]}
APP_LINES = [b"app: hello from U-mode", b"app: boot number %d", b"app: the store says: hello from the app, boot %d",
             b"app: the crasher answered 10 requests and died 3 times on the way", b"app: done, powering off"]
RESTART = re.compile(rb"supervisor: task 4 faulted \(cause 0xd at 0x804\w+, tval 0x0\): restarting it")


@pytest.fixture(scope="module")
def firmwares():
    from downstairs.firmware.build import build as build_firmware
    return {"opensbi": OPENSBI, "ours": str(build_firmware().binary)}


def boot(machine, firmware, image, disk=None, extra=(), stdin=b"", timeout=300):
    """Run the command line on `machine`: (exit status, console lines after the firmware's)."""
    argv = MACHINES[machine] + ["-M", "virt", "-bios", firmware, "-kernel", str(image)]
    if disk is not None:
        argv += ["-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"]
    argv += ["-nographic", *extra]
    run = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)
    lines = run.stdout.replace(b"\r\n", b"\n").split(b"\n")
    ours = [line for line in lines if re.match(rb"(app|supervisor|fault|echo|tick|spinner|kernel panic)\b", line)]
    return run.returncode, ours


def records(disk: pathlib.Path) -> dict:
    """The store's records, read from the disk image on the host (storeformat.py's layout)."""
    data = disk.read_bytes()
    assert struct.unpack_from("<QII", data, F.SB_MAGIC) == (F.MAGIC, F.VERSION, F.SLOTS)
    found = {}
    for slot in range(F.SLOTS):
        at = (1 + slot) * F.SECTOR
        used, key_length, value_length, _ = struct.unpack_from("<IIII", data, at)
        if used:
            key = data[at + F.R_KEY:at + F.R_KEY + key_length]
            found[key] = data[at + F.R_VALUE:at + F.R_VALUE + value_length]
    return found


def expect_app(lines, number):
    assert [line for line in lines if line.startswith(b"app:")] == \
        [line % number if b"%d" in line else line for line in APP_LINES]
    assert sum(1 for line in lines if RESTART.fullmatch(line)) == 3
    assert len(lines) == len(APP_LINES) + 3


@pytest.mark.parametrize("firmware", ["opensbi", "ours"])
def test_two_boots_serve_keep_their_records_and_leave_the_same_disk_on_both_machines(firmware, firmwares, tmp_path):
    image = build().image
    disks = {}
    for machine in MACHINES:
        disk = tmp_path / f"{machine}.img"
        disk.write_bytes(bytes(1 << 20))                      # blank: the store formats it
        for number in (1, 2):
            status, lines = boot(machine, firmwares[firmware], image, disk)
            assert status == 0, lines
            expect_app(lines, number)
        disks[machine] = disk.read_bytes()
        assert records(disk) == {b"boots": struct.pack("<Q", 2), b"greeting": b"hello from the app, boot 2"}
    assert disks["qemu"] == disks["downstairs"]


@pytest.mark.parametrize("machine", MACHINES)
def test_every_misbehaving_task_is_stopped_and_reported(machine, firmwares):
    image = build(SYSTEMS / "faults.toml").image
    status, lines = boot(machine, firmwares["ours"], image)
    assert status == 0
    faults = [line.split(b" ")[2:] for line in lines if line.startswith(b"fault:")]
    causes = {int(task): (int(cause, 16), int(tval, 16)) for task, _, cause, _, tval in faults}
    assert {task: cause for task, (cause, _) in causes.items()} == {
        2: 15,          # writes_code: a store page fault (its code is read + execute)
        3: 13,          # reads_kernel: a load page fault (the kernel is mapped without U)
        4: 13,          # reads_other: a load page fault (the UART task's memory is not mapped)
        5: 2,           # illegal: an illegal instruction (sstatus from U-mode)
        6: 0x100,       # bad_call: FAULT_SYSCALL
        7: 0x101,       # denied: FAULT_SEND_DENIED
        8: 0x100,       # bad_lease: FAULT_SYSCALL
        9: 15,          # overflow: a store page fault in the guard page below its stack
    }
    assert causes[3][1] == 0x80200000 and causes[4][1] == 0x80408000
    assert causes[6][1] == 1 and causes[7][1] == 10 and causes[8][1] == 3      # BAD_NUMBER, the app, BAD_LEASE_LIST
    assert lines[-2:] == [b"app: every fault reported, the kernel still runs", b"app: the timer fired"]
    assert not any(b"survived" in line for line in lines)


@pytest.mark.parametrize("machine", MACHINES)
def test_a_line_typed_at_the_console_comes_back(machine, firmwares):
    image = build(SYSTEMS / "echo.toml").image
    status, lines = boot(machine, firmwares["ours"], image, stdin=b"hello kernel\r")
    assert status == 0
    assert lines == [b"echo: type a line", b"echo: hello kernel"]


def test_spinners_share_the_hart_and_the_timer_preempts_them(firmwares):
    """Two spinners of equal priority never make a system call: they take turns of 10 ms, and the
    ticker (more urgent) runs every 2 ms. With -icount shift=0 both machines run the same
    instructions, so the interleaving is the same line for line."""
    image = build(SYSTEMS / "preempt.toml").image
    runs = {machine: boot(machine, firmwares["ours"], image, extra=["-icount", "shift=0"]) for machine in MACHINES}
    status, lines = runs["downstairs"]
    assert status == 0 and runs["qemu"] == runs["downstairs"]
    assert [line for line in lines if line.startswith(b"tick")] == [b"tick %d" % n for n in range(1, 11)]
    a = [n for n, line in enumerate(lines) if line.startswith(b"spinner a")]
    b = [n for n, line in enumerate(lines) if line.startswith(b"spinner b")]
    assert a and b and max(a) < min(b)                                  # a's turn, then b's
    ticks = [n for n, line in enumerate(lines) if line.startswith(b"tick")]
    assert any(a[0] < t < a[-1] for t in ticks) and any(b[0] < t < b[-1] for t in ticks)   # preempted


@pytest.mark.parametrize("firmware", ["opensbi", "ours"])
@pytest.mark.parametrize("machine", MACHINES)
def test_a_kernel_assertion_prints_file_and_line_and_powers_off_with_status_1(machine, firmware, firmwares, tmp_path):
    image = bytearray(build().image.read_bytes())
    image[image.find(b"DSTASKS1")] ^= 0xFF                              # the task table's magic, broken
    broken = tmp_path / "broken.bin"
    broken.write_bytes(image)
    source = (pathlib.Path(__file__).parents[2] / "downstairs/kernel/table.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "assert load64(address + H_MAGIC) == MAGIC" in text)
    status, lines = boot(machine, firmwares[firmware], broken)
    assert status == 1
    assert lines == [f"kernel panic at downstairs/kernel/table.py:{line}: a check failed (assert, array index "
                     f"or division by zero)".encode()]


@pytest.mark.parametrize("machine", MACHINES)
def test_a_faulting_supervisor_is_a_kernel_panic(machine, firmwares):
    status, lines = boot(machine, OPENSBI, build(SYSTEMS / "panic.toml").image)
    assert status == 1
    assert len(lines) == 1 and re.fullmatch(rb"kernel panic: the supervisor \(task 0\) faulted: cause 0xd at pc "
                                            rb"0x804\w+, tval 0x80200000", lines[0])


def test_the_reference_engine_boots_it_the_same(firmwares, tmp_path):
    """One source, two speeds: the CPU core as CPython runs it, on a short case (our firmware)."""
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(1 << 20))
    status, lines = boot("downstairs", firmwares["ours"], build().image, disk, extra=["--engine", "reference"])
    assert status == 0
    expect_app(lines, 1)


@pytest.mark.parametrize("firmware", ["opensbi", "ours"])
def test_without_sstc_the_kernel_times_with_sbi_set_timer(firmware, firmwares):
    """On a hart without Sstc (QEMU's -cpu rv64,sstc=off: no stimecmp, its access an illegal
    instruction the boot probe steps over) the timer goes through SBI TIME, and preemption
    and turns work the same."""
    image = build(SYSTEMS / "preempt.toml").image
    status, lines = boot("qemu", firmwares[firmware], image, extra=["-cpu", "rv64,sstc=off", "-icount", "shift=0"])
    assert status == 0
    assert [line for line in lines if line.startswith(b"tick")] == [b"tick %d" % n for n in range(1, 11)]
    assert any(line.startswith(b"spinner a") for line in lines) and any(line.startswith(b"spinner b") for line in lines)
