"""Processes: what the layer knows about each program running in the sandbox.

The sandbox is its own pid namespace (pid_namespaces(7)): the first program is pid 1, its
children get 2, 3, ... and never see a host pid. Each Process has its descriptor table,
working directory, credentials, process group and session, its children, and the state
of the system call it is in. Where its instructions run (a host process under ptrace, or
registers and page tables on the hart) belongs to the platform, in `context`.

A process that exits becomes a zombie until its parent's wait4 collects the status (the
encoding of wait(2): exit code << 8, or the signal number | 0x80 for a core dump). Its
children go to pid 1, as in Linux; when pid 1 itself exits, the namespace ends and every
other process is killed.
"""

import errno
import os
import stat as S
import time

from downstairs.sandbox import fs
from downstairs.sandbox.files import FdTable
from downstairs.sandbox.waits import SysError, WaitQueue

R_OK, W_OK, X_OK = 4, 2, 1

# RLIMIT_* (asm-generic/resource.h) and what a process starts with: (soft, hard)
INFINITY = (1 << 64) - 1
RLIMITS = {0: (INFINITY, INFINITY), 1: (INFINITY, INFINITY), 2: (INFINITY, INFINITY),
           3: (8 << 20, INFINITY), 4: (0, INFINITY), 5: (INFINITY, INFINITY),
           6: (63413, 63413), 7: (1024, 1048576), 8: (8 << 20, 8 << 20), 9: (INFINITY, INFINITY),
           10: (INFINITY, INFINITY), 11: (63413, 63413), 12: (819200, 819200), 13: (0, 0),
           14: (0, 0), 15: (INFINITY, INFINITY)}
RLIMIT_NOFILE = 7


def exited(code: int) -> int:
    """The wait status of a process that called exit(code)."""
    return (code & 0xFF) << 8


def killed(sig: int, core: bool = False) -> int:
    return sig | (0x80 if core else 0)


def describe(status: int) -> tuple[str, int]:
    """("exited", code) or ("killed", signal) from a wait status."""
    if status & 0x7F == 0:
        return "exited", (status >> 8) & 0xFF
    return "killed", status & 0x7F


class Process:
    def __init__(self, kernel, pid: int, parent: "Process | None"):
        self.kernel = kernel
        self.pid = pid
        self.parent = parent
        self.children: list[Process] = []
        self.pgid = pid
        self.sid = pid
        self.fds = FdTable()
        self.cwd: fs.Dir = kernel.view.root
        self.umask = 0o022
        self.uid = self.euid = self.suid = kernel.uid
        self.gid = self.egid = self.sgid = kernel.gid
        self.groups: list[int] = []
        self.rlimits = dict(RLIMITS)
        self.exe: fs.Node | None = None
        self.exe_path = b""
        self.argv: list[bytes] = []
        self.environ: list[bytes] = []
        self.comm = b""
        self.start = time.monotonic()
        self.user_ns = 0                     # CPU time it used in user mode and in the system
        self.system_ns = 0                   # (the platform counts them: cputime.py) ...
        self.children_user_ns = 0            # ... and what its children used that it waited for
        self.children_system_ns = 0
        self.cpu_itimers: dict[int, tuple[int, int]] = {}   # armed ITIMER_VIRTUAL/_PROF (hart)
        self.alive = True                    # False once it exited (a zombie until reaped)
        self.status = 0                      # its wait status, once it exited
        self.reaped = False
        self.child_exited = WaitQueue(kernel)  # wait4 callers sleep here
        self.blocked = False                 # parked in a call that waits
        self.block_serial = 0                # counts parkings (a timer names the one it is for)
        self.waiting_on: tuple = ()          # the queues of the call it is blocked in
        self.deadline: float | None = None   # when the current call gives up waiting
        self.itimer_deadline: float | None = None   # ITIMER_REAL: when SIGALRM is due,
        self.itimer_interval = 0.0                  # ... the period it is re-armed with (0: once),
        self.itimer_serial = 0                      # ... and a count of settings (a timer names its own)
        self.progress = 0                    # bytes a partly done call already moved
        self.clear_tid = 0                   # set_tid_address
        self.robust_list = (0, 0)
        self.rseq = None                     # rseq(2): (address, length, signature)
        self.memory = None                   # the platform's view of its address space
        self.context = None                  # the platform's state for it
        self.signals = None                  # SignalState, where the layer delivers signals
        self.exit_signal = 17                # sent to the parent at exit (clone's low byte)
        self.vfork_parent: Process | None = None

    def __repr__(self) -> str:
        return f"<Process {self.pid} {self.comm.decode(errors='replace')}>"

    def inherit(self, parent: "Process") -> None:
        """fork: what the child takes from its parent."""
        self.pgid, self.sid = parent.pgid, parent.sid
        self.fds = parent.fds.copy()
        self.cwd, self.umask = parent.cwd, parent.umask
        self.uid, self.euid, self.suid = parent.uid, parent.euid, parent.suid
        self.gid, self.egid, self.sgid = parent.gid, parent.egid, parent.sgid
        self.groups = list(parent.groups)
        self.rlimits = dict(parent.rlimits)
        self.exe, self.exe_path = parent.exe, parent.exe_path
        self.argv, self.environ, self.comm = parent.argv, parent.environ, parent.comm
        self.rseq = parent.rseq

    def require(self, node: fs.Node, want: int) -> None:
        """Permission to read (4), write (2) or execute/search (1) `node`, as the
        kernel's generic_permission checks it: root may do anything but execute a file
        with no x bit at all."""
        if not self.allowed(node, want):
            raise SysError(errno.EACCES)

    def allowed(self, node: fs.Node, want: int) -> bool:
        mode = node.mode
        if self.euid == 0:
            return not (want & X_OK) or S.S_ISDIR(mode) or bool(mode & 0o111)
        if self.euid == node.uid:
            bits = (mode >> 6) & 7
        elif self.egid == node.gid or node.gid in self.groups:
            bits = (mode >> 3) & 7
        else:
            bits = mode & 7
        return bits & want == want

    def owns(self, node: fs.Node) -> None:
        """Changing a node's metadata needs its owner or root (EPERM otherwise)."""
        if self.euid != 0 and self.euid != node.uid:
            raise SysError(errno.EPERM)

    def session_leader(self) -> bool:
        return self.sid == self.pid


def host_uid() -> tuple[int, int]:
    return os.getuid(), os.getgid()
