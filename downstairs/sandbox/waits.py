"""How a system call fails, and how it waits.

A handler that fails raises SysError with a Linux errno; the dispatcher turns it into the
negative return value the program sees. A handler that cannot finish yet (a read from an
empty pipe, a wait4 with no child exited) raises Block with the WaitQueue of the thing it
waits for, before it has changed anything: the platform parks the caller, and when the queue
is woken it runs the same call again from the start. That is the whole blocking model: every
blocking call is restartable, as Linux's are after a signal (-ERESTARTSYS).
"""

import errno as _errno


class SysError(Exception):
    """A system call's failure: `errno` is Linux's number (the host's errno module, which
    on a Linux host holds Linux's numbers)."""

    def __init__(self, code: int):
        super().__init__(_errno.errorcode.get(code, str(code)))
        self.errno = code


class WaitQueue:
    """The processes waiting for one thing to change (a pipe's buffer, a child's exit, the
    terminal's input). `wake` hands each to the kernel's ready list."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.waiters: list = []

    def add(self, process) -> None:
        if process not in self.waiters:
            self.waiters.append(process)

    def remove(self, process) -> None:
        if process in self.waiters:
            self.waiters.remove(process)

    def wake(self) -> None:
        waiters, self.waiters = self.waiters, []
        for process in waiters:
            self.kernel.make_ready(process)


class Block(Exception):
    """The call must wait for any of `queues` (and, with `deadline`, at most until that
    time.monotonic() value, when it runs again too)."""

    def __init__(self, *queues: WaitQueue, deadline: float | None = None):
        super().__init__("blocked")
        self.queues = queues
        self.deadline = deadline
