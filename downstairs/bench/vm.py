"""Boot-time benchmark: our microVM against QEMU's `-M microvm`, same kernel, initramfs and command line.

`downstairs bench --vm [--rounds N] [--kernel bzImage|vmlinux]` measures wall time from
launching the VMM process to the guest's init printing its marker (`downstairs-vm-ok`), N
runs each, alternating. Our VMM's own start-up (process start to its first KVM_RUN) is seen
from outside, by strace timestamping the ioctl in a separate run that ends there; the VMM has
no benchmark hook of its own. Where this host's /dev/kvm cannot boot Linux, the whole
benchmark runs inside the nested harness (hypervisor/nested.py), so both VMMs see the same KVM.
"""

import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from downstairs.hypervisor import extract, initramfs, nested

APPEND = "console=ttyS0 reboot=k panic=-1 quiet"


def time_to_marker(cmd: list[str], timeout: float = 90) -> tuple[float | None, str]:
    """(seconds from launch to the marker on stdout, or None; the output). The process is
    left to end on its own (the guest powers off); killed at the timeout."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out = bytearray()
    marker_at = None
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            proc.kill()
            out += b"\n[bench: killed after %d s]" % timeout
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        out += chunk
        if marker_at is None and initramfs.MARKER.encode() in out:
            marker_at = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.wait()
    if marker_at is None:
        print(f"bench: no marker from {cmd[0]} (a failed run, not counted):\n"
              f"{out.decode(errors='replace')[-1500:]}\n{err[-500:]}", flush=True)
    return marker_at, out.decode(errors="replace")


def first_kvm_run(cmd: list[str], timeout: float = 30) -> float | None:
    """Seconds from launching `cmd` to its first KVM_RUN ioctl, as strace sees it (only
    ioctls are traced, through seccomp, so the rest of the start-up runs at full speed);
    the run is then ended. None without strace or without a KVM_RUN in time."""
    if shutil.which("strace") is None:
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as log:
        started = time.time()                       # strace -ttt stamps wall-clock seconds
        proc = subprocess.Popen(["strace", "-f", "--seccomp-bpf", "-e", "trace=ioctl", "-ttt",
                                 "-o", log.name, *cmd], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            while time.time() - started < timeout and proc.poll() is None:
                for line in log.read().splitlines():
                    if "KVM_RUN" in line:
                        return float(line.split()[1]) - started
                time.sleep(0.01)
            return None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)     # the session this function started
            except ProcessLookupError:
                pass                                # it had already ended
            proc.wait()


def bench(runs: int, kernel_kind: str) -> dict:
    """Boot both VMMs `runs` times each, alternating; times to the marker and our start-ups."""
    bz = initramfs.default_kernel()
    kernel = bz if kernel_kind == "bzImage" else extract.cached_vmlinux(bz)
    initrd = str(initramfs.vm_initramfs(initramfs.kernel_release(bz)))
    ours_cmd = [sys.executable, "-m", "downstairs", "vm", "--kernel", kernel,
                "--initrd", initrd, "--append", APPEND, "--mem", "256M", "--cpus", "1"]
    qemu_cmd = ["qemu-system-x86_64", "-enable-kvm", "-M", "microvm", "-m", "256", "-smp", "1",
                "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", APPEND]
    ours, qemu, starts = [], [], []
    failed = {"ours": 0, "qemu": 0}
    for _ in range(runs):
        for who, cmd, times in (("ours", ours_cmd, ours), ("qemu", qemu_cmd, qemu)):
            seconds, _ = time_to_marker(cmd)
            if seconds is None:
                failed[who] += 1
            else:
                times.append(seconds)
        starts.append(first_kvm_run(ours_cmd))
    if not ours or not qemu:
        raise SystemExit(f"bench: no successful boots ({failed})")
    return {"ours": ours, "qemu": qemu, "startup": [s for s in starts if s is not None],
            "failed": failed, "ratio": statistics.median(ours) / statistics.median(qemu)}


def report(result: dict, kernel_kind: str, where: str) -> str:
    """The table `bench` printed, as text."""
    def seconds(xs: list[float]) -> str:
        """A list of times as text."""
        return ", ".join(f"{x:.2f}" for x in xs)
    startup = seconds(result["startup"]) or "not measured (no strace)"
    return (f"boot to marker ({kernel_kind}, {where}):\n"
            f"  downstairs vm : {seconds(result['ours'])} s (median {statistics.median(result['ours']):.2f})\n"
            f"  qemu microvm  : {seconds(result['qemu'])} s (median {statistics.median(result['qemu']):.2f})\n"
            f"  ratio ours/qemu: {result['ratio']:.2f}\n"
            f"  runs without a marker within the time limit: {result['failed']}\n"
            f"  our start-up (process start -> first KVM_RUN, seen by strace): {startup} s")


def main(runs: int, kernel_kind: str) -> int:
    """Run the benchmark here, or inside the nested harness where this KVM cannot boot Linux."""
    where = nested.direct_reason()
    if where is None:
        # prepare the cached images on the host, where the cache is writable for good
        bz = initramfs.default_kernel()
        extract.cached_vmlinux(bz)
        initramfs.vm_initramfs(initramfs.kernel_release(bz))
        status, output, elapsed = nested.run(
            [sys.executable, "-m", "downstairs", "bench", "--vm", "--rounds", str(runs),
             "--kernel", kernel_kind], timeout=1800)
        text = output.decode(errors="replace")
        start = text.find("nested-ready")
        print(text[start + len("nested-ready"):].split("nested-exit-status")[0].strip())
        return status
    print(report(bench(runs, kernel_kind), kernel_kind, where))
    return 0
