"""virtio-blk on `-M virt`, end to end: a bare-metal driver on QEMU and on this machine.

downstairs/guests/baremetal/devices/virtio_blk.c scans the eight virtio-mmio slots, sets up a
split queue, reads sector 0, writes and flushes sector 1, asks for the ID, sends requests the
device must refuse, and prints everything it sees. The same command line (QEMU's spelling, with
the modern transport QEMU 7.2 gives under `-global virtio-mmio.force-legacy=false`) runs on
qemu-system-riscv64 and on `downstairs run`, each on its own copy of one disk image: the
console output must be the same, and so must the images afterwards, byte for byte.
"""

import shutil
import signal
import subprocess
import sys

import pytest

from downstairs.guests.baremetal import build as bm
from downstairs.guests.baremetal.runner import QEMU, run

OURS = [sys.executable, "-m", "downstairs", "run"]
MODERN = ["-global", "virtio-mmio.force-legacy=false"]
SECTORS = 64


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (.ci/run installs it)")


def program(*defines: str):
    need(bm.CC)
    return bm.build("virtio_blk", "virt", defines=defines)


@pytest.fixture
def image(tmp_path):
    """A disk of 64 sectors: a text line in sector 0, a byte pattern after it."""
    data = bytearray((i * 13) & 0xFF for i in range(SECTORS * 512))
    data[0:64] = b"DOWNSTAIRS VIRTIO TEST DISK: sector 0 says hello".ljust(64, b".")
    path = tmp_path / "base.img"
    path.write_bytes(bytes(data))
    return path


def copy(image, name: str):
    path = image.parent / name
    shutil.copyfile(image, path)
    return path


def disk_options(path, extra: str = "") -> list[str]:
    return [*MODERN, "-drive", f"file={path},format=raw,if=none,id=d0{extra}",
            "-device", "virtio-blk-device,drive=d0,serial=DS-0001", "-device", "virtio-rng-device"]


@pytest.mark.parametrize("engine", ["compiled", "reference"])
@pytest.mark.parametrize("readonly", [False, True], ids=["rw", "readonly"])
def test_same_output_and_same_image_as_qemu(image, engine, readonly):
    need("qemu-system-riscv64")
    elf = program()
    extra = ",readonly=on" if readonly else ""
    theirs, ours = copy(image, "qemu.img"), copy(image, "ours.img")
    q_out, q_status = run(QEMU, elf, extra=disk_options(theirs, extra), timeout=60)
    d_out, d_status = run(OURS + ["--engine", engine], elf, extra=disk_options(ours, extra), timeout=120)
    assert q_status == 0, q_out
    assert d_status == 0, d_out
    assert d_out == q_out
    assert ours.read_bytes() == theirs.read_bytes()
    # what the output says, so that a change on both sides is noticed too
    assert "slot 0x10008000: magic 0x74726976 version 2 device 2" in d_out    # the first device
    assert "slot 0x10007000: magic 0x74726976 version 2 device 4" in d_out    # the entropy source
    assert "virtio-blk at 0x10008000, PLIC source 8" in d_out
    assert "plic_claim=8" in d_out
    assert ("interrupt-driven read of sector 3: interrupt from source 8, interrupt_status 1, "
            "completed 1, status 0") in d_out
    assert "get id: status 0\nDS-0001\n" in d_out
    assert "unknown request type: status 2" in d_out
    assert "read past the end: status 1" in d_out
    if readonly:
        assert "ro=1" in d_out and "write sector 1: status 1" in d_out
        assert ours.read_bytes() == image.read_bytes()
    else:
        assert "ro=0" in d_out and "write sector 1: status 0" in d_out
        assert ours.read_bytes()[512:535] == b"written by virtio_blk.c"
        assert ours.read_bytes()[:512] == image.read_bytes()[:512]
        assert ours.read_bytes()[1024:] == image.read_bytes()[1024:]


def test_malformed_requests_get_needs_reset_or_ioerr_and_never_touch_the_disk(image):
    elf = program("MALFORMED")
    disk = copy(image, "ours.img")
    out, status = run(OURS, elf, extra=[*MODERN, "-drive", f"file={disk},format=raw,if=none,id=d0",
                                        "-device", "virtio-blk-device,drive=d0"], timeout=60)
    assert status == 0, out
    lines = out.splitlines()
    for what in ("read into 0x90000000", "write from RAM's last 256 bytes and beyond",
                 "write from 0xfffffffffffff000", "descriptor loop", "no device-writable status byte"):
        assert (f"{what}: -1 status 0x4f needs_reset=1 config_interrupt=1 status_byte=0xff "
                f"used_idx=0") in lines, out
    assert lines.count("  plic_claim=8") == 5
    for what in ("read into a device-readable buffer", "write from a device-writable buffer",
                 "write at sector 2^63"):
        assert f"{what}: status 1" in lines
    assert "status 0xf" in lines
    assert lines[-3:] == ["read sector 0: status 0", "DOWNSTAIRS VIRTIO TEST DISK: sector 0 says hello"
                          + "." * 16, "done"]
    assert disk.read_bytes() == image.read_bytes()


def test_if_virtio_drive_takes_the_next_slot_after_the_devices(image):
    """`-device virtio-rng-device` first (0x10008000), then the if=virtio drive (0x10007000)."""
    elf = program()
    disk = copy(image, "ours.img")
    out, status = run(OURS, elf, extra=["-drive", f"file={disk},format=raw,if=virtio",
                                        "-device", "virtio-rng-device"], timeout=60)
    assert status == 0, out
    assert "slot 0x10008000: magic 0x74726976 version 2 device 4" in out
    assert "slot 0x10007000: magic 0x74726976 version 2 device 2" in out
    assert "virtio-blk at 0x10007000, PLIC source 7" in out
    assert "plic_claim=7" in out and "write sector 1: status 0" in out
    assert "interrupt from source 7" in out
    assert disk.read_bytes()[512:535] == b"written by virtio_blk.c"


def test_without_drives_every_slot_is_empty(tmp_path):
    elf = program()
    out, status = run(OURS, elf, timeout=60)
    assert status == 1
    assert out.count("version 2 device 0\n") == 8
    assert out.endswith("no virtio-blk device\n")


@pytest.mark.parametrize("sig,expected", [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_the_run_with_the_flushed_write_in_the_file(image, sig, expected):
    """The guest writes and flushes sector 1, then spins: the signal stops the machine, the
    disk is synced and closed, and the data is in the host file."""
    elf = program("SPIN")
    disk = copy(image, "ours.img")
    cmd = OURS + ["-M", "virt", "-m", "128M", "-bios", "none", "-kernel", str(elf), "-nographic",
                  "-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    seen = b""
    while b"spinning\n" not in seen:
        chunk = proc.stdout.read1(4096)
        if not chunk:
            break
        seen += chunk
    assert b"flush: status 0" in seen, seen
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == expected, err
    assert b"Traceback" not in err
    if sig == signal.SIGTERM:
        assert b"downstairs: terminating on signal 15" in err
    assert disk.read_bytes()[512:535] == b"written by virtio_blk.c"
