"""The system-call layer: one Kernel per sandbox, whatever platform runs the program.

A platform (ptrace.py, hart.py) stops the program at each system call and hands the call
to `Kernel.call(process, number, arguments)`, which finds the handler in the dispatch table
and returns what the program's return register should hold: a value, or -errno. Two other
answers are objects, not numbers: BLOCKED (the call waits; the platform keeps the process
stopped until the kernel puts it on the ready list, then calls again with the same
arguments) and NO_RETURN (the platform completes the call itself: execve, clone, exit).

The handlers live in calls_fs.py (paths and the file system), calls_io.py (descriptors,
pipes, I/O), calls_process.py (processes, signals, credentials, limits) and calls_system.py
(clocks, uname, randomness). SERVED is their union, by name; a platform may add its own
(the hart serves memory and signals itself) and the rest are refused with ENOSYS: table.py
writes that down for docs/sandbox.md.
"""

import collections
import errno
import heapq
import os
import time

from downstairs.sandbox import calls_fs, calls_io, calls_process, calls_system, special
from downstairs.sandbox.process import Process, killed
from downstairs.sandbox.signals import SA_NOCLDWAIT, SIGALRM, SIGCHLD, SIGHUP, SIGKILL, SIGTERM
from downstairs.sandbox.terminal import Console, standard_streams
from downstairs.sandbox.waits import Block, SysError, WaitQueue

# include/linux/errno.h: results never seen by programs; a signal's delivery makes the call
# again (SYS: if the handler has SA_RESTART; NOINTR: always; NOHAND: if there is no handler)
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND = 512, 513, 514
BLOCKED = object()       # the call waits: keep the process stopped, call again when ready
NO_RETURN = object()     # the platform finishes this call itself

SERVED: dict = {}
for _module in (calls_fs, calls_io, calls_process, calls_system):
    SERVED.update(_module.HANDLERS)


class Kernel:
    def __init__(self, view, arch, platform, console: Console, uid: int = 0, gid: int = 0):
        self.view = view
        self.arch = arch
        self.platform = platform
        self.console = console
        self.uid = uid
        self.gid = gid
        self.processes: dict[int, Process] = {}
        self.last_pid = 0
        self.ready: collections.deque = collections.deque()
        self.host_queues: dict[tuple[int, bool], WaitQueue] = {}
        self.timers: list = []                      # heap of (deadline, sequence, process, serial)
        self.alarms: list = []                      # ITIMER_REAL: the same, for SIGALRM
        self.timer_count = 0
        self.started = time.monotonic()
        self.finished = False                       # pid 1 has exited: the sandbox is over
        self.init_status = 0
        self.table: dict[int, tuple[str, object]] = {}
        self.build_table(platform.extra_handlers())
        view.mount(b"dev", special.make_dev(view))
        view.mount(b"proc", special.make_proc(self, view))

    def build_table(self, extra: dict) -> None:
        """number -> (name, handler) for every call this platform serves in the layer."""
        handlers = dict(SERVED)
        handlers.update(extra)
        self.table = {self.arch.numbers[name]: (name, fn) for name, fn in handlers.items()
                      if name in self.arch.numbers}

    # ---- the one entry point -------------------------------------------------------------

    def call(self, process: Process, number: int, args: tuple, again: bool = False):
        """Serve one system call. `again` is set when a woken call runs a second time, so
        what a call remembers between attempts (progress, its deadline) is kept."""
        if not again:
            process.progress = 0
            process.deadline = None
        entry = self.table.get(number)
        if entry is None:
            return -errno.ENOSYS
        try:
            return entry[1](self, process, *args)
        except SysError as err:
            if process.progress and err.errno not in (errno.EFAULT,):
                return process.progress           # a partial transfer reports what it did
            return -err.errno
        except Block as block:
            self.park(process, block)
            if self.platform.signal_pending(process):
                return self.interrupted(process)  # a signal came before it slept: it never sleeps
            return BLOCKED

    def name_of(self, number: int) -> str:
        return self.arch.names.get(number, f"syscall {number}")

    # ---- waiting ---------------------------------------------------------------------------

    def park(self, process: Process, block: Block) -> None:
        """Put a process to sleep on the queues (and timer) a handler's Block named."""
        process.waiting_on = block.queues
        process.blocked = True
        process.block_serial += 1
        for queue in block.queues:
            queue.add(process)
        if block.deadline is not None:
            process.deadline = block.deadline
            self.timer_count += 1
            heapq.heappush(self.timers, (block.deadline, self.timer_count, process, process.block_serial))

    def unpark(self, process: Process) -> bool:
        """Take a blocked process off its queues; False if it was not blocked."""
        if not process.blocked:
            return False
        for queue in process.waiting_on:
            queue.remove(process)
        process.waiting_on = ()
        process.blocked = False
        return True

    def make_ready(self, process: Process) -> None:
        """A blocked call should run again (its queue was woken or its time came)."""
        if self.unpark(process) and process.alive:
            self.ready.append(process)

    def host_queue(self, fd: int, writing: bool = False) -> WaitQueue:
        """The queue of calls waiting for a host descriptor: the platform's loop polls the
        descriptors of the non-empty ones and wakes them."""
        key = (fd, writing)
        queue = self.host_queues.get(key)
        if queue is None:
            queue = self.host_queues[key] = WaitQueue(self)
        return queue

    def quiet(self) -> bool:
        """Nothing waits for a host descriptor or a timer: only the processes need watching."""
        if self.next_deadline() is not None:
            return False
        return not any(queue.waiters for queue in self.host_queues.values())

    def host_waits(self) -> tuple[list[int], list[int]]:
        """The host descriptors someone waits to read, and to write."""
        reading = [fd for (fd, w), q in self.host_queues.items() if q.waiters and not w]
        writing = [fd for (fd, w), q in self.host_queues.items() if q.waiters and w]
        return reading, writing

    def next_deadline(self) -> float | None:
        """When the earliest timed wait ends or interval timer fires (None: neither)."""
        wait, alarm = self.next_wait(), self.next_alarm()
        return wait if alarm is None else alarm if wait is None else min(wait, alarm)

    def next_wait(self) -> float | None:
        """When the earliest timed wait ends (None: no call waits with a timeout)."""
        while self.timers:
            _, _, process, serial = self.timers[0]
            if process.blocked and process.block_serial == serial:
                return self.timers[0][0]
            heapq.heappop(self.timers)                 # stale: that wait ended otherwise
        return None

    def next_alarm(self) -> float | None:
        """When the earliest ITIMER_REAL fires (None: none is armed)."""
        while self.alarms:
            _, _, process, serial = self.alarms[0]
            if process.alive and process.itimer_serial == serial:
                return self.alarms[0][0]
            heapq.heappop(self.alarms)                 # stale: set again, or its process ended
        return None

    def expire_timers(self) -> None:
        """Wake the timed waits that are over and send SIGALRM for the interval timers due
        (an interval timer is re-armed a period after it was due, or after now if the
        sandbox fell that far behind)."""
        now = time.monotonic()
        while (deadline := self.next_wait()) is not None and deadline <= now:
            self.make_ready(heapq.heappop(self.timers)[2])
        while (deadline := self.next_alarm()) is not None and deadline <= now:
            process = heapq.heappop(self.alarms)[2]
            process.itimer_deadline = None
            if process.itimer_interval:
                self.arm_alarm(process, max(deadline + process.itimer_interval, now))
            self.send_signal(process, SIGALRM)

    def set_itimer(self, process: Process, value: float, interval: float) -> None:
        """setitimer(ITIMER_REAL): SIGALRM in `value` seconds, then every `interval` (0:
        once); a value of 0 disarms it."""
        process.itimer_serial += 1
        process.itimer_deadline, process.itimer_interval = None, interval
        if value > 0:
            self.arm_alarm(process, time.monotonic() + value)

    def arm_alarm(self, process: Process, deadline: float) -> None:
        process.itimer_deadline = deadline
        self.timer_count += 1
        heapq.heappush(self.alarms, (deadline, self.timer_count, process, process.itimer_serial))

    def interrupted(self, process: Process) -> int:
        """What a blocked call returns when a signal interrupts it: what it moved so far,
        or -ERESTARTSYS (the host or hart then restarts it or fails it with EINTR, as the
        handler's SA_RESTART says). A signal interrupts a parked call when it is sent
        (platform.send_signal), or, if it was sent before the call parked (the process was
        between two stops, or its woken call waited to run again), when the call parks:
        Kernel.call asks platform.signal_pending, as Linux's waits check signal_pending()
        after joining the wait queue."""
        self.unpark(process)
        return process.progress if process.progress else -ERESTARTSYS

    # ---- processes ---------------------------------------------------------------------------

    def new_process(self, parent: Process | None) -> Process:
        self.last_pid += 1
        process = Process(self, self.last_pid, parent)
        self.processes[process.pid] = process
        if parent is not None:
            parent.children.append(process)
            process.inherit(parent)
        return process

    def first_process(self) -> Process:
        """pid 1, with descriptors 0-2 on the sandbox's standard streams and the
        terminal's session and foreground group its own."""
        process = self.new_process(None)
        for stream in standard_streams(self, self.view):
            process.fds.install(stream)
        self.console.foreground = process.pgid
        self.console.session = process.sid
        return process

    def exit(self, process: Process, status: int) -> None:
        """A process is gone (exit, exit_group, or killed): close its descriptors, give its
        children to pid 1, leave a zombie for the parent and tell it (SIGCHLD, wait4)."""
        if not process.alive:
            return
        process.alive = False
        process.status = status
        self.unpark(process)
        process.fds.close_all()
        init = self.processes.get(1)
        for child in process.children:
            child.parent = init if init is not process else None
            if init is not None and init is not process:
                init.children.append(child)
                if not child.alive:
                    init.child_exited.wake()
        process.children = []
        if process.vfork_parent is not None:
            self.vfork_done(process)
        parent = process.parent
        if process.pid == 1:
            self.finished = True
            self.init_status = status
            self.platform.end_all()
            return
        if parent is None or not parent.alive:
            self.reap(process)
            return
        if self.platform.ignores(parent, SIGCHLD) or self.platform.flags_of(parent, SIGCHLD) & SA_NOCLDWAIT:
            self.reap(process)                   # nobody will wait: no zombie (wait(2) NOTES)
        elif process.exit_signal:
            self.send_signal(parent, process.exit_signal)
        parent.child_exited.wake()

    def vfork_done(self, child: Process) -> None:
        """A vfork child exec'd or exited: its parent may go on."""
        parent, child.vfork_parent = child.vfork_parent, None
        self.platform.vfork_release(parent, child)

    def reap(self, process: Process) -> None:
        process.reaped = True
        self.processes.pop(process.pid, None)
        if process.parent is not None and process in process.parent.children:
            process.parent.children.remove(process)

    def send_signal(self, target: Process, sig: int) -> None:
        if target.alive and sig:
            self.platform.send_signal(target, sig)

    def group(self, pgid: int) -> list[Process]:
        return [p for p in self.processes.values() if p.pgid == pgid and p.alive]

    def group_in_session(self, pgid: int, sid: int) -> bool:
        return any(p.sid == sid for p in self.group(pgid))

    def terminal_signal(self, sig: int) -> None:
        """The terminal's signal (Ctrl-C, a window change) to the foreground group."""
        for process in self.group(self.console.foreground):
            self.send_signal(process, sig)

    def host_signal(self, sig: int) -> None:
        """A signal to the sandbox process: SIGTERM and SIGHUP end the sandbox and every
        process in it; the terminal's others go to the foreground group."""
        if sig in (SIGTERM, SIGHUP):
            self.init_status = killed(sig)
            self.platform.end_all()
        else:
            self.terminal_signal(sig)

    def kill_all(self) -> None:
        for process in list(self.processes.values()):
            if process.alive:
                self.platform.send_signal(process, SIGKILL)

    def release(self) -> str:
        """The kernel release uname reports: the host's, as qemu-user does."""
        return os.uname().release

    def exit_status(self) -> int:
        """The sandbox command's exit status: pid 1's code, or 128 + the signal that killed it."""
        status = self.init_status
        if status & 0x7F == 0:
            return (status >> 8) & 0xFF
        return 128 + (status & 0x7F)

