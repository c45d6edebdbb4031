"""`downstairs vm` given bad input: one line on stderr, a non-zero exit, never a traceback."""

import json
import resource
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
    one_line_error(*vm("--kernel", "/nonexistent/vmlinux"), "no such file")


def test_kernel_that_is_neither_elf_nor_bzimage(tmp_path):
    bad = tmp_path / "kernel"
    bad.write_bytes(b"\0" * 4096)
    one_line_error(*vm("--kernel", str(bad)), "neither an ELF vmlinux (PVH) nor a bzImage")


def test_elf_without_pvh_note(tmp_path):
    # any x86-64 ELF without the Xen note, e.g. the Python interpreter itself
    rc, err = vm("--kernel", sys.executable, "--kvm-device", "/dev/kvm")
    one_line_error(rc, err, "PHYS32_ENTRY")


def test_missing_initrd_and_disk(tmp_path):
    one_line_error(*vm("--kernel", KERNEL, "--initrd", str(tmp_path / "none")), "none: no such file")
    one_line_error(*vm("--kernel", KERNEL, "--drive", str(tmp_path / "disk.img")), "cannot open the disk image")


@pytest.mark.parametrize("mem,fragment", [("16M", "too little memory"), ("64G", "too much memory"),
                                          ("lots", "invalid memory size"), ("1T", "too much memory")])
def test_bad_memory_sizes(mem, fragment):
    one_line_error(*vm("--kernel", KERNEL, "--mem", mem), fragment)


@pytest.mark.parametrize("seconds", ["-1", "0", "nan", "inf"])
def test_bad_timeouts(seconds):
    """Refused before a VM is made (a negative one used to end the guest at once, "timed out
    after -1.0 s", and nan never)."""
    one_line_error(*vm("--kernel", KERNEL, "--timeout", seconds), f"--timeout {float(seconds)}: give a number")


def test_memory_the_host_cannot_give():
    """QEMU's "cannot set up guest memory", not a traceback, when the host cannot map --mem."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))         # 1.5 GiB
    proc = subprocess.run([sys.executable, "-m", "downstairs", "vm", "--kernel", KERNEL, "--mem", "2G"],
                          capture_output=True, text=True, timeout=60, preexec_fn=limit)
    one_line_error(proc.returncode, proc.stderr, "cannot set up 2048 MiB of guest memory")


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


def config(tmp_path, text: str | bytes) -> str:
    path = tmp_path / "vm.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def source(**fields) -> dict:
    return {"boot-source": {"kernel_image_path": KERNEL, **fields}}


@pytest.mark.parametrize("make,fragment", [
    (lambda: json.dumps(source(boot_args=5)), "boot_args must be a string"),
    (lambda: json.dumps({"boot-source": {"kernel_image_path": 7}}), "kernel_image_path must be a string"),
    (lambda: json.dumps({"boot-source": {"kernel_image_path": [KERNEL]}}), "kernel_image_path must be a string"),
    (lambda: json.dumps({"boot-source": {"kernel_image_path": None}}), "kernel_image_path is missing"),
    (lambda: json.dumps({**source(), "drives": [{"path_on_host": None}]}), "path_on_host is missing"),
    (lambda: json.dumps({**source(), "drives": [{"path_on_host": ["a"]}]}), "path_on_host must be a string"),
    (lambda: json.dumps({**source(), "drives": "disk.img"}), "drives must be a list"),
    (lambda: json.dumps({**source(), "drives": [3]}), "drives[0] must be an object"),
    (lambda: json.dumps({**source(), "machine-config": {"mem_size_mib": 1e400}}), "mem_size_mib must be a whole number"),
    (lambda: json.dumps({**source(), "machine-config": {"mem_size_mib": "256"}}), "mem_size_mib must be a whole number"),
    (lambda: json.dumps({**source(), "machine-config": {"vcpu_count": True}}), "vcpu_count must be a whole number"),
    (lambda: json.dumps({**source(), "machine-config": {"mem_size_mib": 1 << 60}}), "out of range"),
    (lambda: json.dumps({**source(), "machine-config": []}), "machine-config must be an object"),
    (lambda: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (lambda: ('{"boot-source": {"kernel_image_path": "caf\xe9"}}').encode("latin-1"), "not UTF-8"),
    (lambda: json.dumps(source(initrd_path=False)), "initrd_path must be a string"),
])
def test_config_files_with_wrong_types_are_one_line(tmp_path, make, fragment):
    one_line_error(*vm("--config", config(tmp_path, make())), fragment)


def test_null_optional_fields_mean_absent(tmp_path):
    """Firecracker's optional fields may be null: then the defaults hold (and the kernel's
    initrd is just not there), so the run gets as far as KVM or the kernel."""
    text = json.dumps({**source(initrd_path=None, boot_args=None), "drives": None,
                       "machine-config": {"mem_size_mib": 16}})
    one_line_error(*vm("--config", config(tmp_path, text)), "too little memory")


def test_a_drive_of_ragged_size_is_refused_as_run_refuses_it(tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(513))
    one_line_error(*vm("--kernel", KERNEL, "--drive", str(disk)), "not a multiple of 512")


def test_a_drive_another_process_holds_is_refused(tmp_path):
    """The image's lock, as QEMU's: a second user cannot write it, in `vm` as in `run`."""
    from downstairs.host import Disk

    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(4096))
    fd = Disk(str(disk)).open()                        # this test process is the other user
    try:
        one_line_error(*vm("--kernel", KERNEL, "--drive", str(disk)), "in use by another process")
        one_line_error(*vm("--kernel", KERNEL, "--drive", f"{disk},ro"), "in use by another process")
        result = subprocess.run([sys.executable, "-m", "downstairs", "run", "-nographic",
                                 "-drive", f"file={disk},format=raw,if=virtio"],
                                capture_output=True, text=True, timeout=60)
        one_line_error(result.returncode, result.stderr, "in use by another process")
    finally:
        import os
        os.close(fd)
