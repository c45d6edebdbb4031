"""CPU time: what a process has used, as times(2), getrusage(2), wait4(2), /proc/PID/stat
and the CPU-time clocks of clock_gettime(2) report it.

Where the time comes from is the platform's (`platform.update_cpu`):
- x86-64 (seccomp, ptrace): the host kernel's count for the program's host process. Its
  CPU-time clock gives the total in nanoseconds, split into user and system time in the
  proportion /proc/PID/stat's tick counts give (as Linux's own cputime_adjust does); when
  the host process ends, wait4's rusage gives the final figures.
- the hart (run-user): the host's time (its monotonic clock, cheap to read) spent running
  the process's instructions is its user time, and the time spent serving its calls and
  faults is its system time.

A process keeps what it used itself in user_ns and system_ns, and what its children used
in children_user_ns and children_system_ns. A child's times (its own and its children's)
are added to its parent's when the parent waits for it, as Linux does (getrusage(2): "all
children ... that have terminated and been waited for"); a child nobody waits for adds
nothing. There is one thread per process here, so a thread's clock is its process's.

The CPU-time clock ids (clock_getcpuclockid(3), pthread_getcpuclockid(3)) name a pid:

    clockid = (~pid << 3) | (thread << 2) | which     (negative; pid 0 is the caller)
    which: 0 PROF (user + system), 1 VIRT (user), 2 SCHED (user + system)
"""

import errno
import struct

from downstairs.sandbox.signals import SIGPROF, SIGVTALRM
from downstairs.sandbox.waits import SysError

CLOCK_TICKS = 100                               # USER_HZ: the unit of times() and /proc/PID/stat
CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 2, 3
CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED = 0, 1, 2
CPUCLOCK_PERTHREAD = 4
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
# struct rusage: ru_utime and ru_stime (struct timeval: seconds, microseconds), then 14
# longs this layer leaves 0 (maxrss, page faults, context switches, ...): 144 bytes.
RUSAGE = struct.Struct("<qqqq14q")
# struct tms: tms_utime, tms_stime, tms_cutime, tms_cstime, in clock ticks.
TMS = struct.Struct("<qqqq")
# The interval timers of CPU time (setitimer(2)) and the signal each sends.
ITIMER_VIRTUAL, ITIMER_PROF = 1, 2
TIMER_SIGNALS = {ITIMER_VIRTUAL: SIGVTALRM, ITIMER_PROF: SIGPROF}


def own(kernel, process) -> tuple[int, int]:
    """(user, system) nanoseconds `process` has used itself, up to now."""
    if process.alive:
        kernel.platform.update_cpu(process)
    return process.user_ns, process.system_ns


def with_children(kernel, process) -> tuple[int, int]:
    """(user, system) nanoseconds of `process` and of its children it waited for."""
    user, system = own(kernel, process)
    return user + process.children_user_ns, system + process.children_system_ns


def waited_for(kernel, parent, child) -> None:
    """`parent`'s wait collected `child`: its times, and its children's, become the
    parent's children's times."""
    user, system = with_children(kernel, child)
    parent.children_user_ns += user
    parent.children_system_ns += system


def ticks(ns: int) -> int:
    return ns * CLOCK_TICKS // 1_000_000_000


def rusage(user_ns: int, system_ns: int) -> bytes:
    """A struct rusage with these times (microseconds, as Linux rounds them down)."""
    return RUSAGE.pack(user_ns // 1_000_000_000, user_ns // 1000 % 1_000_000,
                       system_ns // 1_000_000_000, system_ns // 1000 % 1_000_000, *[0] * 14)


def tms(kernel, process) -> bytes:
    """times(2)'s struct tms for `process`."""
    user, system = own(kernel, process)
    return TMS.pack(ticks(user), ticks(system), ticks(process.children_user_ns),
                    ticks(process.children_system_ns))


def usage(kernel, process, who: int) -> bytes:
    """getrusage(2)'s struct rusage: RUSAGE_SELF or _THREAD (the same here), or _CHILDREN."""
    if who in (RUSAGE_SELF, RUSAGE_THREAD):
        return rusage(*own(kernel, process))
    if who == RUSAGE_CHILDREN:
        return rusage(process.children_user_ns, process.children_system_ns)
    raise SysError(errno.EINVAL)


def clock_ns(kernel, process, clock: int) -> int:
    """A CPU-time clock's reading: CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, or a
    clock id naming a pid (above); EINVAL for a pid the sandbox does not have, a thread
    other than the caller, or a `which` Linux does not define."""
    if clock in (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID):
        return sum(own(kernel, process))
    if clock >= 0 or clock & 3 == 3:
        raise SysError(errno.EINVAL)
    pid = ~(clock >> 3)
    target = process if pid == 0 else kernel.processes.get(pid)
    if target is None or (clock & CPUCLOCK_PERTHREAD and target is not process):
        raise SysError(errno.EINVAL)
    user, system = own(kernel, target)
    return user if clock & 3 == CPUCLOCK_VIRT else user + system


def is_cpu_clock(clock: int) -> bool:
    """Whether clock_ns above reads `clock` (the rest are the host's clocks)."""
    return clock in (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID) or clock < 0


# ---- the CPU-time interval timers, where the layer keeps them (the hart) -------------------
# ITIMER_VIRTUAL counts user time and ITIMER_PROF user and system time (setitimer(2)). An
# armed one is process.cpu_itimers[which] = (when it fires, as that count in ns; the period
# in ns, 0: once). They are looked at whenever the platform has counted the process's time,
# as Linux looks at them at each tick: a timer fires once per look, and a period is added
# to when it fired, not to the time of the look.

def timer_count(process, which: int) -> int:
    """The CPU time timer `which` counts, in ns."""
    return process.user_ns + (process.system_ns if which == ITIMER_PROF else 0)


def set_timer(process, which: int, value_ns: int, interval_ns: int) -> None:
    """Arm timer `which` to fire `value_ns` of its CPU time from now, then every
    `interval_ns`; a value of 0 disarms it."""
    if value_ns:
        process.cpu_itimers[which] = (timer_count(process, which) + value_ns, interval_ns)
    else:
        process.cpu_itimers.pop(which, None)


def timer_left(process, which: int) -> tuple[int, int]:
    """(ns left before timer `which` fires, its period); (0, 0) when it is disarmed."""
    if which not in process.cpu_itimers:
        return 0, 0
    expires, interval = process.cpu_itimers[which]
    return max(expires - timer_count(process, which), 1000), interval


def check_timers(kernel, process) -> None:
    """Send the signal of each armed timer whose time has come (the caller checked that
    some timer is armed), and re-arm the periodic ones."""
    for which, (expires, interval) in list(process.cpu_itimers.items()):
        if timer_count(process, which) >= expires:
            if interval:
                process.cpu_itimers[which] = (expires + interval, interval)
            else:
                del process.cpu_itimers[which]
            kernel.send_signal(process, TIMER_SIGNALS[which])
