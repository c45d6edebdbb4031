"""Boot-time benchmark: our microVM against QEMU's `-M microvm`, same kernel, initramfs and command line.

Measures wall time from launching the VMM process to the guest's init printing its marker
(`downstairs-vm-ok`), a few runs each, and our VMM's own start-up cost: process start to
the first KVM_RUN (the VMM prints CLOCK_MONOTONIC there when DOWNSTAIRS_VM_TIMING is set).
Where this host's /dev/kvm cannot boot Linux, the whole benchmark runs inside the nested
harness (nested.py), so both VMMs see the same KVM.

    python3 -m downstairs.bench.vm [--runs 3] [--kernel bzImage|vmlinux]
"""

import argparse
import os
import select
import statistics
import subprocess
import sys
import time

from downstairs.hypervisor import extract, initramfs, nested

APPEND = "console=ttyS0 reboot=k panic=-1 quiet"


def time_to_marker(cmd: list[str], env=None, timeout: float = 90) -> tuple[float, float | None, str]:
    """(seconds to the marker, seconds to the first KVM_RUN or None, output)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            stdin=subprocess.DEVNULL)
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
    first = None
    for line in err.splitlines():
        if line.startswith("downstairs-first-run "):
            first = float(line.split()[1]) - start
    if marker_at is None:
        print(f"bench: no marker from {cmd[0]} (a failed run, not counted):\n"
              f"{out.decode(errors='replace')[-1500:]}\n{err[-500:]}", flush=True)
    return marker_at, first, out.decode(errors="replace")


def bench(runs: int, kernel_kind: str) -> dict:
    bz = initramfs.default_kernel()
    kernel = bz if kernel_kind == "bzImage" else extract.cached_vmlinux(bz)
    initrd = str(initramfs.vm_initramfs(initramfs.kernel_release(bz)))
    ours_cmd = [sys.executable, "-m", "downstairs", "vm", "--kernel", kernel,
                "--initrd", initrd, "--append", APPEND, "--mem", "256M", "--cpus", "1"]
    qemu_cmd = ["qemu-system-x86_64", "-enable-kvm", "-M", "microvm", "-m", "256", "-smp", "1",
                "-nographic", "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", APPEND]
    env = dict(os.environ, DOWNSTAIRS_VM_TIMING="1")
    ours, qemu, starts = [], [], []
    failed = {"ours": 0, "qemu": 0}
    for _ in range(runs):
        t, first, _ = time_to_marker(ours_cmd, env)
        if t is None:
            failed["ours"] += 1
        else:
            ours.append(t)
            starts.append(first)
        t, _, _ = time_to_marker(qemu_cmd)
        if t is None:
            failed["qemu"] += 1
        else:
            qemu.append(t)
    if not ours or not qemu:
        raise SystemExit(f"bench: no successful boots ({failed})")
    return {"ours": ours, "qemu": qemu, "startup": starts, "failed": failed,
            "ratio": statistics.median(ours) / statistics.median(qemu)}


def report(result: dict, kernel_kind: str, where: str) -> str:
    f = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
    return (f"boot to marker ({kernel_kind}, {where}):\n"
            f"  downstairs vm : {f(result['ours'])} s (median {statistics.median(result['ours']):.2f})\n"
            f"  qemu microvm  : {f(result['qemu'])} s (median {statistics.median(result['qemu']):.2f})\n"
            f"  ratio ours/qemu: {result['ratio']:.2f}\n"
            f"  runs without a marker within the time limit: {result['failed']}\n"
            f"  our start-up (process start -> first KVM_RUN): "
            f"{f([s for s in result['startup'] if s is not None])} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m downstairs.bench.vm")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--kernel", choices=["bzImage", "vmlinux"], default="bzImage")
    args = p.parse_args(argv)
    where = nested.direct_reason()
    if where is None:
        # prepare the cached images on the host, where the cache is writable for good
        bz = initramfs.default_kernel()
        extract.cached_vmlinux(bz)
        initramfs.vm_initramfs(initramfs.kernel_release(bz))
        status, output, elapsed = nested.run(
            [sys.executable, "-m", "downstairs.bench.vm", "--runs", str(args.runs),
             "--kernel", args.kernel], timeout=1800)
        text = output.decode(errors="replace")
        start = text.find("nested-ready")
        print(text[start + len("nested-ready"):].split("nested-exit-status")[0].strip())
        return status
    print(report(bench(args.runs, args.kernel), args.kernel, where))
    return 0


if __name__ == "__main__":
    sys.exit(main())
