"""`downstairs run`'s -drive, -device and -global options: bad ones are one line on stderr and
exit status 2, with the disk image untouched; good ones give QEMU's device tree."""

import re
import shutil
import subprocess
import sys

import pytest

from downstairs.errors import UsageError
from downstairs.machine.drives import split_options, virtio_devices

RUN = [sys.executable, "-m", "downstairs", "run", "-nographic"]


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk.img"
    path.write_bytes(bytes(range(256)) * 16)            # 8 sectors
    return path


def ragged(tmp_path):
    path = tmp_path / "ragged.img"
    path.write_bytes(b"x" * 1000)
    return path


def read_only_file(tmp_path):
    path = tmp_path / "ro.img"
    path.write_bytes(bytes(512))
    path.chmod(0o444)
    return path


CASES = {
    "missing file": (lambda t, d: ["-drive", f"file={t}/nope.img,format=raw,if=virtio"],
                     "No such file"),
    "size not whole sectors": (lambda t, d: ["-drive", f"file={ragged(t)},format=raw,if=virtio"],
                               "not a multiple of 512"),
    "read-only host file": (lambda t, d: ["-drive", f"file={read_only_file(t)},format=raw,if=virtio"],
                            "readonly=on"),
    "a directory": (lambda t, d: ["-drive", f"file={t},format=raw,if=virtio"], "not a regular file"),
    "qcow2": (lambda t, d: ["-drive", f"file={d},format=qcow2,if=virtio"], "only raw"),
    "unknown key": (lambda t, d: ["-drive", f"file={d},format=raw,if=virtio,bogus=1"],
                    "unknown option 'bogus'"),
    "if=scsi": (lambda t, d: ["-drive", f"file={d},format=raw,if=scsi"], "if=scsi is not supported"),
    "no if": (lambda t, d: ["-drive", f"file={d},format=raw"], "no IDE bus"),
    "no file": (lambda t, d: ["-drive", "format=raw,if=virtio"], "file=IMAGE is missing"),
    "readonly=maybe": (lambda t, d: ["-drive", f"file={d},if=virtio,readonly=maybe"], "on or off"),
    "bad cache mode": (lambda t, d: ["-drive", f"file={d},if=virtio,cache=fast"], "invalid cache=fast"),
    "same image twice": (lambda t, d: ["-drive", f"file={d},if=virtio", "-drive",
                                       f"file={t}/../{t.name}/disk.img,if=virtio"], "already used"),
    "unknown device": (lambda t, d: ["-device", "e1000"], "unknown device"),
    "device without drive": (lambda t, d: ["-device", "virtio-blk-device"], "drive=ID is missing"),
    "device with unknown drive": (lambda t, d: ["-drive", f"file={d},if=none,id=a",
                                                "-device", "virtio-blk-device,drive=b"], "no -drive with id=b"),
    "drive used twice": (lambda t, d: ["-drive", f"file={d},if=none,id=a", "-device",
                                       "virtio-blk-device,drive=a", "-device", "virtio-blk-device,drive=a"],
                         "already in use"),
    "if=virtio drive given to a device": (lambda t, d: ["-drive", f"file={d},if=virtio,id=a", "-device",
                                                        "virtio-blk-device,drive=a"], "use if=none"),
    "nine devices": (lambda t, d: ["-device", "virtio-rng-device"] * 9, "8 slots"),
    "legacy transport": (lambda t, d: ["-global", "virtio-mmio.force-legacy=true"], "not implemented"),
    "other global": (lambda t, d: ["-global", "virtio-blk-device.serial=x"], "not supported"),
    "spike has no slots": (lambda t, d: ["-M", "spike", "-drive", f"file={d},if=virtio"], "no virtio slots"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_virtio_options_are_one_line_and_leave_the_image_alone(tmp_path, disk, case):
    make, message = CASES[case]
    args = make(tmp_path, disk)
    before, stamp = disk.read_bytes(), disk.stat().st_mtime_ns
    result = subprocess.run(RUN + args, capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""
    assert disk.read_bytes() == before and disk.stat().st_mtime_ns == stamp


def test_qemu_option_syntax():
    assert split_options("file=a,,b.img,if=virtio,readonly") == [
        ("file", "a,b.img"), ("if", "virtio"), ("readonly", None)]


def test_devices_are_listed_in_qemus_plug_order(tmp_path, disk):
    other = tmp_path / "other.img"
    other.write_bytes(bytes(1024))
    specs = virtio_devices([f"file={disk},if=virtio,readonly=on,cache=none", f"file={other},if=none,id=x"],
                           ["virtio-rng-device", "virtio-blk-device,drive=x,serial=S1"])
    assert [(s.kind, s.drive and s.drive.path, s.drive and s.drive.read_only, s.serial) for s in specs] == [
        ("rng", None, None, ""), ("blk", str(other), False, "S1"), ("blk", str(disk), True, "")]
    with pytest.raises(UsageError):
        virtio_devices([f"file={disk},if=virtio,id=a", f"file={other},if=virtio,id=a"], [])


def test_machine_puts_the_first_device_in_the_highest_slot(disk):
    from downstairs.devices.virtio.mmio import VirtioMmio
    from downstairs.machine import boards, engine

    config = boards.BootConfig(virtio=virtio_devices([f"file={disk},if=virtio"], ["virtio-rng-device"]))
    machine = boards.build(config, engine.load("reference"))
    try:
        ids = [machine.bus.read(0x10001000 + slot * 0x1000 + 8, 4) for slot in range(8)]
        assert ids == [0, 0, 0, 0, 0, 0, 2, 4]
        transports = {w.base: w.device for w in machine.bus.windows if isinstance(w.device, VirtioMmio)}
        assert sorted(transports) == [0x10007000, 0x10008000]
        assert all(machine.bus.read(0x10001000 + slot * 0x1000, 4) == 0x74726976 for slot in range(8))
        # the transport's interrupt is its slot's PLIC source: a config-change interrupt on slot 7
        transport = transports[0x10007000]
        transport.config_changed()
        assert machine.plic.pending == 1 << 7
        # a warm reset of the board (sifive_test 0x7777) resets the transports too
        machine.bus.write(0x10008000 + 0x70, 4, 1)          # Status: ACKNOWLEDGE
        assert machine.bus.read(0x10008000 + 0x70, 4) == 1
        machine.reset()
        assert machine.bus.read(0x10008000 + 0x70, 4) == 0
        assert machine.bus.read(0x10007000 + 0x60, 4) == 0   # InterruptStatus cleared
        assert machine.plic.pending == 0
    finally:
        machine.close()


def dts(command: list[str], path) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return subprocess.run(["dtc", "-I", "dtb", "-O", "dts", str(path)], capture_output=True,
                          text=True, timeout=60, check=True).stdout


def virtio_nodes(source: str) -> list[str]:
    return re.findall(r"virtio_mmio@[0-9a-f]+ \{[^}]*\};", source)


def test_virtio_nodes_match_qemus_dumpdtb(tmp_path, disk):
    for tool in ("dtc", "qemu-system-riscv64"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (.ci/run installs it)")
    line = ["-global", "virtio-mmio.force-legacy=false",
            "-drive", f"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
            "-device", "virtio-rng-device"]
    ours = dts(RUN + ["-M", f"virt,dumpdtb={tmp_path}/ours.dtb", *line], tmp_path / "ours.dtb")
    theirs = dts(["qemu-system-riscv64", "-M", f"virt,dumpdtb={tmp_path}/q.dtb", "-nographic", *line],
                 tmp_path / "q.dtb")
    assert len(virtio_nodes(ours)) == 8
    assert virtio_nodes(ours) == virtio_nodes(theirs)
