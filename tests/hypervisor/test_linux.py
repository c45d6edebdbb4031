"""Debian's Linux in our microVM: PVH and bzImage boots, the virtio disk round trip, the JSON config.

These need a KVM that boots stock kernels. See linux_kvm.py for how the path is chosen; the
test output names it ("[kvm path] ..."). Where the harness is used, it runs the whole
tests/hypervisor directory on its real KVM, so the own-guest and bad-input tests are checked
there too (test_whole_suite_passes_in_the_harness).
"""

import json
import os
import subprocess
import sys

import pytest

from downstairs.hypervisor import extract, initramfs
from tests.hypervisor import linux_kvm

pytestmark = [pytest.mark.kvm, pytest.mark.slow]
APPEND = "console=ttyS0 reboot=k panic=-1 quiet"
DIRECT = linux_kvm.direct_reason()


@pytest.fixture(scope="module")
def nested_results():
    reason = linux_kvm.nested.available()
    if reason:
        pytest.fail(f"this /dev/kvm cannot boot Linux and the nested harness cannot run: {reason}")
    # build the cached kernel and initramfs on the host, where the cache persists
    kernel = initramfs.default_kernel()
    extract.cached_vmlinux(kernel)
    initramfs.vm_initramfs(initramfs.kernel_release(kernel))
    return linux_kvm.run_in_harness(os.path.dirname(__file__))


@pytest.fixture
def runs_here(request):
    """True if the test body runs here; else asserts the test's outcome inside the harness."""
    if DIRECT:
        print(f"[kvm path] {DIRECT}")
        return True
    outcomes, text = request.getfixturevalue("nested_results")
    name = f"test_linux.py::{request.node.originalname}"
    print("[kvm path] inside the nested harness on this host (its /dev/kvm cannot boot Linux)")
    assert outcomes.get(name) == "PASSED", f"{name} inside the harness: {outcomes.get(name)}\n{text[-6000:]}"
    return False


@pytest.fixture(scope="module")
def guest():
    kernel = initramfs.default_kernel()
    release = initramfs.kernel_release(kernel)
    return {"bzimage": kernel, "vmlinux": extract.cached_vmlinux(kernel),
            "initrd": str(initramfs.vm_initramfs(release))}


def make_disk(path, text: str) -> None:
    src = path.parent / "disk-src"
    src.mkdir()
    (src / "input.txt").write_text(text + "\n")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", str(src), str(path), "4M"], check=True)


def read_from_disk(path, name: str) -> str:
    out = subprocess.run(["debugfs", "-R", f"cat /{name}", str(path)], capture_output=True, text=True)
    return out.stdout


def run_vm(*args, timeout=300):
    proc = subprocess.run([sys.executable, "-m", "downstairs", "vm", *args,
                           "--timeout", str(timeout - 20)],
                          capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def test_pvh_vmlinux_boots_to_marker_and_round_trips_the_disk(runs_here, guest, tmp_path):
    if not runs_here:
        return
    disk = tmp_path / "disk.img"
    make_disk(disk, "hello from the host")
    rc, out, err = run_vm("--kernel", guest["vmlinux"], "--initrd", guest["initrd"],
                          "--append", APPEND, "--mem", "256M", "--cpus", "1", "--drive", str(disk))
    assert rc == 0, out[-3000:] + err
    assert initramfs.MARKER in out
    assert "disk says: hello from the host" in out and "disk-done" in out
    assert "hello on hvc0" in out                      # the virtio console
    assert "clocksource: kvm-clock" in out               # the paravirtual clock from CPUID leaf 0x40000001
    assert "written by the guest: 6." in read_from_disk(disk, "output.txt")


def test_bzimage_boots_from_a_json_config(runs_here, guest, tmp_path):
    if not runs_here:
        return
    disk = tmp_path / "ro.img"
    make_disk(disk, "read-only disk")
    config = tmp_path / "vm.json"
    config.write_text(json.dumps({
        "boot-source": {"kernel_image_path": guest["bzimage"], "initrd_path": guest["initrd"],
                        "boot_args": APPEND},
        "drives": [{"drive_id": "rootfs", "path_on_host": str(disk), "is_read_only": True}],
        "machine-config": {"vcpu_count": 1, "mem_size_mib": 256}}))
    before = disk.read_bytes()
    rc, out, err = run_vm("--config", str(config))
    assert rc == 0, out[-3000:] + err
    assert initramfs.MARKER in out
    assert "disk says: read-only disk" in out          # read through virtio-blk
    assert disk.read_bytes() == before                  # nothing written to a read-only drive


def test_two_vcpus_come_up(runs_here, guest):
    if not runs_here:
        return
    rc, out, err = run_vm("--kernel", guest["vmlinux"], "--initrd", guest["initrd"],
                          "--append", APPEND, "--mem", "256M", "--cpus", "2")
    assert rc == 0, out[-3000:] + err
    assert "cpus: 2" in out


def test_terminal_input_reaches_the_guest_through_the_uart(runs_here, guest):
    if not runs_here:
        return
    import pexpect
    child = pexpect.spawn(sys.executable, ["-m", "downstairs", "vm",
                                           "--kernel", guest["vmlinux"], "--initrd", guest["initrd"],
                                           "--append", APPEND + " downstairs.echo", "--timeout", "280"],
                          timeout=300)
    child.expect("type a line:")
    child.sendline("typed at the host")
    child.expect("got: typed at the host")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


if not DIRECT:
    def test_whole_suite_passes_in_the_harness(nested_results):
        """On a host whose KVM cannot boot Linux: every tests/hypervisor test passed on the harness's KVM."""
        outcomes, text = nested_results
        print("[kvm path] inside the nested harness on this host (its /dev/kvm cannot boot Linux)")
        assert len(outcomes) >= 20, text[-6000:]
        bad = {name: o for name, o in outcomes.items() if o != "PASSED"}
        assert not bad, f"{bad}\n{text[-6000:]}"


