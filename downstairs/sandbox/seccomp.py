"""Platform 1b (the default): x86-64 programs whose system calls a seccomp filter sends here.

seccomp(2) with SECCOMP_RET_USER_NOTIF (seccomp_unotify(2)): before exec, the first process
installs a BPF filter that every process of the sandbox inherits. For each call it says:

    not the x86-64 ABI (int $0x80, x32)            -> ENOSYS, never run
    a call the host may run as it is (PASSED)      -> ALLOW: the host runs it, at no cost here
    clone, fork, vfork, execve, execveat, and mmap of a descriptor or shared
                                                   -> TRACE: a ptrace stop, where the layer
                                                      checks and rewrites its registers
    anything else                                  -> USER_NOTIF: the caller sleeps, and this
                                                      process gets the call on a descriptor

A served call costs, in this process: poll (the notification descriptor, a SIGCHLD wakeup
pipe, any host descriptor a call waits for) -> SECCOMP_IOCTL_NOTIF_RECV (the number and six
arguments) -> the layer's handler -> SECCOMP_IOCTL_NOTIF_SEND (the result). Two ioctls and a
poll instead of ptrace's waitpid and three ptrace requests; and the memory calls busybox
makes by the dozen cost nothing at all.

The filter is installed with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: once we have received a
call, only a fatal signal interrupts the caller's wait, so a call parked in the layer ends
when the layer says (with -ERESTARTSYS when a signal should interrupt it, as on ptrace), and
a process that signals itself still gets its answer. Before we receive it, though, any
signal ends the wait with -ERESTARTSYS, and a handler without SA_RESTART would turn that
into EINTR for a call the layer never saw, even close(2), which Linux never interrupts (a
shell that lost a close left a pipe open for ever). So at the signal's delivery stop such a
result becomes -ERESTARTNOINTR: the handler runs, then the call is made again, as if the
signal had come just before it. ptrace (tracer.py) stays attached for forks, execs, signals
and the TRACE stops.
"""

import ctypes
import errno
import os
import select
import struct

from downstairs.sandbox.kernel import BLOCKED, ERESTARTNOINTR, ERESTARTSYS, NO_RETURN
from downstairs.sandbox.tracer import (
    AUDIT_ARCH_X86_64, EVENT_SECCOMP, MAP_ANONYMOUS, MAP_PRIVATE, MAP_TYPE, MASK64, ORIG_RAX,
    PASSED, PTRACE_CONT, PTRACE_PEEKUSER, PTRACE_POKEUSER, PTRACE_SETREGS, PTRACE_SYSCALL, EXIT,
    RAX, RUNNING, THROUGH_LAYER, TRACE_FORKS_AND_EXECS, X32_BIT, Task, Tracer, libc, ptrace,
)

# BPF (include/uapi/linux/filter.h, bpf_common.h) and seccomp's return actions
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JSET_K, BPF_AND_K, BPF_RET_K = 0x20, 0x15, 0x45, 0x54, 0x06
RET_ALLOW, RET_TRACE, RET_USER_NOTIF, RET_ERRNO = 0x7FFF0000, 0x7FF00000, 0x7FC00000, 0x00050000
SECCOMP_SET_MODE_FILTER = 1
FLAG_NEW_LISTENER, FLAG_WAIT_KILLABLE_RECV = 1 << 3, 1 << 5
NR_SECCOMP, NR_PIDFD_GETFD = 317, 438
PR_SET_NO_NEW_PRIVS = 38
NOTIF_RECV, NOTIF_SEND = 0xC0502100, 0xC0182101          # _IOWR('!', 0/1, ...)
NOTIF = struct.Struct("<QIIiIQ6Q")                         # struct seccomp_notif: 80 bytes
RESPONSE = struct.Struct("<QqiI")                          # struct seccomp_notif_resp: 24 bytes
# offsets in struct seccomp_data: nr, arch, instruction pointer, args[6]
DATA_NR, DATA_ARCH, DATA_ARG3 = 0, 4, 16 + 8 * 3

_ioctl = libc.ioctl
_ioctl.restype = ctypes.c_int
_ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_syscall = libc.syscall
_syscall.restype = ctypes.c_long


class Notification(ctypes.Structure):
    """struct seccomp_notif (include/uapi/linux/seccomp.h)."""
    _fields_ = [("id", ctypes.c_uint64), ("pid", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("nr", ctypes.c_int32), ("arch", ctypes.c_uint32), ("ip", ctypes.c_uint64),
                ("a0", ctypes.c_uint64), ("a1", ctypes.c_uint64), ("a2", ctypes.c_uint64),
                ("a3", ctypes.c_uint64), ("a4", ctypes.c_uint64), ("a5", ctypes.c_uint64)]


class Response(ctypes.Structure):
    """struct seccomp_notif_resp."""
    _fields_ = [("id", ctypes.c_uint64), ("val", ctypes.c_int64), ("error", ctypes.c_int32),
                ("flags", ctypes.c_uint32)]


def routes(numbers: dict[str, int]) -> tuple[list[int], list[int]]:
    """The call numbers the filter lets the host run (ALLOW) and those it stops for ptrace
    (TRACE), mmap apart; every other number goes to the layer as a notification."""
    allowed = sorted(numbers[n] for n in PASSED if n not in THROUGH_LAYER and n in numbers)
    traced = sorted(numbers[n] for n in THROUGH_LAYER if n != "mmap" and n in numbers)
    return allowed, traced


def filter_program(numbers: dict[str, int]) -> bytes:
    """The BPF program described in the module's doc, as struct sock_filter records."""
    allowed, traced = routes(numbers)
    code: list[tuple[int, str | int, str | int, int]] = [
        (BPF_LD_W_ABS, 0, 0, DATA_ARCH),
        (BPF_JEQ_K, 0, "enosys", AUDIT_ARCH_X86_64),
        (BPF_LD_W_ABS, 0, 0, DATA_NR),
        (BPF_JSET_K, "enosys", 0, X32_BIT),
        (BPF_JEQ_K, "mmap", 0, numbers["mmap"]),
    ]
    code += [(BPF_JEQ_K, "allow", 0, nr) for nr in allowed]
    code += [(BPF_JEQ_K, "trace", 0, nr) for nr in traced]
    code += [
        (BPF_RET_K, 0, 0, RET_USER_NOTIF),
        ("mmap",),
        (BPF_LD_W_ABS, 0, 0, DATA_ARG3),                    # flags, low 32 bits
        (BPF_AND_K, 0, 0, MAP_ANONYMOUS | MAP_TYPE),
        (BPF_JEQ_K, "allow", "trace", MAP_ANONYMOUS | MAP_PRIVATE),
        ("allow",), (BPF_RET_K, 0, 0, RET_ALLOW),
        ("trace",), (BPF_RET_K, 0, 0, RET_TRACE),
        ("enosys",), (BPF_RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),
    ]
    labels, at = {}, 0
    for item in code:
        if len(item) == 1:
            labels[item[0]] = at
        else:
            at += 1
    out, at = b"", 0
    for item in code:
        if len(item) == 1:
            continue
        op, jt, jf, k = item
        jt = labels[jt] - at - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - at - 1 if isinstance(jf, str) else jf
        out += struct.pack("<HBBI", op, jt, jf, k)
        at += 1
    return out


class SeccompPlatform(Tracer):
    running = PTRACE_CONT
    options = TRACE_FORKS_AND_EXECS | (1 << EVENT_SECCOMP)
    name = "seccomp user notification (Linux 5.19 or later; --platform ptrace needs less)"

    def __init__(self):
        super().__init__()
        self.listener = -1
        self.notification = Notification()
        self.notification_addr = ctypes.addressof(self.notification)
        self.response = Response()
        self.response_addr = ctypes.addressof(self.response)
        self.stashed: dict[int, tuple] = {}   # calls of children not adopted yet
        self.program = b""
        self.not_notified: frozenset[int] = frozenset()   # numbers the filter never sends here

    def attach(self, kernel) -> None:
        super().attach(kernel)
        numbers = kernel.arch.numbers
        self.program = filter_program(numbers)
        allowed, traced = routes(numbers)         # what that program lets through
        self.not_notified = frozenset(allowed + traced + [numbers["mmap"]])

    # ---- starting ------------------------------------------------------------------------

    def confinement(self):
        """Install the filter (in the child, right before exec: the exec's own TRACE stop is
        where the tracer takes the notification descriptor)."""
        buffer = ctypes.create_string_buffer(self.program)
        prog = ctypes.create_string_buffer(struct.pack("<HxxxxxxQ", len(self.program) // 8,
                                                       ctypes.addressof(buffer)))

        def install():
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            flags = FLAG_NEW_LISTENER | FLAG_WAIT_KILLABLE_RECV
            if _syscall(NR_SECCOMP, SECCOMP_SET_MODE_FILTER, flags, prog, buffer) < 0:
                os._exit(126)
        return install

    def before_exec(self, task: Task, status: int) -> None:
        """The first exec's TRACE stop: the filter is in place, so take its descriptor."""
        if status >> 16 == EVENT_SECCOMP and self.listener < 0:
            pidfd = os.pidfd_open(task.host_pid)
            try:
                for fd in range(0, 8):
                    got = _syscall(NR_PIDFD_GETFD, pidfd, fd, 0)
                    if got < 0:
                        continue
                    if "seccomp" in os.readlink(f"/proc/self/fd/{got}"):
                        self.listener = got
                        break
                    os.close(got)
            finally:
                os.close(pidfd)
            if self.listener < 0:
                raise OSError(errno.ENOSYS, "no seccomp notification descriptor")
            os.set_inheritable(self.listener, False)
        ptrace(PTRACE_CONT, task.host_pid)

    # ---- the loop --------------------------------------------------------------------------

    def loop(self) -> None:
        with self.sigchld_wakeup() as wakeup:
            self.serve_all(wakeup)

    def serve_all(self, wakeup: int) -> None:
        """The loop: poll the notification descriptor, the wakeup pipe and any host
        descriptor a call waits for; answer notifications, handle ptrace events."""
        kernel = self.kernel
        poller = select.poll()
        watched: dict[int, int] = {}
        listener = self.listener
        while self.tasks:
            if kernel.ready:
                self.run_ready()
                continue
            if self.signals_in:
                self.take_signals()
                continue
            want = {listener: select.POLLIN, wakeup: select.POLLIN}
            if not kernel.quiet():
                reading, writing = kernel.host_waits()
                for fd in reading:
                    want[fd] = want.get(fd, 0) | select.POLLIN
                for fd in writing:
                    want[fd] = want.get(fd, 0) | select.POLLOUT
            if want != watched:
                for fd in watched:
                    poller.unregister(fd)
                for fd, events in want.items():
                    poller.register(fd, events)
                watched = want
            timeout = self.timeout()
            ready = poller.poll(None if timeout is None else timeout * 1000)   # a signal: the wakeup pipe
            ready_r, ready_w = [], []
            for fd, events in ready:
                if fd == listener:
                    self.receive()
                elif fd == wakeup:
                    self.drain_wakeups()
                    self.reap_events()
                else:
                    if events & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        ready_r.append(fd)
                    if events & (select.POLLOUT | select.POLLERR):
                        ready_w.append(fd)
            self.wake_host(ready_r, ready_w)

    def receive(self) -> None:
        """Take one notification and serve it (the hot path: kernel.call inlined)."""
        note = self.notification
        ctypes.memset(self.notification_addr, 0, ctypes.sizeof(Notification))
        if _ioctl(self.listener, NOTIF_RECV, self.notification_addr) < 0:
            return                                    # the caller died or was interrupted
        task = self.tasks.get(note.pid)
        args = (note.a0, note.a1, note.a2, note.a3, note.a4, note.a5)
        number = note.nr & 0xFFFFFFFF
        if task is None:
            self.stashed[note.pid] = (note.id, number, args)
            return
        self.serve(task, note.id, number, args)

    def serve(self, task: Task, ident: int, number: int, args: tuple) -> None:
        kernel = self.kernel
        process = task.process
        if process.blocked:
            kernel.unpark(process)                    # its earlier call ended (killed, restarted)
        task.notification, task.number, task.args = ident, number, args
        task.layer_restart = False
        self.complete(task, kernel.call(process, number, args))

    def adopt(self, host_pid: int, parent: Task) -> None:
        super().adopt(host_pid, parent)
        stashed = self.stashed.pop(host_pid, None)
        if stashed is not None:
            self.serve(self.tasks[host_pid], *stashed)

    # ---- finishing calls ---------------------------------------------------------------------

    def complete(self, task: Task, result) -> None:
        if result is BLOCKED or result is NO_RETURN:
            return
        task.layer_restart = result == -ERESTARTSYS
        if task.notification:
            response = self.response
            response.id = task.notification
            if result < 0:
                response.val, response.error = 0, result
            else:
                response.val, response.error = result if result < (1 << 63) else result - (1 << 64), 0
            response.flags = 0
            task.notification = 0
            _ioctl(self.listener, NOTIF_SEND, self.response_addr)   # ENOENT: the caller is gone
            return
        regs = self.stopped_regs(task)                # at a TRACE stop: skip the call
        regs.orig_rax = MASK64
        regs.rax = result & MASK64
        ptrace(PTRACE_SETREGS, task.host_pid, 0, self.regs_addr)
        ptrace(PTRACE_CONT, task.host_pid)

    def signal_stop(self, task: Task, sig: int) -> None:
        """A signal is about to be delivered. If it ended a call's wait for us to receive it
        (-ERESTARTSYS in rax, a notified call, and not our own answer), the call is made
        again after the handler whatever its SA_RESTART (see the module's doc)."""
        pid = task.host_pid
        if task.state == RUNNING and not task.layer_restart:
            number = ptrace(PTRACE_PEEKUSER, pid, ORIG_RAX) & MASK64
            if (number != MASK64 and number not in self.not_notified
                    and ptrace(PTRACE_PEEKUSER, pid, RAX) & MASK64 == -ERESTARTSYS & MASK64):
                ptrace(PTRACE_POKEUSER, pid, RAX, -ERESTARTNOINTR & MASK64)
        task.layer_restart = False
        super().signal_stop(task, sig)

    def seccomp_stop(self, task: Task) -> None:
        """A TRACE stop: clone, exec or an mmap the layer must rewrite."""
        regs = self.stopped_regs(task)
        task.notification = 0
        task.number = regs.orig_rax
        task.args = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
        self.complete(task, self.kernel.call(task.process, task.number, task.args))

    def host_runs(self, task: Task, regs, after) -> None:
        """At a TRACE stop: the rewritten registers, and on (to its exit, if `after`)."""
        task.asked = (task.number, task.args)
        ptrace(PTRACE_SETREGS, task.host_pid, 0, ctypes.addressof(regs))
        task.number = regs.orig_rax
        task.after = after
        task.state = EXIT if after is not None else RUNNING
        ptrace(PTRACE_SYSCALL if after is not None else PTRACE_CONT, task.host_pid)
