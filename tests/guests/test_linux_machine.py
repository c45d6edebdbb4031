"""Linux on our own machine: Debian's OpenSBI, then the kernels from downstairs/guests/linux,
with a real disk the guest writes to.

Every boot here is `downstairs run` with QEMU's command line (boot.boot_command). Both kernels
(tiny rv64imac, rv64gc) boot with both OpenSBI flavours (fw_dynamic: the board passes the next
stage in a2; fw_jump: OpenSBI jumps to 0x80200000) and with two harts; each mounts the ext2
image from virtio-blk, reads the host's file, writes its own, syncs and powers off. After the
process ends, debugfs reads the guest's file out of the image and e2fsck finds it clean.
The stage trace names the kernel's stages, with exact counts under -icount.
"""

import subprocess
import sys

import pytest

from downstairs.guests.linux import boot, disk, init_program, kernel
from downstairs.guests.linux.init_program import MARKER

OURS = [sys.executable, "-m", "downstairs", "run"]
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic"
FIRMWARES = {"fw_dynamic": f"{OPENSBI}/fw_dynamic.bin", "fw_jump": f"{OPENSBI}/fw_jump.bin"}
TIMEOUT = 180

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["tiny", "gc"])
def built(request) -> kernel.Built:
    return kernel.build(request.param, show_progress=False)


def check_round_trip(status: int, out: str, image) -> None:
    assert status == 0, out[-3000:]
    guest = out[out.index(MARKER):]
    assert f"/mnt{init_program.DISK_FILE}:\n{disk.HELLO_TEXT}" in guest, guest
    assert init_program.FAIL_PREFIX not in guest, guest
    assert init_program.final_line(0) in guest
    assert "reboot: Power down" in guest
    # what the guest wrote and synced is in the host's file after the process ended
    assert disk.read_file(image, init_program.GUEST_FILE).decode() == init_program.GUEST_TEXT
    check = subprocess.run(["e2fsck", "-fn", str(image)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("firmware", FIRMWARES)
@pytest.mark.parametrize("smp", [1, 2])
def test_boot_with_disk_round_trip(built, firmware, smp, tmp_path):
    image = disk.fresh_copy(tmp_path / "disk.img")
    cmd = boot.boot_command(built.image, image, smp=smp, qemu=OURS, firmware=FIRMWARES[firmware])
    status, out, seen = boot.run(cmd, MARKER, TIMEOUT)
    assert seen is not None, out[-3000:]
    check_round_trip(status, out, image)
    isa = "rv64imafdc"                    # what OpenSBI reports of our hart, for both kernels
    assert f"Boot HART Base ISA        : {isa}" in out


def test_qemus_short_drive_spelling_works_here_too(tmp_path):
    """`-drive file=..,format=raw,if=virtio`: on QEMU's virt that is a PCI disk, which these
    kernels cannot see; on our board (no PCI) it goes to a virtio-mmio slot."""
    image = disk.fresh_copy(tmp_path / "disk.img")
    built = kernel.build("tiny", show_progress=False)
    cmd = boot.boot_command(built.image, qemu=OURS) + ["-drive", f"file={image},format=raw,if=virtio"]
    status, out, _ = boot.run(cmd, MARKER, TIMEOUT)
    check_round_trip(status, out, image)


def test_a_read_only_disk_is_reported_by_the_guest_and_left_untouched(tmp_path):
    image = disk.fresh_copy(tmp_path / "disk.img")
    before = image.read_bytes()
    built = kernel.build("tiny", show_progress=False)
    cmd = boot.boot_command(built.image, qemu=OURS) + [
        "-drive", f"file={image},format=raw,if=none,id=d0,readonly=on",
        "-device", "virtio-blk-device,drive=d0"]
    status, out, seen = boot.run(cmd, MARKER, TIMEOUT)
    assert seen is not None and status == 0, out[-3000:]
    assert "reboot: Power down" in out
    assert init_program.final_line(0) not in out          # the write could not succeed
    assert image.read_bytes() == before


def stages(extra: list[str]) -> list[tuple[str, int]]:
    built = kernel.build("tiny", show_progress=False)
    cmd = boot.boot_command(built.image, qemu=OURS) + ["--trace-stages", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = proc.stderr[proc.stderr.index("[stage] summary"):].splitlines()[1:]
    rows = []
    for line in summary:
        parts = line.split(None, 4)                          # [stage] count mode address name
        rows.append((parts[4], int(parts[1].replace(",", ""))))
    return rows


def test_stage_trace_names_the_kernels_stages_with_exact_counts():
    first = stages(["-icount", "shift=0"])
    names = [name for name, _ in first]
    assert names == ["reset ROM", "firmware fw_dynamic.bin", "kernel Image", "MMU on (satp)",
                     "first U-mode code (init)"]
    counts = dict(first)
    assert counts["reset ROM"] == 6
    assert 5_000_000 < counts["firmware fw_dynamic.bin"] < 20_000_000
    assert 10_000 < counts["kernel Image"] < 1_000_000       # the kernel before its MMU is on
    assert counts["MMU on (satp)"] > 20_000_000
    assert first == stages(["-icount", "shift=0"])           # instruction time: deterministic


def test_a_reader_that_goes_away_ends_the_run_quietly():
    """`downstairs run ... | head -1` while Linux is still printing: like QEMU on SIGPIPE the
    run stops, with 128 + 13 and no traceback."""
    built = kernel.build("tiny", show_progress=False)
    proc = subprocess.Popen(boot.boot_command(built.image, qemu=OURS), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    proc.stdout.readline()
    proc.stdout.close()
    status = proc.wait(timeout=TIMEOUT)
    stderr = proc.stderr.read().decode()
    assert status == 141, stderr
    assert "Traceback" not in stderr
