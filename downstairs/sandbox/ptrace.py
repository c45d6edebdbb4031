"""Platform 1a: x86-64 programs stopped at every system call by PTRACE_SYSEMU.

gVisor's ptrace platform, in Python (ptrace(2), "Syscall-enter-stop"). With PTRACE_SYSEMU
the host kernel stops the program at every `syscall` instruction and then *skips* the call:
nothing runs on the host unless we decide so. A served call costs, in this process:

    waitpid -> PTRACE_GET_SYSCALL_INFO (the ABI, the number, six arguments)
            -> the layer's handler -> PTRACE_POKEUSER rax = result -> PTRACE_SYSEMU

A call the host runs (tracer.PASSED) is stepped back over its 2-byte `syscall` instruction
(rip -= 2, rax = the number) and resumed with PTRACE_SYSCALL: the host reports the skipped
call's exit, then the re-issued call's entry, which it now runs; where the layer needs the
result (clone's child, execve's outcome) we also stop at its exit. That is three stops
instead of one, which is why seccomp.py, where such calls cost nothing, is the default.

Only the x86-64 ABI is served: a call made through `int $0x80` (the i386 table, whose
numbers mean other calls) or with the x32 bit gets ENOSYS and never runs.
"""

import ctypes
import errno
import os

from downstairs.sandbox.kernel import BLOCKED, NO_RETURN
from downstairs.sandbox.tracer import (
    AUDIT_ARCH_X86_64, MASK64, PASSED, PTRACE_GET_SYSCALL_INFO, PTRACE_POKEUSER, PTRACE_SETREGS,
    PTRACE_SYSCALL, PTRACE_SYSEMU, RAX, RUNNING, SKIPPED, SYSCALL_STATUS, THROUGH_LAYER, WALL, X32_BIT,
    RawUsage, Task, Tracer, ptrace, raw_ptrace, raw_usage_ns, raw_wait4, select_ready, usage_ns,
)


class SyscallInfo(ctypes.Structure):
    """struct ptrace_syscall_info for an entry stop (include/uapi/linux/ptrace.h)."""
    _fields_ = [("op", ctypes.c_uint8), ("pad", ctypes.c_uint8 * 3), ("arch", ctypes.c_uint32),
                ("ip", ctypes.c_uint64), ("sp", ctypes.c_uint64), ("nr", ctypes.c_uint64),
                ("a0", ctypes.c_uint64), ("a1", ctypes.c_uint64), ("a2", ctypes.c_uint64),
                ("a3", ctypes.c_uint64), ("a4", ctypes.c_uint64), ("a5", ctypes.c_uint64),
                ("ret_data", ctypes.c_uint32), ("tail", ctypes.c_uint32)]


class SysemuPlatform(Tracer):
    running = PTRACE_SYSEMU
    name = "PTRACE_SYSEMU"

    def __init__(self):
        super().__init__()
        self.direct: set[int] = set()        # numbers passed straight to the host
        self.info = SyscallInfo()
        self.info_addr = ctypes.addressof(self.info)
        self.status_word = ctypes.c_int()      # wait4's status
        self.usage = RawUsage()                # ... and rusage (at an exit, the final CPU times)

    def attach(self, kernel) -> None:
        super().attach(kernel)
        self.direct = {kernel.arch.numbers[n] for n in PASSED if n not in THROUGH_LAYER}

    def loop(self) -> None:
        kernel = self.kernel
        while self.tasks:
            if kernel.ready:
                self.run_ready()
            elif self.signals_in:
                self.take_signals()
            elif kernel.quiet():
                self.serve()
            else:
                event = self.wait_event()
                if event is not None:
                    self.handle_safely(*event)

    def serve(self) -> None:
        """The hot loop, while nothing but the processes needs watching: call_stop's steps,
        written out with the ptrace requests made directly. Returns when a call blocked or
        woke another, or a signal came."""
        kernel = self.kernel
        tasks, direct, call = self.tasks, self.direct, kernel.call
        info, info_addr, size = self.info, self.info_addr, ctypes.sizeof(SyscallInfo)
        raw, wait4 = raw_ptrace, raw_wait4
        status_word, usage = self.status_word, self.usage
        status_addr, usage_addr = ctypes.addressof(status_word), ctypes.addressof(usage)
        while tasks:
            if self.signals_in:
                return
            # a signal interrupts the wait (EINTR); one in the instant before it blocks is
            # only seen at the next stop: Python cannot wait for a child and a signal at once
            pid = wait4(-1, status_addr, WALL, usage_addr)
            if pid < 0:
                if ctypes.get_errno() == errno.ECHILD:
                    tasks.clear()
                return                                 # EINTR: a signal to the sandbox
            status = status_word.value
            task = tasks.get(pid)
            if status != SYSCALL_STATUS or task is None or task.state != RUNNING:
                self.handle_safely(pid, status, raw_usage_ns(usage))
                if kernel.ready or self.signals_in or not kernel.quiet():
                    return
                continue
            raw(PTRACE_GET_SYSCALL_INFO, pid, size, info_addr)
            number = info.nr
            args = (info.a0, info.a1, info.a2, info.a3, info.a4, info.a5)
            task.number, task.args = number, args
            if info.arch != AUDIT_ARCH_X86_64 or number & X32_BIT:
                result = -errno.ENOSYS                 # the i386 or x32 ABI: never served
            elif number in direct:
                self.host_runs(task, self.stopped_regs(task), None)
                continue
            else:
                result = call(task.process, number, args)
                if result is BLOCKED:
                    return
                if result is NO_RETURN:
                    if kernel.ready or self.signals_in or not kernel.quiet():
                        return
                    continue
            raw(PTRACE_POKEUSER, pid, RAX, result & MASK64)
            raw(PTRACE_SYSEMU, pid, None, None)
            if kernel.ready or self.signals_in:
                return

    def call_stop(self, task: Task) -> None:
        """A call stopped by SYSEMU, outside the hot loop: the same steps, not inlined."""
        ptrace(PTRACE_GET_SYSCALL_INFO, task.host_pid, ctypes.sizeof(SyscallInfo), self.info_addr)
        info = self.info
        task.number = info.nr
        task.args = (info.a0, info.a1, info.a2, info.a3, info.a4, info.a5)
        if info.arch != AUDIT_ARCH_X86_64 or task.number & X32_BIT:
            self.complete(task, -errno.ENOSYS)
        elif task.number in self.direct:
            self.host_runs(task, self.stopped_regs(task), None)
        else:
            self.complete(task, self.kernel.call(task.process, task.number, task.args))

    def wait_event(self):
        """The next (pid, status, usage), or None when a signal, a host descriptor or a timer needs
        attention first: waits in select on the descriptors and a SIGCHLD wakeup pipe."""
        reading, writing = self.kernel.host_waits()
        with self.sigchld_wakeup() as wakeup:
            if self.signals_in:                        # noted before the wakeup pipe was set
                return None
            try:
                pid, status, usage = os.wait4(-1, WALL | os.WNOHANG)
            except ChildProcessError:
                self.tasks.clear()
                return None
            if pid:
                return pid, status, usage_ns(usage.ru_utime, usage.ru_stime)
            ready_r, ready_w = select_ready([wakeup] + reading, writing, self.timeout())
        self.drain_wakeups()
        self.wake_host(ready_r, ready_w)
        return None

    def complete(self, task: Task, result) -> None:
        if result is BLOCKED or result is NO_RETURN:
            return
        ptrace(PTRACE_POKEUSER, task.host_pid, RAX, result & MASK64)
        ptrace(PTRACE_SYSEMU, task.host_pid)

    def host_runs(self, task: Task, regs, after) -> None:
        """Step back over `syscall` and let the host run it (see the module's doc)."""
        task.asked = (task.number, task.args)
        regs.rip -= 2
        regs.rax = regs.orig_rax
        ptrace(PTRACE_SETREGS, task.host_pid, 0, ctypes.addressof(regs))
        task.number = regs.orig_rax
        task.after = after
        task.state = SKIPPED
        ptrace(PTRACE_SYSCALL, task.host_pid)
