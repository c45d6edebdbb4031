"""What both x86-64 platforms share: the program runs as a real host process traced by this
one (ptrace(2) through ctypes), which never lets it make a system call of its own choosing.

ptrace.py stops every call with PTRACE_SYSEMU; seccomp.py lets a seccomp filter send each
call to us as a user notification. Under both, the tracer here:

- starts the first process: forks, leaves it no host descriptor and its own host session,
  asks to be traced (PTRACE_TRACEME), and execs the program the layer chose;
- follows forks (PTRACE_O_TRACEFORK: a child is traced from its first instruction),
  execs (PTRACE_EVENT_EXEC) and deaths (waitpid), and lets signals through to the program;
- carries out the calls the host runs for the layer (PASSED): clone with CLONE_PARENT, so
  every process of the sandbox is a host child of this one, which reaps it; execve of the
  file the layer resolved and checked, through /proc/<this pid>/fd/N; mmap of a descriptor
  as anonymous memory the layer fills;
- sends the signals the layer decides on (kill(2) to the host process), and ends a call
  parked in the layer with -ERESTARTSYS when one should interrupt it;
- ends everything: PTRACE_O_EXITKILL kills every traced process if this one dies.

The subclasses say how a call reaches the layer and how its result goes back (`complete`),
and how a call is handed to the host with rewritten registers (`host_runs`).
"""

import contextlib
import ctypes
import errno
import os
import resource
import select
import signal
import struct
import time

from downstairs.errors import UsageError
from downstairs.sandbox import abi, calls_process, calls_system, signals
from downstairs.sandbox.cputime import CPUCLOCK_SCHED
from downstairs.sandbox.abi import s32, s64
from downstairs.sandbox.files import RegularFile
from downstairs.sandbox.kernel import ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, NO_RETURN
from downstairs.sandbox.memory import SAFE_ADVICE
from downstairs.sandbox.process import exited, killed
from downstairs.sandbox.signals import (
    CONTINUE, IGNORE, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, bit, default_action,
)
from downstairs.sandbox.waits import SysError

PTRACE_TRACEME, PTRACE_PEEKUSER, PTRACE_POKEUSER, PTRACE_CONT = 0, 3, 6, 7
PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_SYSCALL, PTRACE_SYSEMU = 12, 13, 24, 31
PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG, PTRACE_GETSIGINFO = 0x4200, 0x4201, 0x4202
PTRACE_GET_SYSCALL_INFO = 0x420E
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC, EVENT_SECCOMP = 1, 2, 3, 4, 7
TRACE_FORKS_AND_EXECS = (1                      # TRACESYSGOOD: syscall stops say SIGTRAP | 0x80
                         | (1 << EVENT_FORK) | (1 << EVENT_VFORK) | (1 << EVENT_CLONE)
                         | (1 << EVENT_EXEC)
                         | 0x100000)            # EXITKILL: our death kills every tracee
SYSCALL_STOP = signal.SIGTRAP | 0x80
SYSCALL_STATUS = (SYSCALL_STOP << 8) | 0x7F     # waitpid's status for a syscall stop
WALL = 0x40000000                               # __WALL: clone children too
MASK64 = (1 << 64) - 1
RAX, ORIG_RAX = 8 * 10, 8 * 15                  # offsets in struct user_regs_struct
RESTARTS = (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND)   # results a signal may make again
LONGEST_WAIT = 86400.0                          # seconds the loop waits at most (see timeout)
AUDIT_ARCH_X86_64 = 0xC000003E
X32_BIT = 0x40000000                            # __X32_SYSCALL_BIT: the x32 ABI's calls
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_TYPE = 0x01, 0x02, 0x20, 0x0F

# x86-64's struct user_regs_struct (arch/x86/include/asm/user_64.h)
REG_NAMES = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags "
             "rsp ss fs_base gs_base ds es fs gs").split()
ARG_REGS = tuple(8 * REG_NAMES.index(name) for name in ("rdi", "rsi", "rdx", "r10", "r8", "r9"))


class Regs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in REG_NAMES]


# What the host kernel runs for the program, and why that is safe. Everything not here is
# served by the layer or refused with ENOSYS before it could run.
PASSED = {
    "brk": "changes only the caller's own address space",
    "mmap": "the caller's own address space; a file mapping becomes anonymous memory the layer fills; shared ones are refused",
    "munmap": "changes only the caller's own address space",
    "mprotect": "changes only the caller's own address space",
    "mremap": "changes only the caller's own address space (all its mappings are private)",
    "madvise": "advice about the caller's own memory; the layer lets through only advice that changes nothing else (not MADV_HWPOISON, which root could use to take host pages out of service)",
    "arch_prctl": "sets the caller's own FS/GS base and CPUID flags",
    "rt_sigaction": "the caller's own signal dispositions",
    "rt_sigprocmask": "the caller's own signal mask",
    "rt_sigreturn": "restores the caller's own registers from its stack",
    "sigaltstack": "the caller's own signal stack",
    "rt_sigpending": "reads the caller's own pending set",
    "rt_sigsuspend": "waits for a signal to the caller (the layer sends them)",
    "rt_sigtimedwait": "waits for a signal to the caller",
    "pause": "waits for a signal to the caller",
    "futex": "waits and wakes on the caller's own memory (no memory is shared between processes)",
    "nanosleep": "only waits",
    "clock_nanosleep": "only waits",
    "restart_syscall": "resumes a passed call a signal interrupted",
    "setitimer": "ITIMER_VIRTUAL and ITIMER_PROF, timers of the caller's own CPU time; ITIMER_REAL is the layer's, whose SIGALRM must end a call the layer holds",
    "getitimer": "as setitimer",
    "exit": "ends the caller (the layer learns it from waitpid)",
    "exit_group": "ends the caller (the layer learns it from waitpid)",
    "clone": "the layer checks the flags (processes, not threads) and adds CLONE_PARENT; the child is traced from its first instruction",
    "fork": "as clone",
    "vfork": "as clone",
    "execve": "the layer resolves the path and checks a static ELF; the host runs that file through /proc/<sandbox>/fd/N",
    "execveat": "as execve",
}
# Passed calls that first go through the layer (which checks and rewrites them).
THROUGH_LAYER = ("mmap", "madvise", "clone", "fork", "vfork", "execve", "execveat", "setitimer", "getitimer")

# What a task's next syscall stop is.
RUNNING, SKIPPED, REISSUED, EXIT, CANCELLED = range(5)

libc = ctypes.CDLL(None, use_errno=True)
raw_ptrace = libc.ptrace
raw_ptrace.restype = ctypes.c_long
raw_ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
raw_wait4 = libc.wait4                          # -1 with EINTR when a signal comes (os.wait4 retries)
raw_wait4.restype = ctypes.c_int
raw_wait4.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
# struct rusage as wait4 fills it: ru_utime and ru_stime (seconds, microseconds), 14 longs more
RawUsage = ctypes.c_long * 18


def usage_ns(user: float, system: float) -> tuple[int, int]:
    """(user, system) ns from a wait4 rusage's two times in seconds (microsecond steps)."""
    return round(user * 1_000_000) * 1000, round(system * 1_000_000) * 1000


def raw_usage_ns(raw) -> tuple[int, int]:
    """(user, system) ns from a RawUsage that raw_wait4 filled (timevals: seconds, microseconds)."""
    return raw[0] * 1_000_000_000 + raw[1] * 1000, raw[2] * 1_000_000_000 + raw[3] * 1000


def ptrace(request: int, pid: int, addr: int = 0, data: int = 0) -> int:
    """ptrace(2); an error raises OSError (ProcessLookupError if the tracee died meanwhile)."""
    ctypes.set_errno(0)
    result = raw_ptrace(request, pid, addr, data)
    if result == -1:
        err = ctypes.get_errno()
        if err:
            raise OSError(err, os.strerror(err))
    return result


class Memory:
    """A traced process's memory, through /proc/PID/mem (which writes even read-only
    pages, as a debugger does)."""

    def __init__(self, host_pid: int):
        self.host_pid = host_pid
        self.fd = os.open(f"/proc/{host_pid}/mem", os.O_RDWR | os.O_CLOEXEC)

    def reopen(self) -> None:
        """After an exec the process has a new address space."""
        os.close(self.fd)
        self.fd = os.open(f"/proc/{self.host_pid}/mem", os.O_RDWR | os.O_CLOEXEC)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, addr: int, size: int) -> bytes:
        if size == 0:
            return b""
        try:
            data = os.pread(self.fd, size, addr)
        except (OSError, OverflowError):
            raise SysError(errno.EFAULT) from None
        if len(data) != size:
            raise SysError(errno.EFAULT)
        return data

    def write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        try:
            done = os.pwrite(self.fd, data, addr)
        except (OSError, OverflowError):
            raise SysError(errno.EFAULT) from None
        if done != len(data):
            raise SysError(errno.EFAULT)

    def page_rest(self, addr: int) -> bytes:
        """The bytes from addr to the end of its page."""
        try:
            data = os.pread(self.fd, 4096 - (addr & 4095), addr)
        except (OSError, OverflowError):
            raise SysError(errno.EFAULT) from None
        if not data:
            raise SysError(errno.EFAULT)
        return data

    def cstring(self, addr: int, limit: int) -> bytes:
        return abi.cstring(self.page_rest, addr, limit)


class Task:
    """A traced host process and the layer's Process it is."""

    def __init__(self, host_pid: int, process):
        self.host_pid = host_pid
        self.process = process
        self.state = RUNNING
        self.number = 0                      # the call it is in, and its arguments
        self.args = (0, 0, 0, 0, 0, 0)
        self.notification = 0                # seccomp: the id of the notification to answer
        self.after = None                    # for a call the host runs: what to do at its exit
        self.fresh = True                    # not resumed since fork (its SIGSTOP is due)
        self.child_tid = 0                   # CLONE_CHILD_SETTID: where the child's pid goes
        self.program = None                  # the Program a passed execve runs
        self.exec_fd = -1                    # ... and the host descriptor of its file
        self.new_child = None                # the layer's child of a passed clone
        self.signalled = False               # the layer sent it a signal the host may still hold
        self.layer_restart = False           # the layer ended its last call with -ERESTARTSYS
        self.asked = (0, (0, 0, 0, 0, 0, 0))  # the call as the program made it, while the host
                                              # runs it rewritten (host_runs)


class Tracer:
    """The shared part of the x86-64 platforms. `running` is how a task is resumed to run
    on (PTRACE_SYSEMU or PTRACE_CONT); `options` are its ptrace options."""

    running = PTRACE_CONT
    options = TRACE_FORKS_AND_EXECS
    name = "ptrace"

    def __init__(self):
        self.kernel = None
        self.tasks: dict[int, Task] = {}
        self.early: dict[int, tuple] = {}    # (status, usage) of children whose fork event is not seen yet
        self.regs = Regs()
        self.regs_addr = ctypes.addressof(self.regs)
        self.signals_in: list[int] = []      # signals the sandbox itself received
        self.wakeup_r, self.wakeup_w = -1, -1

    def attach(self, kernel) -> None:
        self.kernel = kernel

    def extra_handlers(self) -> dict:
        return {"mmap": self.sys_mmap, "madvise": self.sys_madvise,
                "setitimer": self.sys_setitimer, "getitimer": self.sys_getitimer}

    # ---- starting --------------------------------------------------------------------------

    def start(self, process, program) -> None:
        """Fork the first traced process and exec `program` in it; return once it runs."""
        fd = self.host_fd(program)
        pid = os.fork()
        if pid == 0:
            try:
                self.child(fd, program.argv, program.envp)
            finally:
                os._exit(127)
        os.close(fd)
        os.waitpid(pid, WALL)                          # its SIGSTOP: now we set the options
        ptrace(PTRACE_SETOPTIONS, pid, 0, self.options)
        task = Task(pid, process)
        task.fresh = False
        process.context = task
        self.tasks[pid] = task
        ptrace(PTRACE_CONT, pid)
        while True:                                    # run it to its exec
            _, status = os.waitpid(pid, WALL)
            if not os.WIFSTOPPED(status):
                self.tasks.pop(pid)
                raise UsageError(f"the program could not be started under {self.name} "
                                 f"(exit status {os.waitstatus_to_exitcode(status)}); this host's kernel "
                                 f"may lack what the platform needs")
            if status >> 16 == EVENT_EXEC:
                break
            self.before_exec(task, status)
        process.memory = Memory(pid)
        calls_process.exec_done(self.kernel, process, program)
        self.resume(task, self.running)

    def child(self, fd: int, argv: list[bytes], envp: list[bytes]) -> None:
        """In the forked child: keep nothing of ours (no descriptor but the program's, no
        terminal, default signals), be traced, be confined, and exec."""
        args = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
        env = (ctypes.c_char_p * (len(envp) + 1))(*envp, None)
        confine = self.confinement()
        os.setsid()
        os.chdir("/")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # a crash writes no core file on the host
        os.closerange(0, fd)
        os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX"))
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGQUIT,
                    signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGWINCH):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        ptrace(PTRACE_TRACEME, 0)
        os.kill(os.getpid(), signal.SIGSTOP)
        confine()
        libc.fexecve(fd, args, env)

    def confinement(self):
        """What the child does last before exec (built before, called after the stop)."""
        return lambda: None

    def before_exec(self, task: Task, status: int) -> None:
        """A stop of the first process before its exec (the seccomp platform's filter)."""
        ptrace(PTRACE_CONT, task.host_pid)

    def host_fd(self, program) -> int:
        """A host descriptor for the ELF file the layer checked: the host file itself
        (opened below the root, no symlink followed), or a memfd holding the bytes of a
        file that exists only in memory."""
        node = program.node
        if node.data is None:
            return self.kernel.view.host.open(node.host, os.O_RDONLY)
        fd = os.memfd_create("sandbox-exec", os.MFD_CLOEXEC)
        os.write(fd, bytes(node.data))
        return fd

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        """Serve system calls until every process of the sandbox is gone; the sandbox's
        exit status (pid 1's)."""
        with signals.caught(self.on_signal):
            self.loop()
        return self.kernel.exit_status()

    def loop(self) -> None:
        raise NotImplementedError

    def on_signal(self, sig, frame) -> None:
        """A signal to the sandbox: noted, never raised. Python runs this handler between
        two bytecodes, possibly just after a wait returned an event, so an exception from
        here would drop that event (a tracee left stopped for ever). The waits notice a
        signal by themselves: the loops' polls watch the wakeup pipe signal.set_wakeup_fd
        writes to, and PTRACE_SYSEMU's blocking waitpid returns EINTR."""
        self.signals_in.append(sig)

    def take_signals(self) -> None:
        received, self.signals_in = self.signals_in, []
        for sig in received:
            self.kernel.host_signal(sig)

    @contextlib.contextmanager
    def sigchld_wakeup(self):
        """While the block runs, a child's event (SIGCHLD) makes wakeup_fd() readable (the
        old handler goes back as signals.restore says why: SIGCHLD comes often)."""
        self.wakeup_fd()
        old = signal.signal(signal.SIGCHLD, signals.no_op)
        previous = signal.set_wakeup_fd(self.wakeup_w)
        try:
            yield self.wakeup_r
        finally:
            signal.set_wakeup_fd(previous)
            signals.restore({signal.SIGCHLD: old})

    def run_ready(self) -> None:
        """Run again the parked calls whose wait is over."""
        kernel = self.kernel
        while kernel.ready:
            process = kernel.ready.popleft()
            task = process.context
            if task is None or not process.alive:
                continue
            try:
                self.complete(task, kernel.call(process, task.number, task.args, again=True))
            except ProcessLookupError:
                pass

    def wakeup_fd(self) -> int:
        """A pipe that becomes readable when a signal (SIGCHLD above all) arrives."""
        if self.wakeup_r < 0:
            self.wakeup_r, self.wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        return self.wakeup_r

    def drain_wakeups(self) -> None:
        try:
            while os.read(self.wakeup_r, 512):
                pass
        except BlockingIOError:
            pass

    def wake_host(self, ready_r: list[int], ready_w: list[int]) -> None:
        """Host descriptors became ready; timers may have run out."""
        for fd in ready_r:
            if fd != self.wakeup_r:
                self.kernel.host_queue(fd).wake()
        for fd in ready_w:
            self.kernel.host_queue(fd, True).wake()
        self.kernel.expire_timers()

    def timeout(self) -> float | None:
        """How long the loop may wait for the host before a timer is due (None: for ever). A
        program may ask for a wait of 2^63 seconds, more than select takes: the loop then
        looks again after a day, and the timer is still there."""
        deadline = self.kernel.next_deadline()
        return None if deadline is None else min(max(0.0, deadline - time.monotonic()), LONGEST_WAIT)

    def reap_events(self) -> None:
        """Handle every waitpid event there is, without waiting."""
        while self.tasks:
            try:
                pid, status, usage = os.wait4(-1, WALL | os.WNOHANG)
            except ChildProcessError:
                self.tasks.clear()
                return
            if pid == 0:
                return
            self.handle_safely(pid, status, usage_ns(usage.ru_utime, usage.ru_stime))

    # ---- stops -------------------------------------------------------------------------------

    def handle_safely(self, pid: int, status: int, usage: tuple[int, int] | None = None) -> None:
        try:
            self.handle(pid, status, usage)
        except ProcessLookupError:
            pass                                      # it died meanwhile: waitpid will say so

    def handle(self, pid: int, status: int, usage: tuple[int, int] | None = None) -> None:
        """One wait4 event of host process `pid`; `usage`: the (user, system) ns wait4
        reported, which for an exit are the process's final CPU times."""
        task = self.tasks.get(pid)
        if task is None:
            self.early[pid] = (status, usage)         # a child reporting before its fork event
            return
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            self.died(task, status, usage)
            return
        sig = os.WSTOPSIG(status)
        if sig == SYSCALL_STOP:
            self.syscall_stop(task)
        elif status >> 16:
            self.event_stop(task, status >> 16)
        elif task.fresh and sig == SIGSTOP:
            self.start_child(task)
        else:
            self.signal_stop(task, sig)

    def syscall_stop(self, task: Task) -> None:
        """A syscall stop of a call the host runs for the layer (PTRACE_SYSCALL was used)."""
        pid = task.host_pid
        state = task.state
        if state == SKIPPED:                          # the skipped call's exit, rip moved back
            task.state = REISSUED
            ptrace(PTRACE_SYSCALL, pid)
        elif state == REISSUED:                       # the re-issued call's entry
            if ptrace(PTRACE_PEEKUSER, pid, ORIG_RAX) & MASK64 != task.number:
                ptrace(PTRACE_POKEUSER, pid, ORIG_RAX, MASK64)   # not ours: cancel it
                task.state = CANCELLED
                ptrace(PTRACE_SYSCALL, pid)
            elif task.after is None:
                task.state = RUNNING
                ptrace(self.running, pid)
            else:
                task.state = EXIT
                ptrace(PTRACE_SYSCALL, pid)
        elif state == EXIT:                           # the passed call's exit: its result
            result = s64(ptrace(PTRACE_PEEKUSER, pid, RAX) & MASK64)
            if -result in RESTARTS:
                self.restore_call(task, False)        # a signal: the host makes it again
            after, task.after = task.after, None
            result = after(task, result)
            task.state = RUNNING
            if result is not None:
                ptrace(PTRACE_POKEUSER, pid, RAX, result & MASK64)
            if task.process.alive:
                ptrace(self.running, pid)
        elif state == CANCELLED:                      # run it again, stopped as usual
            ptrace(PTRACE_GETREGS, pid, 0, self.regs_addr)
            self.regs.rip -= 2
            self.regs.rax = self.regs.orig_rax = task.number
            ptrace(PTRACE_SETREGS, pid, 0, self.regs_addr)
            task.state = RUNNING
            ptrace(self.running, pid)
        else:
            self.call_stop(task)

    def call_stop(self, task: Task) -> None:
        """A syscall stop in the RUNNING state: the SYSEMU platform's calls."""
        ptrace(self.running, task.host_pid)

    def event_stop(self, task: Task, event: int) -> None:
        pid = task.host_pid
        if event in (EVENT_FORK, EVENT_VFORK, EVENT_CLONE):
            message = ctypes.c_ulong()
            ptrace(PTRACE_GETEVENTMSG, pid, 0, ctypes.addressof(message))
            self.adopt(message.value, task)
        elif event == EVENT_EXEC:
            task.process.memory.reopen()
            calls_process.exec_done(self.kernel, task.process, task.program)
        elif event == EVENT_SECCOMP:
            self.seccomp_stop(task)
            return
        ptrace(PTRACE_SYSCALL if task.state != RUNNING else self.running, pid)

    def seccomp_stop(self, task: Task) -> None:
        ptrace(self.running, task.host_pid)

    def adopt(self, host_pid: int, parent: Task) -> None:
        """A passed clone made `host_pid`: it is the layer's child process made for it."""
        child = parent.new_child
        parent.new_child = None
        task = Task(host_pid, child)
        task.child_tid = parent.child_tid
        child.context = task
        self.tasks[host_pid] = task
        child.memory = Memory(host_pid)
        early = self.early.pop(host_pid, None)
        if early is not None:
            self.handle(host_pid, *early)

    def start_child(self, task: Task) -> None:
        """A new child's first stop: its pid where CLONE_CHILD_SETTID asked, then run it."""
        task.fresh = False
        if task.child_tid:
            try:
                task.process.memory.write(task.child_tid, struct.pack("<i", task.process.pid))
            except SysError:
                pass
        self.resume(task, self.running)

    def signal_stop(self, task: Task, sig: int) -> None:
        """A signal is about to be delivered: let it through (a stop signal's group stop,
        which GETSIGINFO tells apart, just continues: there is no job control here)."""
        if sig in (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU):
            info = ctypes.create_string_buffer(128)
            try:
                ptrace(PTRACE_GETSIGINFO, task.host_pid, 0, ctypes.addressof(info))
            except OSError:
                sig = 0
        if task.state in (SKIPPED, REISSUED):         # the call runs again after the handler,
            after, task.after = task.after, None      # as the program made it
            if after is not None:
                after(task, -ERESTARTNOINTR)
            self.restore_call(task, True)
            task.state = RUNNING
        mode = self.running if task.state == RUNNING else PTRACE_SYSCALL
        self.resume(task, mode, sig)

    def resume(self, task: Task, mode: int, sig: int = 0) -> None:
        try:
            ptrace(mode, task.host_pid, 0, sig)
        except OSError as err:
            if err.errno != errno.ESRCH:
                raise

    def died(self, task: Task, status: int, usage: tuple[int, int] | None = None) -> None:
        self.tasks.pop(task.host_pid, None)
        process = task.process
        if usage is not None:                         # its final CPU times (else the last read)
            process.user_ns = max(process.user_ns, usage[0])
            process.system_ns = max(process.system_ns, usage[1])
        if os.WIFEXITED(status):
            guest = exited(os.WEXITSTATUS(status))
        else:
            guest = killed(os.WTERMSIG(status), os.WCOREDUMP(status))
        if process.memory is not None:
            process.memory.close()
        if task.exec_fd >= 0:
            os.close(task.exec_fd)
            task.exec_fd = -1
        self.kernel.exit(process, guest)

    def update_cpu(self, process) -> None:
        """`process`'s CPU time so far (cputime.py): the total from its host process's
        CPU-time clock, split into user and system time as the tick counts in its
        /proc/PID/stat split it; neither part ever goes back. Gone already: died() sets
        the final figures."""
        if process.context is None:
            return                                    # its host process is not made yet
        host_pid = process.context.host_pid
        try:
            total = time.clock_gettime_ns(((~host_pid) << 3) | CPUCLOCK_SCHED)
            with open(f"/proc/{host_pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return
        utime, stime = int(fields[11]), int(fields[12])    # proc(5) fields 14 and 15
        split = total * utime // (utime + stime) if utime + stime else total
        user = max(process.user_ns, min(split, total - process.system_ns))
        process.user_ns, process.system_ns = user, max(process.system_ns, total - user)

    # ---- finishing a call ---------------------------------------------------------------------

    def complete(self, task: Task, result) -> None:
        """Give a served call its result and let the process go on."""
        raise NotImplementedError

    def host_runs(self, task: Task, regs: Regs, after) -> None:
        """Let the host run the call `task` is stopped in, with `regs` (rewritten);
        `after(task, result)` runs at its exit and returns what rax should hold."""
        raise NotImplementedError

    def restore_call(self, task: Task, before: bool) -> None:
        """Put back the call the host is about to make again as the program made it (its
        number and arguments, which host_runs may have rewritten for the host): in rax if
        it is `before` the syscall instruction, else in orig_rax, which a restart reloads."""
        number, args = task.asked
        ptrace(PTRACE_POKEUSER, task.host_pid, RAX if before else ORIG_RAX, number)
        for offset, value in zip(ARG_REGS, args):
            ptrace(PTRACE_POKEUSER, task.host_pid, offset, value)

    def stopped_regs(self, task: Task) -> Regs:
        ptrace(PTRACE_GETREGS, task.host_pid, 0, self.regs_addr)
        return self.regs

    # ---- what the layer asks of the platform ---------------------------------------------------

    def clone(self, parent, child, flags: int, stack: int, child_tid: int, tls: int):
        """The host makes the child with clone(CLONE_PARENT | SIGCHLD, ...). If that fails
        (a signal makes the host give up and restart it, too), the layer's child was never
        born: it lets go of its descriptors and is gone."""
        task = parent.context
        regs = self.stopped_regs(task)
        host_flags = ((flags & ~0xFF & ~(calls_process.CLONE_PARENT_SETTID | calls_process.CLONE_CHILD_SETTID))
                      | calls_process.CLONE_PARENT | SIGCHLD)
        regs.orig_rax = self.kernel.arch.numbers["clone"]
        regs.rdi, regs.rsi, regs.r8 = host_flags, stack, tls
        task.new_child = child
        task.child_tid = child_tid

        def after(task, result):
            if result < 0:
                task.new_child = None
                child.alive = False
                child.fds.close_all()
                self.kernel.reap(child)
                return result
            return child.pid
        self.host_runs(task, regs, after)
        return NO_RETURN

    def exec(self, process, program):
        """Write the program's path (/proc/<this pid>/fd/N), argv and envp below the red
        zone of its stack and let the host execve them."""
        task = process.context
        fd = self.host_fd(program)
        regs = self.stopped_regs(task)
        path = f"/proc/{os.getpid()}/fd/{fd}".encode()
        strings = [path] + program.argv + program.envp
        blob = b"".join(s + b"\0" for s in strings)
        top = (regs.rsp - 128 - len(blob)) & ~15
        addresses = []
        at = top
        for s in strings:
            addresses.append(at)
            at += len(s) + 1
        argv_ptrs = addresses[1:1 + len(program.argv)] + [0]
        envp_ptrs = addresses[1 + len(program.argv):] + [0]
        table = struct.pack(f"<{len(argv_ptrs) + len(envp_ptrs)}Q", *argv_ptrs, *envp_ptrs)
        pointers_at = (top - len(table)) & ~15
        try:
            process.memory.write(top, blob)
            process.memory.write(pointers_at, table)
        except SysError:
            os.close(fd)
            raise SysError(errno.E2BIG) from None
        regs.orig_rax = self.kernel.arch.numbers["execve"]
        regs.rdi, regs.rsi, regs.rdx = top, pointers_at, pointers_at + 8 * len(argv_ptrs)
        task.program = program
        task.exec_fd = fd

        def after(task, result):
            os.close(task.exec_fd)
            task.exec_fd = -1
            task.program = None
            return result
        self.host_runs(task, regs, after)
        return NO_RETURN

    def sys_mmap(self, kernel, process, addr, length, prot, flags, fd, offset):
        """mmap: anonymous private memory the host maps as asked; a file's bytes are
        copied by the layer into an anonymous private mapping (the host never sees the
        file); shared mappings are refused (ENODEV), so no memory is shared between the
        sandbox's processes and no passed call reads memory another process could change."""
        kind = flags & MAP_TYPE
        if kind != MAP_PRIVATE:
            raise SysError(errno.ENODEV if kind in (MAP_SHARED, 3) else errno.EINVAL)
        task = process.context
        regs = self.stopped_regs(task)
        if flags & MAP_ANONYMOUS:
            self.host_runs(task, regs, None)
            return NO_RETURN
        file = process.fds.get(s32(fd))
        if not isinstance(file, RegularFile):
            raise SysError(errno.ENODEV)
        if not file.readable():
            raise SysError(errno.EACCES)
        if offset & 4095:
            raise SysError(errno.EINVAL)
        regs.r10 = flags | MAP_ANONYMOUS
        regs.r8, regs.r9 = MASK64, 0
        data = file.node.read(offset, length)

        def after(task, result):
            if 0 <= result < (1 << 63) and data:
                try:
                    process.memory.write(result, data)
                except SysError:
                    pass
            return None
        self.host_runs(task, regs, after)
        return NO_RETURN

    def to_host(self, process):
        """Let the host run the call `process` is stopped in, as the program made it."""
        task = process.context
        self.host_runs(task, self.stopped_regs(task), None)
        return NO_RETURN

    def sys_setitimer(self, kernel, process, which, *args):
        """ITIMER_REAL is the layer's (calls_system.py says why); the CPU-time timers go to
        the host, which ticks them while the caller runs."""
        if s32(which) == calls_system.ITIMER_REAL:
            return calls_system.sys_setitimer(kernel, process, which, *args)
        return self.to_host(process)

    def sys_getitimer(self, kernel, process, which, *args):
        """As setitimer: ITIMER_REAL from the layer, the others from the host."""
        if s32(which) == calls_system.ITIMER_REAL:
            return calls_system.sys_getitimer(kernel, process, which, *args)
        return self.to_host(process)

    def sys_madvise(self, kernel, process, addr, length, advice, *_):
        """madvise: advice about the caller's own pages goes to the host; the rest (memory
        poisoning, KSM merging) gets EINVAL, as a kernel without it would say."""
        if advice & 0xFFFFFFFF not in SAFE_ADVICE:
            raise SysError(errno.EINVAL)
        return self.to_host(process)

    def send_signal(self, process, sig: int) -> None:
        """A host signal to the process; if it is parked in a served call that the signal
        interrupts, that call ends with -ERESTARTSYS (the host then runs the handler and
        restarts or fails the call, as SA_RESTART says). If it is not parked, the host
        holds the signal pending until the process runs again: its task is marked, so that
        a call it is about to park in (it may sit in a stop already) looks first."""
        task = process.context
        if task is None:
            return
        try:
            os.kill(task.host_pid, sig)
        except ProcessLookupError:
            return
        task.signalled = True
        if process.blocked and self.interrupts(task.host_pid, sig):
            try:
                self.complete(task, self.kernel.interrupted(process))
            except ProcessLookupError:
                pass

    def interrupts(self, host_pid: int, sig: int) -> bool:
        """Whether `sig` is delivered now: not blocked, and caught or deadly
        (/proc/PID/status holds the host's view of the dispositions)."""
        masks = self.signal_masks(host_pid)
        return masks is not None and interrupting(masks, sig)

    def signal_pending(self, process) -> bool:
        """Whether a signal the layer sent to the process is still pending on the host and
        would interrupt a call (Kernel.call asks as the call parks). A tracee stopped at a
        system call gets nothing delivered until it is resumed, and a parked call is not
        resumed until something wakes it, so without this look such a signal (Ctrl-C typed
        just as cat came back to read) would wait for ever."""
        task = process.context
        if task is None or not task.signalled:
            return False
        masks = self.signal_masks(task.host_pid)
        if masks is None:
            return False
        pending = masks[3]
        task.signalled = pending != 0                  # nothing left: delivered meanwhile
        return any(interrupting(masks, sig) for sig in range(1, signals.NSIG + 1) if pending & bit(sig))

    def signal_masks(self, host_pid: int):
        """(blocked, ignored, caught, pending) signal sets of a host process; pending holds
        the signals sent to the process and to its thread."""
        try:
            with open(f"/proc/{host_pid}/status") as f:
                fields = dict(line.split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            return None
        return (int(fields["SigBlk"], 16), int(fields["SigIgn"], 16), int(fields["SigCgt"], 16),
                int(fields["ShdPnd"], 16) | int(fields["SigPnd"], 16))

    def ignores(self, process, sig: int) -> bool:
        task = process.context
        masks = self.signal_masks(task.host_pid) if task is not None else None
        return masks is not None and bool(masks[1] & bit(sig))

    def flags_of(self, process, sig: int) -> int:
        """The sa_flags of a disposition: kept by the host, not readable from here."""
        return 0

    def vfork_release(self, parent, child) -> None:
        """The host releases a vfork parent itself (the child's exec or exit)."""

    def gone(self, process):
        """A process the layer ended (reboot's caller): end its host process too."""
        task = process.context
        if task is not None:
            try:
                os.kill(task.host_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return NO_RETURN

    def end_all(self) -> None:
        """pid 1 is gone, or the sandbox was told to stop: kill every process (they are
        reaped as their deaths arrive)."""
        for task in list(self.tasks.values()):
            try:
                os.kill(task.host_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def reap_all(self) -> None:
        """Wait until every traced process is gone (after end_all)."""
        while self.tasks:
            try:
                pid, status, usage = os.wait4(-1, WALL)
            except ChildProcessError:
                break
            task = self.tasks.get(pid)
            if task is not None and (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
                self.died(task, status, usage_ns(usage.ru_utime, usage.ru_stime))
            elif task is not None:
                self.resume(task, PTRACE_CONT)


def interrupting(masks: tuple, sig: int) -> bool:
    """Whether `sig`, given a process's signal_masks(), interrupts a call it waits in: it is
    deadly, or not blocked and either caught or deadly by default (a stop signal only
    stops, and there is no job control here)."""
    blocked, ignored, caught = masks[:3]
    if sig == SIGKILL:
        return True
    if blocked & bit(sig) or ignored & bit(sig):
        return False
    if caught & bit(sig):
        return True
    return default_action(sig) not in (IGNORE, CONTINUE) and sig not in (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)


def available() -> str | None:
    """Why the x86-64 platforms cannot run here (None: they can)."""
    if os.uname().machine != "x86_64":
        return "the sandbox runs x86-64 programs on an x86-64 host"
    return None


def select_ready(reading: list[int], writing: list[int], timeout: float | None):
    try:
        return select.select(reading, writing, [], timeout)[:2]
    except InterruptedError:
        return [], []
