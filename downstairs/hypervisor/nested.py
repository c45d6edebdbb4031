"""The nested-KVM test harness: a real KVM inside QEMU's software emulator, for hosts whose /dev/kvm cannot boot Linux.

Measured facts behind it: /work/shared/facts/kvm-host.md and docs/hypervisor.md ("Testing").
QEMU in TCG mode emulates an AMD CPU with SVM (`-cpu qemu64,+svm`); Debian's cloud kernel
boots on it and loads kvm and kvm-amd, which gives a /dev/kvm that runs stock kernels.
The host's root is shared read-only over virtiofs (QEMU's virtiofsd, with guest RAM in a
shared memfd as vhost-user requires), a tmpfs overlay makes it writable, and /init chroots
into it and runs one shell command: the project's tests, or the benchmark. Its exit status
comes back on the serial console as `nested-exit-status=N`, and QEMU exits after an ACPI
power-off.

    python3 -m downstairs.hypervisor.nested -- python3 -m pytest tests/hypervisor
"""

import os
import re
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from downstairs.hypervisor import initramfs

L1_MODULES = ["irqbypass", "kvm", "kvm-amd", "virtio_ring", "virtio", "virtio_pci_legacy_dev",
              "virtio_pci_modern_dev", "virtio_pci", "fuse", "virtiofs", "overlay"]
QEMU = "qemu-system-x86_64"
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
STATUS_RE = re.compile(rb"nested-exit-status=(\d+)")

L1_INIT = """#!/bin/busybox sh
# /init of the nested-KVM harness (L1): load KVM, mount the host's root, run one command.
/bin/busybox mkdir -p /proc /sys /dev /host /rw /root
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in MODULES; do insmod /lib/modules/$m.ko || echo "nested: insmod $m failed"; done
[ -e /dev/kvm ] || echo "nested: no /dev/kvm in L1"
mount -t virtiofs -o ro host /host || echo "nested: cannot mount the host root"
mount -t tmpfs -o size=1g tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /root
mount --bind /dev /root/dev
mkdir -p /root/dev/pts
mount -t devpts devpts /root/dev/pts
mount -t proc proc /root/proc
mount -t sysfs sysfs /root/sys
echo nested-ready
chroot /root /bin/sh -c COMMAND
echo "nested-exit-status=$?"
poweroff -f
"""


class HarnessError(Exception):
    """The harness itself could not run (missing QEMU, virtiofsd, kernel ...)."""


def direct_reason() -> str | None:
    """Why this host's KVM can boot a stock Linux directly (a description), or None if it cannot.

    It can if it is hardware virtualisation (the CPU shows vmx or svm, and the module is not
    kvm_pvm), or if we are already inside this harness. The development machines' /dev/kvm
    is nested PVM (no vmx/svm flag): stock kernels fail there (facts in docs/hypervisor.md)."""
    if os.environ.get("DOWNSTAIRS_NESTED") == "1":
        return "inside the nested harness (kvm_amd on QEMU TCG with +svm)"
    if not os.path.exists("/dev/kvm"):
        return None
    try:
        with open("/proc/modules") as f:
            modules = f.read()
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return None
    if "kvm_pvm" in modules:
        return None
    if re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.M):
        return "directly on this host's hardware KVM"
    return None


def available() -> str | None:
    """None if the harness can run here, else the reason it cannot."""
    if not shutil.which(QEMU):
        return f"{QEMU} is not installed (apt-get install qemu-system-x86)"
    if not os.access(VIRTIOFSD, os.X_OK):
        return f"{VIRTIOFSD} is missing (apt-get install qemu-system-common)"
    try:
        initramfs.default_kernel()
    except FileNotFoundError as err:
        return str(err)
    if not os.access("/bin/busybox", os.R_OK):
        return "/bin/busybox is missing (apt-get install busybox-static)"
    return None


def l1_command(argv: list[str], cwd: str, env: dict[str, str]) -> str:
    """The shell line L1's /init runs: cd to `cwd`, the environment, then `argv`, quoted."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"cd {shlex.quote(cwd)} && env {exports} {shlex.join(argv)}"


def run(argv: list[str], cwd: str | None = None, env: dict[str, str] | None = None,
        mem_mib: int = 2048, timeout: float = 900, echo=None) -> tuple[int, bytes, float]:
    """Run argv inside L1 against its real KVM. Returns (exit status, console output, seconds)."""
    reason = available()
    if reason:
        raise HarnessError(reason)
    kernel = initramfs.default_kernel()
    release = initramfs.kernel_release(kernel)
    cwd = os.path.abspath(cwd or os.getcwd())
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.path.expanduser("~"),
                "DOWNSTAIRS_NESTED": "1", "PYTHONDONTWRITEBYTECODE": "1",
                "DOWNSTAIRS_CACHE": str(initramfs.cache_dir())}
    full_env.update(env or {})
    init = L1_INIT.replace("MODULES", " ".join(L1_MODULES)).replace(
        "COMMAND", shlex.quote(l1_command(argv, cwd, full_env)))
    image = initramfs.cached(init, L1_MODULES, release, "nested-initramfs")
    with tempfile.TemporaryDirectory(prefix="downstairs-nested-") as tmp:
        sock = os.path.join(tmp, "vfs.sock")
        vfsd = subprocess.Popen([VIRTIOFSD, f"--socket-path={sock}", "-o", "source=/",
                                 "-o", "sandbox=chroot", "-o", "cache=auto"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            else:
                raise HarnessError("virtiofsd did not create its socket")
            # Two L1 CPUs: a guest with two vCPUs has its two vCPU threads on separate L1 CPUs, so
            # a vCPU spinning in guest mode (the boot CPU waiting for the second one to come up)
            # never has to rely on L1 preempting it out of emulated SVM guest mode. With one
            # L1 CPU the two-vCPU boot sometimes made no progress at all.
            qemu = [QEMU, "-accel", "tcg", "-M", "q35", "-cpu", "qemu64,+svm", "-smp", "2",
                    "-m", f"{mem_mib}M", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                    "-kernel", kernel, "-initrd", str(image),
                    "-append", "console=ttyS0 panic=-1 quiet",
                    "-object", f"memory-backend-memfd,id=mem,size={mem_mib}M,share=on",
                    "-numa", "node,memdev=mem",
                    "-chardev", f"socket,id=vfs,path={sock}",
                    "-device", "vhost-user-fs-pci,chardev=vfs,tag=host"]
            start = time.monotonic()
            proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            output = bytearray()
            try:
                while True:
                    left = timeout - (time.monotonic() - start)
                    if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                        raise HarnessError(f"the nested harness took longer than {timeout} s; console tail:\n"
                                           + bytes(output[-2000:]).decode(errors="replace"))
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    output += chunk
                    if echo:
                        echo(chunk)
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            elapsed = time.monotonic() - start
        finally:
            vfsd.terminate()
            try:
                vfsd.wait(5)
            except subprocess.TimeoutExpired:
                vfsd.kill()
    found = STATUS_RE.findall(bytes(output))
    if not found:
        tail = bytes(output[-2000:]).decode(errors="replace")
        raise HarnessError(f"the nested harness ended without a status; console tail:\n{tail}")
    return int(found[-1]), bytes(output), elapsed


def main(argv: list[str]) -> int:
    """`python3 -m downstairs.hypervisor.nested -- COMMAND...`: run COMMAND inside the harness,
    its output echoed; its exit status."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python3 -m downstairs.hypervisor.nested -- COMMAND...", file=sys.stderr)
        return 2
    status, _, elapsed = run(argv, echo=lambda b: (sys.stdout.buffer.write(b), sys.stdout.flush()))
    print(f"\nnested harness: status {status}, {elapsed:.1f} s wall", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
