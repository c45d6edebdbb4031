"""`downstairs vm` given bad input: one line on stderr, a non-zero exit, never a traceback."""

import json
import subprocess
import sys

import pytest

from downstairs.hypervisor import initramfs

KERNEL = initramfs.default_kernel()


def vm(*args):
    proc = subprocess.run([sys.executable, "-m", "downstairs", "vm", *args],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


def one_line_error(rc, err, fragment):
    assert rc != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], err


def test_missing_kernel():
    one_line_error(*vm("--kernel", "/nonexistent/vmlinux"), "does not exist")


def test_kernel_that_is_neither_elf_nor_bzimage(tmp_path):
    bad = tmp_path / "kernel"
    bad.write_bytes(b"\0" * 4096)
    one_line_error(*vm("--kernel", str(bad)), "neither an ELF vmlinux (PVH) nor a bzImage")


def test_elf_without_pvh_note(tmp_path):
    # any x86-64 ELF without the Xen note, e.g. the Python interpreter itself
    rc, err = vm("--kernel", sys.executable, "--kvm-device", "/dev/kvm")
    one_line_error(rc, err, "PHYS32_ENTRY")


def test_missing_initrd_and_disk(tmp_path):
    one_line_error(*vm("--kernel", KERNEL, "--initrd", str(tmp_path / "none")), "initrd")
    one_line_error(*vm("--kernel", KERNEL, "--drive", str(tmp_path / "disk.img")), "drive")


@pytest.mark.parametrize("mem,fragment", [("16M", "too little memory"), ("64G", "too much memory"),
                                          ("lots", "bad memory size")])
def test_bad_memory_sizes(mem, fragment):
    one_line_error(*vm("--kernel", KERNEL, "--mem", mem), fragment)


def test_kernel_that_does_not_fit_in_memory():
    one_line_error(*vm("--kernel", KERNEL, "--mem", "40M"), "not enough memory")


def test_no_kvm_device(tmp_path):
    one_line_error(*vm("--kernel", KERNEL, "--kvm-device", str(tmp_path / "kvm")), "does not exist")
    one_line_error(*vm("--kernel", KERNEL, "--kvm-device", "/dev/null"), "not a KVM device")


def test_no_permission_on_kvm_device(tmp_path):
    import os
    if os.geteuid() == 0:
        # root ignores file modes; drop to an unprivileged user for this one check
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               sys.executable, "-m", "downstairs", "vm",
                               "--kernel", KERNEL], capture_output=True, text=True, timeout=60,
                              cwd=os.getcwd())
        rc, err = proc.returncode, proc.stderr
    else:
        rc, err = vm("--kernel", KERNEL)
    if "kernel" in err and "cannot read" in err:
        pytest.fail(f"the unprivileged user cannot read the kernel: {err}")
    one_line_error(rc, err, "permission")


def test_bad_config_files(tmp_path):
    one_line_error(*vm("--config", str(tmp_path / "none.json")), "does not exist")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    one_line_error(*vm("--config", str(bad)), "cannot read config")
    bad.write_text(json.dumps({"drives": []}))
    one_line_error(*vm("--config", str(bad)), "boot-source")


def test_help_works():
    proc = subprocess.run([sys.executable, "-m", "downstairs", "vm", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "--kernel" in proc.stdout and "--config" in proc.stdout
