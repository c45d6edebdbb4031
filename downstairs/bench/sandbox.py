"""The sandbox's cost: microseconds per served system call, and whole commands' wall time.

    downstairs bench --sandbox [--calls N] [--repeat R]

1. getppid, the cheapest call the layer serves, in a loop of N raw calls (a static C program
   built here): natively, under the seccomp platform, under PTRACE_SYSEMU, on the hart
   (run-user) and under qemu-riscv64. Per call = (time for N calls - time for 10 calls) /
   (N - 10), the best of R runs each, so start-up cancels out; printed beside gVisor's
   published ptrace figure (38.2 µs; runc 1.9 µs, KVM 0.76 µs).
2. busybox commands in the default root: natively (chroot, or the file itself when not
   root), and sandboxed on both x86-64 platforms; ratios against native.
3. riscv64 programs on the hart against qemu-riscv64 (Debian 12 has no riscv64 busybox):
   a busybox-like workload in C (write, read and list files, fork a pipeline, wait).

Wall time on a shared machine is noisy: every figure is the minimum of R runs, and the
ratios compare figures measured in the same run. Nothing here is asserted; tests/sandbox
only checks that the benchmark runs.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

GVISOR_PTRACE_US = 38.2          # gVisor website/performance/syscall.csv: ptrace platform
GVISOR_RUNC_US = 1.9
GVISOR_KVM_US = 0.76

LOOP_C = r"""
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1;
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    return 0;
}
"""
WORKLOAD_C = r"""
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* What `mkdir d; for i in ...; echo > d/i; done; ls -l d | wc -l; cat d/* | wc -c` does. */
int main(void) {
    char name[64], buf[4096];
    mkdir("d", 0755);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "d/file%d", i);
        int fd = open(name, O_CREAT | O_WRONLY, 0644);
        for (int j = 0; j < 8; j++) write(fd, "a line of text in a file\n", 25);
        close(fd);
    }
    int fds[2]; pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        DIR *d = opendir("d"); struct dirent *e; struct stat st;
        while ((e = readdir(d))) {
            snprintf(name, sizeof name, "d/%s", e->d_name);
            stat(name, &st);
            int fd = open(name, O_RDONLY); long n;
            if (fd >= 0) { while ((n = read(fd, buf, sizeof buf)) > 0) write(fds[1], buf, n); close(fd); }
        }
        _exit(0);
    }
    close(fds[1]);
    long total = 0, n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) total += n;
    waitpid(pid, 0, 0);
    printf("%ld bytes\n", total);
    return 0;
}
"""
BUSYBOX_COMMANDS = [
    ["/bin/echo", "hello"],
    ["/bin/cat", "/bin/busybox"],
    ["/bin/ls", "-l", "/bin"],
    ["/bin/sh", "-c", "echo hi | cat"],
    ["/bin/sh", "-c", "seq 1 3000 | sort -rn | head -1"],
]


def best(argv: list[str], repeat: int, cwd=None, stdin=subprocess.DEVNULL) -> float:
    """The shortest wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, stdin=stdin)
        times.append(time.perf_counter() - start)
    return min(times)


def per_call(prefix: list[str], program: str, calls: int, repeat: int, cwd=None) -> float:
    """µs per getppid: the loop of `calls` against the loop of 10, each the best of `repeat`."""
    many = best(prefix + [program, str(calls)], repeat, cwd)
    few = best(prefix + [program, "10"], repeat, cwd)
    return max(0.0, (many - few) / (calls - 10) * 1e6)


def downstairs(*args: str) -> list[str]:
    """The command line that runs `downstairs ARGS...` with this Python."""
    return [sys.executable, "-m", "downstairs", *args]


def compile_c(compiler: str, source: str, out: pathlib.Path) -> None:
    """Build `source` statically with `compiler` (-O2) into `out`."""
    src = out.with_suffix(".c")
    src.write_text(source)
    subprocess.run([compiler, "-static", "-O2", "-o", str(out), str(src)], check=True)


def table(rows: list[tuple], header: tuple) -> None:
    """Print rows under a header, each column as wide as its widest cell, then a blank line."""
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)))
    print()


def run(calls: int = 20000, repeat: int = 5) -> int:
    """Measure and print the three tables above: `calls` getppid calls per loop, the best
    of `repeat` runs for every figure."""
    from downstairs.sandbox import rootfs
    work = pathlib.Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    try:
        root = work / "root"
        shutil.copytree(rootfs.default_root(), root, symlinks=True)
        compile_c("gcc", LOOP_C, root / "bin" / "getppid")
        have_riscv = shutil.which("riscv64-linux-gnu-gcc") is not None
        have_qemu = shutil.which("qemu-riscv64") is not None
        if have_riscv:
            compile_c("riscv64-linux-gnu-gcc", LOOP_C, work / "getppid-rv")
            compile_c("riscv64-linux-gnu-gcc", WORKLOAD_C, work / "workload-rv")
        native_prefix = ["chroot", str(root)] if os.geteuid() == 0 else []
        native_program = "/bin/getppid" if native_prefix else str(root / "bin" / "getppid")

        print(f"1. getppid, µs per call (loop of {calls}, best of {repeat})\n")
        rows = []
        native = per_call(native_prefix, native_program, calls, repeat)
        rows.append(("native", f"{native:.2f}", "1.0"))
        for platform in ("seccomp", "ptrace"):
            us = per_call(downstairs("sandbox", "--platform", platform, "--root", str(root), "--"),
                          "/bin/getppid", calls, repeat)
            rows.append((f"sandbox --platform {platform}", f"{us:.2f}", f"{us / native:.0f}" if native else "-"))
        if have_riscv:
            us = per_call(downstairs("run-user"), str(work / "getppid-rv"), calls, repeat)
            rows.append(("run-user (our hart)", f"{us:.2f}", f"{us / native:.0f}" if native else "-"))
        if have_qemu and have_riscv:
            us = per_call(["qemu-riscv64"], str(work / "getppid-rv"), calls, repeat)
            rows.append(("qemu-riscv64", f"{us:.2f}", f"{us / native:.0f}" if native else "-"))
        rows.append(("gVisor ptrace (published)", f"{GVISOR_PTRACE_US:.2f}", ""))
        rows.append(("gVisor runc / KVM (published)", f"{GVISOR_RUNC_US} / {GVISOR_KVM_US}", ""))
        table(rows, ("where", "µs/call", "x native"))

        print(f"2. busybox commands, ms wall time (best of {repeat})\n")
        rows = []
        for command in BUSYBOX_COMMANDS:
            if native_prefix:
                native_ms = best(native_prefix + command, repeat) * 1000
            else:
                native_ms = best([str(root / command[0].lstrip("/"))] + command[1:], repeat) * 1000
            cells = [" ".join(command), f"{native_ms:.1f}"]
            for platform in ("seccomp", "ptrace"):
                ms = best(downstairs("sandbox", "--platform", platform, "--root", str(root), "--", *command),
                          repeat) * 1000
                cells.append(f"{ms:.1f} ({ms / native_ms:.0f}x)")
            rows.append(tuple(cells))
        table(rows, ("command", "native", "seccomp", "ptrace"))

        if have_riscv and have_qemu:
            print(f"3. riscv64 programs, ms wall time (best of {repeat})\n")
            rows = []
            for name, program, extra in (("getppid x 1000", work / "getppid-rv", ["1000"]),
                                         ("files, fork, pipe", work / "workload-rv", [])):
                runs = work / "runs"
                runs.mkdir(exist_ok=True)
                qemu_ms = best(["qemu-riscv64", str(program), *extra], repeat, cwd=runs) * 1000
                shutil.rmtree(runs / "d", ignore_errors=True)
                ours_ms = best(downstairs("run-user", str(program), *extra), repeat, cwd=runs) * 1000
                rows.append((name, f"{qemu_ms:.1f}", f"{ours_ms:.1f} ({ours_ms / qemu_ms:.1f}x)"))
            table(rows, ("program", "qemu-riscv64", "run-user"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0

