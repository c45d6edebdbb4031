"""Signals: their numbers and default actions (signal(7)), and the layer's own bookkeeping
for platforms that have no host kernel to keep it.

On the ptrace platform the host kernel holds each process's signal state (rt_sigaction,
rt_sigprocmask and rt_sigreturn are passed to it: they only change the caller) and builds
the signal frames; the layer only decides *which* signals are sent (kill, SIGPIPE,
SIGCHLD, the terminal's SIGINT) and sends them with kill(2) to the host process.

On the hart there is no host kernel under the program, so SignalState is the state
(actions, blocked mask, pending set, alternate stack) and hart.py builds the frames.
"""

import contextlib
import signal as host

SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE = 1, 2, 3, 4, 5, 6, 7, 8
SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT = 9, 10, 11, 12, 13, 14, 15, 16
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU = 17, 18, 19, 20, 21, 22, 23, 24
SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS = 25, 26, 27, 28, 29, 30, 31
NSIG = 64                            # signals 1..64; 32-64 are the real-time ones

NAMES = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
         7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
         13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
         18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG",
         24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH",
         29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}

# Default actions (signal(7)): what happens to a process that neither ignores nor handles it.
IGNORE, TERMINATE, CORE, STOP, CONTINUE = "ignore", "terminate", "core", "stop", "continue"
DEFAULT_IGNORED = {SIGCHLD, SIGURG, SIGWINCH}
DUMPS_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS}
STOPPING = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 0x1, 0x2, 0x4
SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = 0x08000000, 0x10000000, 0x40000000, 0x80000000
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SS_ONSTACK, SS_DISABLE = 1, 2
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


def bit(sig: int) -> int:
    return 1 << (sig - 1)


def default_action(sig: int) -> str:
    if sig in DEFAULT_IGNORED:
        return IGNORE
    if sig == SIGCONT:
        return CONTINUE
    if sig in STOPPING:
        return STOP
    if sig in DUMPS_CORE:
        return CORE
    return TERMINATE


def name(sig: int) -> str:
    return NAMES.get(sig, f"SIGRT{sig - 32}" if sig >= 32 else f"signal {sig}")


class Action:
    """One signal's disposition (struct sigaction)."""

    def __init__(self, handler: int = SIG_DFL, flags: int = 0, mask: int = 0, restorer: int = 0):
        self.handler = handler
        self.flags = flags
        self.mask = mask
        self.restorer = restorer


class SignalState:
    """A process's signals when the layer delivers them itself: dispositions (shared by
    threads; copied by fork, reset to default by execve where handled), the blocked mask,
    the pending set, and the alternate stack (sigaltstack)."""

    def __init__(self):
        self.actions = [Action() for _ in range(NSIG + 1)]
        self.blocked = 0
        self.pending = 0
        self.altstack = (0, SS_DISABLE, 0)         # (sp, flags, size)

    def copy(self) -> "SignalState":
        other = SignalState()
        other.actions = [Action(a.handler, a.flags, a.mask, a.restorer) for a in self.actions]
        other.blocked = self.blocked
        other.altstack = self.altstack
        return other

    def exec_reset(self) -> None:
        """execve: handled signals go back to their default; ignored stay ignored."""
        for action in self.actions:
            if action.handler != SIG_IGN:
                action.handler, action.flags, action.mask = SIG_DFL, 0, 0
        self.altstack = (0, SS_DISABLE, 0)

    def ignored(self, sig: int) -> bool:
        handler = self.actions[sig].handler
        return handler == SIG_IGN or (handler == SIG_DFL and default_action(sig) == IGNORE)

    def next_deliverable(self) -> int:
        """The lowest pending signal not blocked (0 if none); SIGKILL and SIGSTOP first."""
        ready = self.pending & ~(self.blocked & ~UNBLOCKABLE)
        if not ready:
            return 0
        if ready & bit(SIGKILL):
            return SIGKILL
        return (ready & -ready).bit_length()


# Signals to the sandbox itself: the terminal's (sent on to the foreground group) and the
# ones that end it (kernel.host_signal).
SANDBOX_SIGNALS = (SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH)


@contextlib.contextmanager
def caught(handler):
    """Run the block with `handler` taking the signals sent to the sandbox process."""
    old = {sig: host.signal(sig, handler) for sig in SANDBOX_SIGNALS}
    try:
        yield
    finally:
        restore(old)


def restore(old: dict) -> None:
    """Put back the Python handlers `old` maps signals to. The signals are held meanwhile:
    one that came just before runs the handler being replaced first (Python would otherwise
    find the old one when it got to it, and report "Signal N ignored due to race condition"
    with a traceback), and one that comes meanwhile meets the old handler."""
    mask = host.pthread_sigmask(host.SIG_BLOCK, set(old))
    no_op()                              # a Python call: where pending handlers run
    for sig, previous in old.items():
        host.signal(sig, previous)
    host.pthread_sigmask(host.SIG_SETMASK, mask)


def no_op(*_) -> None:
    """Nothing. A Python signal handler for a signal whose wakeup-fd byte is the point; and a
    Python function to call, which is where Python runs the handlers of signals come in."""
