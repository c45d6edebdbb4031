"""The table of every system call: its one source of truth, and what the code does with it.

numbers.py must still be what the kernel headers say; docs/sandbox.md's table must be what
the dispatch tables generate; the calls busybox needs must be served or passed; and the
seccomp filter, run here through a small BPF interpreter, must send each call where the
table says: the host (ALLOW), a ptrace stop (TRACE), the layer (USER_NOTIF), or ENOSYS.
"""

import errno
import shutil
import struct

import pytest

from downstairs.sandbox import hart, kernel, seccomp, table, tracer
from downstairs.sandbox.abi import RISCV64, X86_64
from downstairs.sandbox.numbers import NUMBERS

# What busybox-static 1.35 calls for echo, cat, ls, ls -l and sh -c with pipes (strace):
# /work/shared/facts/own-stack.md. On riscv64 dup2 and readlink are dup3 and readlinkat.
BUSYBOX_CALLS = ("arch_prctl brk clone close dup2 execve exit_group getdents64 getpid getppid "
                 "getrandom getuid ioctl lseek mprotect newfstatat openat pipe2 prctl prlimit64 "
                 "read readlink rseq rt_sigaction rt_sigreturn sendfile set_robust_list "
                 "set_tid_address uname wait4 write").split()
RISCV_NAMES = {"dup2": "dup3", "readlink": "readlinkat", "arch_prctl": None}


@pytest.mark.skipif(not (shutil.which("gcc") and shutil.which("riscv64-linux-gnu-gcc")),
                    reason="needs both compilers' kernel headers")
def test_numbers_match_the_headers():
    assert table.numbers_source() == table.NUMBERS.read_text()


def test_docs_table_is_generated():
    text = table.DOCS.read_text()
    assert table.docs_with_table(text) == text, "run python3 -m downstairs.sandbox.table --docs"


def test_every_name_is_a_call():
    for name in list(kernel.SERVED) + list(tracer.PASSED) + list(hart.SERVED_HERE):
        assert name in NUMBERS, name


def test_busybox_calls_are_all_handled():
    rows = {row[0]: row for row in table.dispositions()}
    for name in BUSYBOX_CALLS:
        assert rows[name][3] != "refused", name
        riscv = RISCV_NAMES.get(name, name)
        if riscv is not None:
            assert rows[riscv][4] == "served", riscv
    counts = table.counts(list(rows.values()))
    assert counts["ptrace"]["served"] + counts["ptrace"]["passed"] > 150
    assert counts["hart"]["served"] > 120


def run_filter(program: bytes, nr: int, arch: int, args=(0,) * 6) -> int:
    """A classic-BPF interpreter for the instructions the filter uses, over seccomp_data."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *args)
    insns = [struct.unpack_from("<HBBI", program, i) for i in range(0, len(program), 8)]
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == seccomp.BPF_LD_W_ABS:
            acc = struct.unpack_from("<I", data, k)[0]
        elif code == seccomp.BPF_AND_K:
            acc &= k
        elif code == seccomp.BPF_JEQ_K:
            pc += jt if acc == k else jf
        elif code == seccomp.BPF_JSET_K:
            pc += jt if acc & k else jf
        elif code == seccomp.BPF_RET_K:
            return k
        else:
            raise AssertionError(f"unexpected BPF instruction {code:#x}")


def test_seccomp_filter_sends_each_call_where_the_table_says():
    program = seccomp.filter_program(X86_64.numbers)
    for name, nr in X86_64.numbers.items():
        verdict = run_filter(program, nr, tracer.AUDIT_ARCH_X86_64)
        if name == "mmap":
            anonymous = run_filter(program, nr, tracer.AUDIT_ARCH_X86_64, (0, 4096, 3, 0x22, 2**64 - 1, 0))
            assert (verdict, anonymous) == (seccomp.RET_TRACE, seccomp.RET_ALLOW)
        elif name in tracer.THROUGH_LAYER:
            assert verdict == seccomp.RET_TRACE, name
        elif name in tracer.PASSED:
            assert verdict == seccomp.RET_ALLOW, name
        else:
            assert verdict == seccomp.RET_USER_NOTIF, name
    enosys = seccomp.RET_ERRNO | errno.ENOSYS
    assert run_filter(program, 5, 0x40000003) == enosys                          # i386's open
    assert run_filter(program, 0 | tracer.X32_BIT, tracer.AUDIT_ARCH_X86_64) == enosys


def test_arch_tables():
    assert X86_64.numbers["getppid"] == 110 and RISCV64.numbers["getppid"] == 173
    assert X86_64.stat.size == 144 and RISCV64.stat.size == 128
