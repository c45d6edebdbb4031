"""Platform 1: x86-64 programs on this host, every system call stopped by ptrace.

gVisor's ptrace platform, in Python through ctypes (ptrace(2), "Syscall-enter-stop",
PTRACE_SYSEMU). The program runs as a real host process that this process traces. With
PTRACE_SYSEMU the host kernel stops it at every `syscall` instruction and then *skips* the
call: nothing the program asks for runs on the host unless we decide so. At each stop:

    waitpid -> PTRACE_GETREGS (orig_rax = the number, rdi rsi rdx r10 r8 r9 = arguments)
            -> Kernel.call(...)  -> PTRACE_POKEUSER rax = the result -> PTRACE_SYSEMU

A call the layer cannot serve itself (PASSED below: the address space, the thread's own
signal state, fork, exec, exit) is *passed*: rip is moved back over the 2-byte `syscall`
instruction and the process resumed with PTRACE_SYSCALL, so the host reports the skipped
call's exit, then the entry of the re-issued one, which it now runs; when we need the
result (clone's child pid, execve's outcome) we stop at its exit too. Each passed call's
arguments are checked or rewritten first: clone gets CLONE_PARENT (every process of the
sandbox is a host child of this one, which reaps it), execve runs the file the layer
resolved and checked, through /proc/<this pid>/fd/N, and mmap of a descriptor becomes an
anonymous mapping the layer fills.

The traced processes hold no host descriptor at all and sit in their own host session, so
even a call we passed by mistake could reach nothing. PTRACE_O_EXITKILL kills them all if
this process dies; children are traced from their first instruction (PTRACE_O_TRACEFORK).
"""

import ctypes
import errno
import os
import select
import signal
import struct
import time

from downstairs.sandbox import abi, calls_process
from downstairs.sandbox.calls_fs import s32
from downstairs.sandbox.files import RegularFile
from downstairs.sandbox.kernel import BLOCKED, NO_RETURN
from downstairs.sandbox.process import exited, killed
from downstairs.sandbox.signals import (
    CONTINUE, IGNORE, SIGCHLD, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, bit, default_action,
)
from downstairs.sandbox.waits import SysError

PTRACE_TRACEME, PTRACE_PEEKUSER, PTRACE_POKEUSER, PTRACE_CONT = 0, 3, 6, 7
PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_SYSCALL, PTRACE_SYSEMU = 12, 13, 24, 31
PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG, PTRACE_GETSIGINFO = 0x4200, 0x4201, 0x4202
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC = 1, 2, 3, 4
OPTIONS = (1                          # TRACESYSGOOD: syscall stops report SIGTRAP | 0x80
           | (1 << EVENT_FORK) | (1 << EVENT_VFORK) | (1 << EVENT_CLONE) | (1 << EVENT_EXEC)
           | 0x100000)                # EXITKILL: our death kills every tracee
SYSCALL_STOP = signal.SIGTRAP | 0x80
WALL = 0x40000000                     # __WALL: clone children too
MASK64 = (1 << 64) - 1
RAX = 8 * 10                          # offsets in struct user_regs_struct (PEEK/POKEUSER)
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS, MAP_TYPE = 0x01, 0x02, 0x20, 0x0F
PROT_WRITE = 0x2

# x86-64's struct user_regs_struct (arch/x86/include/asm/user_64.h)
REG_NAMES = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags "
             "rsp ss fs_base gs_base ds es fs gs").split()


class Regs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_ulonglong) for name in REG_NAMES]


# What the host kernel runs for the program, and why that is safe. Everything not here is
# served by the layer or refused with ENOSYS before it could run.
PASSED = {
    "brk": "changes only the caller's own address space",
    "mmap": "the caller's address space; a file mapping becomes anonymous memory the layer fills, shared ones are refused",
    "munmap": "changes only the caller's own address space",
    "mprotect": "changes only the caller's own address space",
    "mremap": "changes only the caller's own address space (all its mappings are private)",
    "madvise": "advice about the caller's own memory",
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
    "alarm": "a timer that signals the caller",
    "setitimer": "a timer that signals the caller",
    "getitimer": "reads the caller's own timer",
    "exit": "ends the caller (the layer learns it from waitpid)",
    "exit_group": "ends the caller (the layer learns it from waitpid)",
    "clone": "the layer checks the flags (processes, not threads) and adds CLONE_PARENT; the child is traced from its first instruction",
    "fork": "as clone",
    "vfork": "as clone",
    "execve": "the layer resolves the path and checks a static ELF; the host runs that file through /proc/<sandbox>/fd/N",
    "execveat": "as execve",
}
# The passed calls that go straight to the host; the others pass through the layer first.
THROUGH_LAYER = {"mmap", "clone", "fork", "vfork", "execve", "execveat"}

# A task's state: what the next stop of a process is.
EMU, SKIPPED, REISSUED, EXIT, CANCELLED = range(5)


libc = ctypes.CDLL(None, use_errno=True)
_ptrace = libc.ptrace
_ptrace.restype = ctypes.c_long
_ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def fexecve(fd: int, argv: list[bytes], envp: list[bytes]) -> None:
    """fexecve(3) with argv and envp exactly as given (os.execve wants a mapping)."""
    def array(strings):
        table = (ctypes.c_char_p * (len(strings) + 1))(*strings, None)
        return table
    libc.fexecve(fd, array(argv), array(envp))


def ptrace(request: int, pid: int, addr: int = 0, data: int = 0) -> int:
    """ptrace(2); an error raises OSError (ESRCH when the tracee died meanwhile)."""
    result = _ptrace(request, pid, addr, data)
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

    def cstring(self, addr: int, limit: int) -> bytes:
        """The NUL-terminated string at addr (ENAMETOOLONG past `limit` bytes)."""
        out = b""
        while True:
            chunk = 4096 - (addr & 4095)
            try:
                data = os.pread(self.fd, chunk, addr)
            except (OSError, OverflowError):
                raise SysError(errno.EFAULT) from None
            if not data:
                raise SysError(errno.EFAULT)
            end = data.find(b"\0")
            if end >= 0:
                out += data[:end]
                if len(out) >= limit:
                    raise SysError(errno.ENAMETOOLONG)
                return out
            out += data
            addr += len(data)
            if len(out) >= limit:
                raise SysError(errno.ENAMETOOLONG)


class Task:
    """A traced host process and the layer's Process it is."""

    def __init__(self, host_pid: int, process):
        self.host_pid = host_pid
        self.process = process
        self.state = EMU
        self.number = 0                      # the call it stopped in, and its arguments
        self.args = (0, 0, 0, 0, 0, 0)
        self.after = None                    # for a passed call: what to do at its exit
        self.fresh = True                    # not yet resumed since fork (its SIGSTOP is due)
        self.child_tid = 0                   # CLONE_CHILD_SETTID: where its pid goes
        self.program = None                  # the Program a passed execve runs
        self.exec_fd = -1                    # ... and the host descriptor of its file
        self.new_child = None                # the layer's child of a passed clone


class _Wakeup(Exception):
    """A signal to the sandbox arrived while it waited for its processes."""


class PtracePlatform:
    """Runs processes under ptrace for `kernel` (set by attach)."""

    def __init__(self):
        self.kernel = None
        self.tasks: dict[int, Task] = {}
        self.early: dict[int, int] = {}      # stops of children whose fork event is not seen yet
        self.regs = Regs()
        self.regs_addr = ctypes.addressof(self.regs)
        self.direct: set[int] = set()        # numbers passed straight to the host
        self.signals_in: list[int] = []      # signals the sandbox itself received
        self.waiting = False
        self.wakeup_r, self.wakeup_w = -1, -1

    def attach(self, kernel) -> None:
        self.kernel = kernel
        self.direct = {kernel.arch.numbers[n] for n in PASSED if n not in THROUGH_LAYER}

    def extra_handlers(self) -> dict:
        return {"mmap": self.sys_mmap}

    # ---- starting --------------------------------------------------------------------------

    def start(self, process, program) -> None:
        """Fork the first traced process and exec `program` in it."""
        fd = self.host_fd(program)
        argv, envp = program.argv, program.envp
        pid = os.fork()
        if pid == 0:                                   # the child: nothing of ours survives exec
            try:
                os.setsid()
                os.closerange(0, fd)
                os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX"))
                for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGQUIT,
                            signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGWINCH):
                    signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                ptrace(PTRACE_TRACEME, 0)
                os.kill(os.getpid(), signal.SIGSTOP)
                fexecve(fd, argv, envp)
            finally:
                os._exit(127)
        os.close(fd)
        _, status = os.waitpid(pid, WALL)
        ptrace(PTRACE_SETOPTIONS, pid, 0, OPTIONS)
        task = Task(pid, process)
        task.fresh = False
        task.program = program
        process.context = task
        self.tasks[pid] = task
        ptrace(PTRACE_CONT, pid)                        # runs to its exec (PTRACE_EVENT_EXEC)
        _, status = os.waitpid(pid, WALL)
        if status >> 16 != EVENT_EXEC:
            raise OSError(errno.ENOEXEC, "the first program did not start")
        process.memory = Memory(pid)
        calls_process.exec_done(self.kernel, process, program)
        task.program = None
        self.resume(task, PTRACE_SYSEMU)

    def host_fd(self, program) -> int:
        """A host descriptor for the ELF file the layer checked: the host file itself
        (opened below the root, no symlink followed), or a memfd with the bytes of a
        file that only exists in memory."""
        node = program.node
        if node.data is None:
            return self.kernel.view.host.open(node.host, os.O_RDONLY)
        fd = os.memfd_create("sandbox-exec", os.MFD_CLOEXEC)
        os.write(fd, bytes(node.data))
        return fd

    # ---- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        """Serve system calls until pid 1 has exited and every process is gone; the
        sandbox's exit status."""
        kernel = self.kernel
        handlers = {sig: signal.signal(sig, self.on_signal)
                    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP,
                                signal.SIGWINCH)}
        try:
            while self.tasks:
                if kernel.ready:
                    self.run_ready()
                    continue
                if self.signals_in:
                    self.take_signals()
                    continue
                event = self.wait_event()
                if event is not None:
                    try:
                        self.handle(*event)
                    except ProcessLookupError:
                        pass                  # it died meanwhile: waitpid will say so
        finally:
            for sig, old in handlers.items():
                signal.signal(sig, old)
        return kernel.exit_status()

    def on_signal(self, sig, frame) -> None:
        self.signals_in.append(sig)
        if self.waiting:
            self.waiting = False
            raise _Wakeup()

    def take_signals(self) -> None:
        """Signals sent to the sandbox: the terminal's go to the foreground group; SIGTERM
        and SIGHUP end the sandbox and everything in it."""
        signals, self.signals_in = self.signals_in, []
        for sig in signals:
            if sig in (signal.SIGTERM, signal.SIGHUP):
                self.kernel.init_status = killed(sig)
                self.end_all()
            else:
                self.kernel.terminal_signal(sig)

    def wait_event(self):
        """The next (pid, status) from waitpid, or None when a signal, a host descriptor or
        a timer needs attention first."""
        kernel = self.kernel
        reading, writing = kernel.host_waits()
        deadline = kernel.next_deadline()
        self.waiting = True
        try:
            if self.signals_in:
                return None
            if not reading and not writing and deadline is None:
                return os.waitpid(-1, WALL)           # the fast path: only processes to wait for
            return self.sleep(reading, writing, deadline)
        except _Wakeup:
            return None
        except ChildProcessError:
            self.tasks.clear()
            return None
        finally:
            self.waiting = False

    def sleep(self, reading: list[int], writing: list[int], deadline):
        """Wait for a child event (SIGCHLD, through a wakeup pipe), a host descriptor or
        the next timer; a child event is returned, the rest handled here."""
        if self.wakeup_r < 0:
            self.wakeup_r, self.wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        old = signal.signal(signal.SIGCHLD, lambda *_: None)
        previous = signal.set_wakeup_fd(self.wakeup_w)
        try:
            pid, status = os.waitpid(-1, WALL | os.WNOHANG)
            if pid:
                return pid, status
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready_r, ready_w, _ = select.select([self.wakeup_r] + reading, writing, [], timeout)
        finally:
            signal.set_wakeup_fd(previous)
            signal.signal(signal.SIGCHLD, old)
        try:
            while os.read(self.wakeup_r, 512):
                pass
        except BlockingIOError:
            pass
        for fd in ready_r:
            if fd != self.wakeup_r:
                self.kernel.host_queue(fd).wake()
        for fd in ready_w:
            self.kernel.host_queue(fd, True).wake()
        self.kernel.expire_timers()
        return None

    def run_ready(self) -> None:
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

    # ---- stops -------------------------------------------------------------------------------

    def handle(self, pid: int, status: int) -> None:
        task = self.tasks.get(pid)
        if task is None:
            self.early[pid] = status                  # a child reporting before its fork event
            return
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            self.died(task, status)
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
        pid = task.host_pid
        state = task.state
        if state == EMU:
            regs = self.regs
            ptrace(PTRACE_GETREGS, pid, 0, self.regs_addr)
            number = regs.orig_rax
            args = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
            task.number, task.args = number, args
            if number in self.direct:
                self.pass_through(task, None)
                return
            self.complete(task, self.kernel.call(task.process, number, args))
        elif state == SKIPPED:                        # the skipped call's exit, rip moved back
            task.state = REISSUED
            ptrace(PTRACE_SYSCALL, pid)
        elif state == REISSUED:                       # the re-issued call's entry
            if ptrace(PTRACE_PEEKUSER, pid, 8 * 15) & MASK64 != task.number:
                ptrace(PTRACE_POKEUSER, pid, 8 * 15, MASK64)   # not ours: cancel it (orig_rax = -1)
                task.state = CANCELLED
                ptrace(PTRACE_SYSCALL, pid)
            elif task.after is None:
                task.state = EMU
                ptrace(PTRACE_SYSEMU, pid)
            else:
                task.state = EXIT
                ptrace(PTRACE_SYSCALL, pid)
        elif state == EXIT:                           # the passed call's exit: its result
            result = ptrace(PTRACE_PEEKUSER, pid, RAX) & MASK64
            after, task.after = task.after, None
            result = after(task, result - (1 << 64) if result >> 63 else result)
            task.state = EMU
            if result is not None:
                ptrace(PTRACE_POKEUSER, pid, RAX, result & MASK64)
            if task.process.alive:
                ptrace(PTRACE_SYSEMU, pid)
        else:                                         # CANCELLED: run it again under SYSEMU
            ptrace(PTRACE_GETREGS, pid, 0, self.regs_addr)
            self.regs.rip -= 2
            self.regs.rax = self.regs.orig_rax = task.number
            ptrace(PTRACE_SETREGS, pid, 0, self.regs_addr)
            task.state = EMU
            ptrace(PTRACE_SYSEMU, pid)

    def complete(self, task: Task, result) -> None:
        """Finish a served call: the result into rax, and on to the next call."""
        if result is BLOCKED or result is NO_RETURN:
            return
        ptrace(PTRACE_POKEUSER, task.host_pid, RAX, result & MASK64)
        ptrace(PTRACE_SYSEMU, task.host_pid)

    def pass_through(self, task: Task, after, regs: Regs | None = None) -> None:
        """Let the host run the call task stopped in (with `regs`, if rewritten): rip back
        over `syscall`, rax = the number, resume with PTRACE_SYSCALL. `after(task, result)`
        runs at its exit and returns what rax should hold (None: as it is)."""
        if regs is None:
            regs = self.regs
            ptrace(PTRACE_GETREGS, task.host_pid, 0, self.regs_addr)
        regs.rip -= 2
        regs.rax = regs.orig_rax
        ptrace(PTRACE_SETREGS, task.host_pid, 0, ctypes.addressof(regs))
        task.after = after
        task.state = SKIPPED
        ptrace(PTRACE_SYSCALL, task.host_pid)

    def event_stop(self, task: Task, event: int) -> None:
        pid = task.host_pid
        if event in (EVENT_FORK, EVENT_VFORK, EVENT_CLONE):
            message = ctypes.c_ulong()
            ptrace(PTRACE_GETEVENTMSG, pid, 0, ctypes.addressof(message))
            child = task.new_child
            task.new_child = None
            child_task = Task(message.value, child)
            child_task.child_tid = task.child_tid
            child.context = child_task
            self.tasks[child_task.host_pid] = child_task
            child.memory = Memory(child_task.host_pid)
            early = self.early.pop(child_task.host_pid, None)
            if early is not None:
                self.handle(child_task.host_pid, early)
        elif event == EVENT_EXEC:
            task.process.memory.reopen()
            calls_process.exec_done(self.kernel, task.process, task.program)
        ptrace(PTRACE_SYSCALL if task.state != EMU else PTRACE_SYSEMU, pid)

    def start_child(self, task: Task) -> None:
        """A new child's first stop: its pid where CLONE_CHILD_SETTID asked, then run it."""
        task.fresh = False
        if task.child_tid:
            try:
                task.process.memory.write(task.child_tid, struct.pack("<i", task.process.pid))
            except SysError:
                pass
        self.resume(task, PTRACE_SYSEMU)

    def signal_stop(self, task: Task, sig: int) -> None:
        """A signal is about to be delivered: let it through (for a stop signal's group
        stop, which GETSIGINFO tells apart, just continue: no job control here)."""
        if sig in (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU):
            info = ctypes.create_string_buffer(128)
            try:
                ptrace(PTRACE_GETSIGINFO, task.host_pid, 0, ctypes.addressof(info))
            except OSError:
                sig = 0                                # a group-stop: resume it
        if task.state in (SKIPPED, REISSUED):
            task.state = EMU                           # the call runs again after the handler
            task.after = None
        mode = PTRACE_SYSEMU if task.state == EMU else PTRACE_SYSCALL
        self.resume(task, mode, sig)

    def resume(self, task: Task, mode: int, sig: int = 0) -> None:
        try:
            ptrace(mode, task.host_pid, 0, sig)
        except OSError as err:
            if err.errno != errno.ESRCH:
                raise

    def died(self, task: Task, status: int) -> None:
        self.tasks.pop(task.host_pid, None)
        process = task.process
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

    # ---- what the layer asks of the platform ---------------------------------------------------

    def clone(self, parent, child, flags: int, stack: int, child_tid: int, tls: int):
        task = parent.context
        regs = self.regs
        ptrace(PTRACE_GETREGS, task.host_pid, 0, self.regs_addr)
        host_flags = ((flags & ~0xFF & ~(calls_process.CLONE_PARENT_SETTID | calls_process.CLONE_CHILD_SETTID))
                      | calls_process.CLONE_PARENT | SIGCHLD)
        regs.orig_rax = self.kernel.arch.numbers["clone"]
        regs.rdi, regs.rsi, regs.r8 = host_flags, stack, tls
        task.new_child = child
        task.child_tid = child_tid

        def after(task, result):
            if result < 0:
                self.kernel.reap(child)
                child.alive = False
                return result
            return child.pid
        self.pass_through(task, after, regs)
        return NO_RETURN

    def exec(self, process, program):
        """Write the program's path (/proc/<this pid>/fd/N), argv and envp below the red
        zone of its stack and let the host execve them."""
        task = process.context
        fd = self.host_fd(program)
        regs = self.regs
        ptrace(PTRACE_GETREGS, task.host_pid, 0, self.regs_addr)
        path = f"/proc/{os.getpid()}/fd/{fd}".encode()
        strings = [path] + program.argv + program.envp
        blob = b"".join(s + b"\0" for s in strings)
        top = (regs.rsp - 128 - len(blob)) & ~15
        pointers_at = top - 8 * (len(program.argv) + len(program.envp) + 2)
        pointers_at &= ~15
        addresses = []
        at = top
        for s in strings:
            addresses.append(at)
            at += len(s) + 1
        argv_ptrs = addresses[1:1 + len(program.argv)] + [0]
        envp_ptrs = addresses[1 + len(program.argv):] + [0]
        table = struct.pack(f"<{len(argv_ptrs) + len(envp_ptrs)}Q", *argv_ptrs, *envp_ptrs)
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
        self.pass_through(task, after, regs)
        return NO_RETURN

    def sys_mmap(self, kernel, process, addr, length, prot, flags, fd, offset):
        """mmap: anonymous private memory goes to the host as it is; a file's bytes are
        copied by the layer into an anonymous private mapping (so the host never sees the
        file); shared mappings are refused (ENODEV): no memory is shared between
        processes of the sandbox, which keeps every passed call's memory private."""
        kind = flags & MAP_TYPE
        if kind != MAP_PRIVATE:
            raise SysError(errno.ENODEV if kind in (MAP_SHARED, 3) else errno.EINVAL)
        task = process.context
        if flags & MAP_ANONYMOUS:
            self.pass_through(task, None)
            return NO_RETURN
        file = process.fds.get(s32(fd))
        if not isinstance(file, RegularFile) or not file.readable():
            raise SysError(errno.EACCES if isinstance(file, RegularFile) else errno.ENODEV)
        if offset & 4095:
            raise SysError(errno.EINVAL)
        regs = self.regs
        ptrace(PTRACE_GETREGS, task.host_pid, 0, self.regs_addr)
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
        self.pass_through(task, after, regs)
        return NO_RETURN

    def send_signal(self, process, sig: int) -> None:
        """Send a host signal to the process; if it is parked in a served call that the
        signal should interrupt, finish that call with -ERESTARTSYS (the host then runs the
        handler and restarts or fails the call, as SA_RESTART says)."""
        task = process.context
        if task is None:
            return
        try:
            os.kill(task.host_pid, sig)
        except ProcessLookupError:
            return
        if process.blocked and self.interrupts(task.host_pid, sig):
            try:
                self.complete(task, self.kernel.interrupted(process))
            except ProcessLookupError:
                pass

    def interrupts(self, host_pid: int, sig: int) -> bool:
        """Whether `sig` would be delivered now: not blocked, and caught or deadly
        (/proc/PID/status holds the host's view of the dispositions)."""
        masks = self.signal_masks(host_pid)
        if masks is None:
            return False
        blocked, ignored, caught = masks
        if sig == SIGKILL:
            return True
        if blocked & bit(sig) or ignored & bit(sig):
            return False
        if caught & bit(sig):
            return True
        return default_action(sig) not in (IGNORE, CONTINUE) and sig not in (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)

    def signal_masks(self, host_pid: int):
        try:
            with open(f"/proc/{host_pid}/status") as f:
                fields = dict(line.split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            return None
        return (int(fields["SigBlk"], 16), int(fields["SigIgn"], 16), int(fields["SigCgt"], 16))

    def ignores(self, process, sig: int) -> bool:
        task = process.context
        masks = self.signal_masks(task.host_pid) if task is not None else None
        return masks is not None and bool(masks[1] & bit(sig))

    def flags_of(self, process, sig: int) -> int:
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

    def reap_all(self) -> None:
        """Wait until every traced process is gone (after end_all)."""
        while self.tasks:
            try:
                pid, status = os.waitpid(-1, WALL)
            except ChildProcessError:
                break
            task = self.tasks.get(pid)
            if task is not None and (os.WIFEXITED(status) or os.WIFSIGNALED(status)):
                self.died(task, status)
            elif task is not None:
                self.resume(task, PTRACE_CONT)

    def end_all(self) -> None:
        """pid 1 is gone (or the sandbox was told to stop): kill every process. They are
        reaped as their deaths arrive."""
        for task in list(self.tasks.values()):
            try:
                os.kill(task.host_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def available() -> str | None:
    """Why ptrace cannot run here (None: it can)."""
    if os.uname().machine != "x86_64":
        return "the ptrace platform runs x86-64 programs on an x86-64 host"
    return None


def make_arch():
    return abi.X86_64
