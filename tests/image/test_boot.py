"""Images booted for real, on QEMU and on our machine with the same command line (the one
`downstairs image run` prints):

    downstairs run -M virt -m 128M -nographic -bios FIRMWARE -kernel loader.elf \\
        -drive file=COPY-OF-os.img,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0

The demo system with our firmware and OpenSBI: the loader checks and starts the kernel, the app
prints the manifest's motd, a second boot finds what the first wrote after the image, the host
reads the records back, both machines leave the same bytes. A corrupt, truncated or missing
image is refused with its line and status. `downstairs image run` on both machines, with the
guest's exit status. The Linux system (Linux + our init) with both firmwares on both machines.
"""

import re
import shutil
import struct
import subprocess
import sys

import pytest

from downstairs.bench import image as bench
from downstairs.image import imagefile
from downstairs.image.build import build
from downstairs.image.command import machine_options
from downstairs.image.store import Store
from downstairs.kernel.tasks import storeformat as F

from tests.image.conftest import LINUX, REPO, demo_copy

pytestmark = pytest.mark.slow

MACHINES = {"qemu": ["qemu-system-riscv64"], "downstairs": [sys.executable, "-m", "downstairs", "run"]}
APP = [b"app: hello from U-mode", b"app: motd: a system built from a manifest: no shell, six tasks, one disk",
       b"app: boot number %d", b"app: the store says: hello from the app, boot %d",
       b"app: the crasher answered 10 requests and died 3 times on the way", b"app: done, powering off"]
LOADER_LINE = re.compile(rb"downstairs-boot: image ([0-9a-f]{16}), (\d+) bytes in (\d+) segments: sha256 good, "
                         rb"starting the kernel at 0x80200000")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def demo(stores, tmp_path_factory):
    """The demo image, and the same system on OpenSBI (one line of its manifest changed)."""
    folder = tmp_path_factory.mktemp("opensbi")
    opensbi = demo_copy(folder, lambda s: s.replace('use = "downstairs"                        # our SBI',
                                                    'use = "opensbi"  # our SBI'))
    return {"ours": build(store=stores), "opensbi": build(opensbi, Store(stores.root))}


def boot(machine: str, image, disk, extra=(), timeout=600):
    """The image's command line on `machine` with `disk`: (exit status, console lines)."""
    argv = MACHINES[machine] + machine_options(image, disk) + list(extra)
    run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return run.returncode, run.stdout.replace(b"\r\n", b"\n").split(b"\n")


def fresh(image, folder, name="os.img"):
    path = folder / name
    shutil.copyfile(image.image, path)
    return path


def records(disk) -> dict:
    """The store's records read back on the host, after the image (its header says where)."""
    data = disk.read_bytes()
    at = imagefile.read_header(data, str(disk)).data_sector * F.SECTOR
    assert struct.unpack_from("<QII", data, at) == (F.MAGIC, F.VERSION, F.SLOTS)
    found = {}
    for slot in range(F.SLOTS):
        r = at + (1 + slot) * F.SECTOR
        used, key_length, value_length, _ = struct.unpack_from("<IIII", data, r)
        if used:
            found[data[r + F.R_KEY:r + F.R_KEY + key_length]] = data[r + F.R_VALUE:r + F.R_VALUE + value_length]
    return found


@pytest.mark.parametrize("firmware", ["ours", "opensbi"])
def test_two_boots_from_the_image_on_both_machines_leave_the_same_disk(demo, firmware, tmp_path):
    image = demo[firmware]
    disks = {}
    for machine in MACHINES:
        disk = fresh(image, tmp_path, f"{machine}.img")
        for number in (1, 2):
            status, lines = boot(machine, image, disk)
            assert status == 0, (machine, lines)
            found = [line for line in lines if LOADER_LINE.match(line)]
            assert len(found) == 1 and LOADER_LINE.match(found[0]).group(1).decode() == image.id[:16]
            app = [line for line in lines if line.startswith(b"app:")]
            assert app == [line.replace(b"%d", str(number).encode()) for line in APP], (machine, lines)
        found = records(disk)
        assert found[b"boots"] == (2).to_bytes(8, "little") and found[b"motd"].startswith(b"a system built")
        assert found[b"greeting"] == b"hello from the app, boot 2"
        disks[machine] = disk.read_bytes()
    assert disks["qemu"] == disks["downstairs"]
    pristine = image.image.read_bytes()
    header = imagefile.read_header(pristine, "os.img")
    boot_part = header.data_sector * F.SECTOR
    assert disks["qemu"][:boot_part] == pristine[:boot_part]           # the system wrote only its data


def corrupt_payload(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[600] ^= 0x10
    return bytes(changed)


def corrupt_header(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[0x28] ^= 0x01                                     # the entry address
    return bytes(changed)


REFUSALS = {
    "a corrupt payload": (corrupt_payload, 7, b"downstairs-boot: the image is corrupt: its sha256 does not match "
                                              b"its header; powering off"),
    "a corrupt header": (corrupt_header, 3, b"downstairs-boot: the image's header is corrupt: its sha256 does not "
                                            b"match; powering off"),
    "a truncated image": (lambda data: data[:20 * 512], 6, b"downstairs-boot: the image is truncated: it has %d "
                                                          b"sectors, the disk 20; powering off"),
    "a blank disk": (lambda data: bytes(len(data)), 1, b"downstairs-boot: no virtio block device holds a system "
                                                       b"image; powering off"),
}


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("case", REFUSALS)
def test_a_bad_image_is_refused_with_its_line_and_status(demo, machine, case, tmp_path):
    change, status, line = REFUSALS[case]
    image = demo["ours"]
    disk = tmp_path / "bad.img"
    disk.write_bytes(change(image.image.read_bytes()))
    got, lines = boot(machine, image, disk)
    if b"%d" in line:                                  # the image's own size, in sectors
        line = line % (len(image.image.read_bytes()) // 512)
    assert (got, lines[-2 if lines[-1] == b"" else -1]) == (status, line), lines
    assert not any(line.startswith(b"app:") for line in lines)


@pytest.mark.parametrize("machine", MACHINES)
def test_opensbi_cannot_turn_a_refusal_into_success(demo, machine, tmp_path):
    image = demo["opensbi"]
    disk = tmp_path / "bad.img"
    disk.write_bytes(corrupt_payload(image.image.read_bytes()))
    status, lines = boot(machine, image, disk)
    assert status == 7 and REFUSALS["a corrupt payload"][2] in lines


def test_the_image_needs_its_disk(demo):
    image = demo["ours"]
    argv = MACHINES["qemu"] + [option for option in machine_options(image, "x")
                               if not option.startswith(("file=", "virtio-blk"))]
    argv = [a for a in argv if a not in ("-drive", "-device")]
    run = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert run.returncode == 1 and b"no virtio block device holds a system image" in run.stdout


@pytest.mark.parametrize("machine", MACHINES)
def test_image_run_prints_its_command_line_and_exits_with_the_guests_status(machine, tmp_path):
    import os

    env = dict(os.environ, DOWNSTAIRS_CACHE=str(tmp_path / "cache"))
    flag = ["--qemu"] if machine == "qemu" else []
    run = subprocess.run([sys.executable, "-m", "downstairs", "image", "run", *flag, "--disk", str(tmp_path / "d.img")],
                         stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=600)
    shown = "qemu-system-riscv64 -M virt" if machine == "qemu" else "downstairs run -M virt"
    command = [line for line in run.stderr.decode().splitlines() if line.startswith(shown)]
    assert run.returncode == 0 and len(command) == 1 and f"file={tmp_path / 'd.img'}" in command[0], run.stderr
    assert b"app: motd: a system built from a manifest" in run.stdout and b"app: boot number 1" in run.stdout
    assert records(tmp_path / "d.img")[b"boots"] == (1).to_bytes(8, "little")
    panic = subprocess.run([sys.executable, "-m", "downstairs", "image", "run", *flag,
                            str(REPO / "tests" / "kernel" / "systems" / "panic.toml"), "--", "-icount", "shift=0"],
                           stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=600)
    assert panic.returncode == 1 and b"kernel panic: the supervisor (task 0) faulted" in panic.stdout
    assert "-icount shift=0" in panic.stderr.decode()


def test_from_reset_to_the_first_task_is_counted_exactly(demo):
    from downstairs.firmware.build import build as build_firmware

    firmware = str(build_firmware().binary)
    first, second = bench.boot_counts(firmware, demo["ours"]), bench.boot_counts(firmware, demo["ours"])
    assert first == second
    assert 0 < first["loader"] < first["kernel"] < first["task"] < first["line"] < first["total"]


@pytest.fixture(scope="module")
def linux(stores, tmp_path_factory):
    folder = tmp_path_factory.mktemp("linux")
    opensbi = folder / "linux-opensbi.toml"
    opensbi.write_text(LINUX.read_text().replace('use = "downstairs"                        # our SBI',
                                                 'use = "opensbi"  # our SBI'))
    return {"ours": build(LINUX, Store(stores.root)), "opensbi": build(opensbi, Store(stores.root))}


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("firmware", ["ours", "opensbi"])
def test_the_linux_system_boots_from_its_image(linux, machine, firmware, tmp_path):
    from downstairs.guests.linux import disk as ext2
    from downstairs.guests.linux.init_program import GUEST_FILE, GUEST_TEXT, MARKER, final_line

    image = linux[firmware]
    disk = fresh(image, tmp_path)
    status, lines = boot(machine, image, disk)
    assert status == 0, lines
    assert MARKER.encode() in lines and final_line(0).encode() in lines, lines
    at = lines.index(b"/mnt/hello.txt:")
    assert lines[at + 1] == b"hello from the image's manifest"
    assert ext2.read_file(disk, GUEST_FILE) == GUEST_TEXT.encode()      # the file system is the image's data
    check = subprocess.run(["e2fsck", "-fn", str(disk)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout
    assert imagefile.problems(disk.read_bytes(), imagefile.read_header(disk.read_bytes(), "os.img")) == []
