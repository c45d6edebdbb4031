"""System calls about the machine rather than a file or a process: uname, clocks, sleeping,
randomness and sysinfo (man 2 of each).

The sandbox reports the host's kernel release and node name (as qemu-user does) and the
architecture of its platform; the clocks are the host's clocks; random bytes come from the
host's getrandom through os.urandom. Sleeping is a wait with a deadline, so other processes
of the sandbox run meanwhile (the hart platform; under ptrace the host sleeps).
"""

import errno
import os
import struct
import time

from downstairs.sandbox import cputime
from downstairs.sandbox.abi import TIMESPEC, UTSNAME_FIELD, s32
from downstairs.sandbox.waits import Block, SysError

CLOCKS = {0, 1, 4, 5, 6, 7, 8, 9, 11}         # REALTIME, MONOTONIC, *_RAW, *_COARSE, BOOTTIME, ..._ALARM, TAI
COARSE = {5, 6}
TIMER_ABSTIME = 1
GRND_FLAGS = 1 | 2 | 4                         # NONBLOCK, RANDOM, INSECURE
MAX_RANDOM = 33554431
SYSINFO = struct.Struct("<q3Q6QH6xQQI4x")      # struct sysinfo on 64-bit ABIs: 112 bytes
# struct itimerval: it_interval, then it_value, each a struct timeval (seconds, microseconds).
ITIMERVAL = struct.Struct("<qqqq")
ITIMER_REAL = 0                                # (ITIMER_VIRTUAL and ITIMER_PROF: cputime.py)


def clock_ns(kernel, process, clock: int) -> int:
    """A clock's reading in ns: the host's clocks, and the process's CPU-time clocks (cputime.py)."""
    if cputime.is_cpu_clock(clock):
        return cputime.clock_ns(kernel, process, clock)
    if clock not in CLOCKS:
        raise SysError(errno.EINVAL)
    host = {8: time.CLOCK_REALTIME, 9: time.CLOCK_BOOTTIME, 11: time.CLOCK_TAI}.get(clock, clock)
    return time.clock_gettime_ns(host)


def sys_uname(kernel, process, addr, *_):
    host = os.uname()
    fields = [b"Linux", host.nodename.encode(), kernel.release().encode(), host.version.encode(),
              kernel.arch.machine.encode(), b"(none)"]
    process.memory.write(addr, b"".join(f[:UTSNAME_FIELD - 1].ljust(UTSNAME_FIELD, b"\0") for f in fields))
    return 0


def sys_clock_gettime(kernel, process, clock, addr, *_):
    ns = clock_ns(kernel, process, s32(clock))
    process.memory.write(addr, TIMESPEC.pack(ns // 1_000_000_000, ns % 1_000_000_000))
    return 0


def sys_clock_getres(kernel, process, clock, addr, *_):
    clock = s32(clock)
    clock_ns(kernel, process, clock)
    if addr:
        process.memory.write(addr, TIMESPEC.pack(0, 4_000_000 if clock in COARSE else 1))
    return 0


def sys_gettimeofday(kernel, process, tv, tz, *_):
    ns = time.time_ns()
    if tv:
        process.memory.write(tv, TIMESPEC.pack(ns // 1_000_000_000, (ns // 1000) % 1_000_000))
    if tz:
        process.memory.write(tz, bytes(8))
    return 0


def sys_time(kernel, process, addr, *_):
    now = time.time_ns() // 1_000_000_000
    if addr:
        process.memory.write(addr, struct.pack("<q", now))
    return now


def sys_times(kernel, process, addr, *_):
    if addr:
        process.memory.write(addr, cputime.tms(kernel, process))
    return int((time.monotonic() - kernel.started) * cputime.CLOCK_TICKS) + 1


def sleep_until(process, deadline: float) -> int:
    if time.monotonic() >= deadline:
        return 0
    raise Block(deadline=deadline)


def read_timespec(process, addr: int) -> float:
    sec, nsec = TIMESPEC.unpack(process.memory.read(addr, TIMESPEC.size))
    if sec < 0 or not 0 <= nsec < 1_000_000_000:
        raise SysError(errno.EINVAL)
    return sec + nsec / 1e9


def sys_nanosleep(kernel, process, req, rem, *_):
    if process.deadline is None:
        process.deadline = time.monotonic() + read_timespec(process, req)
    return sleep_until(process, process.deadline)


def sys_clock_nanosleep(kernel, process, clock, flags, req, rem, *_):
    clock = s32(clock)
    if clock not in CLOCKS:
        raise SysError(errno.EINVAL)
    if process.deadline is None:
        seconds = read_timespec(process, req)
        if flags & TIMER_ABSTIME:
            seconds -= clock_ns(kernel, process, clock) / 1e9
        process.deadline = time.monotonic() + max(0.0, seconds)
    return sleep_until(process, process.deadline)


# Interval timers (man 2 setitimer, alarm). ITIMER_REAL is the layer's own on every platform
# (Kernel.set_itimer): its SIGALRM goes through Kernel.send_signal, which ends a call the layer
# holds, as Linux's would. A host timer's signal would stay pending on the host until the layer
# answered: an alarm() meant to end a long poll or read would not. ITIMER_VIRTUAL and
# ITIMER_PROF count the caller's CPU time, so they only tick while it runs: the x86-64
# platforms hand them to the host (tracer.py), and on the hart the layer keeps them with the
# CPU time it counts (cputime.py).

def itimer_which(which: int) -> int:
    which = s32(which)
    if which not in (ITIMER_REAL, cputime.ITIMER_VIRTUAL, cputime.ITIMER_PROF):
        raise SysError(errno.EINVAL)
    return which


def timeval_seconds(sec: int, usec: int) -> float:
    if sec < 0 or not 0 <= usec < 1_000_000:
        raise SysError(errno.EINVAL)
    return sec + usec / 1e6


def itimerval(interval: float, value: float) -> bytes:
    """A struct itimerval; a value still running is rounded up to the next microsecond."""
    def timeval(seconds: float) -> tuple[int, int]:
        usec = int(seconds * 1e6 + 0.999)
        return usec // 1_000_000, usec % 1_000_000
    return ITIMERVAL.pack(*timeval(interval), *timeval(value))


def current_itimer(process, which: int) -> bytes:
    """What getitimer says of timer `which`: its period and the time left."""
    if which != ITIMER_REAL:
        left, interval = cputime.timer_left(process, which)
        return itimerval(interval / 1e9, left / 1e9)
    if process.itimer_deadline is None:
        return itimerval(process.itimer_interval, 0.0)
    return itimerval(process.itimer_interval, max(process.itimer_deadline - time.monotonic(), 1e-6))


def sys_getitimer(kernel, process, which, addr, *_):
    process.memory.write(addr, current_itimer(process, itimer_which(which)))
    return 0


def sys_setitimer(kernel, process, which, new, old, *_):
    which = itimer_which(which)
    isec, iusec, vsec, vusec = ITIMERVAL.unpack(process.memory.read(new, ITIMERVAL.size)) if new else (0,) * 4
    interval, value = timeval_seconds(isec, iusec), timeval_seconds(vsec, vusec)
    before = current_itimer(process, which)
    if which != ITIMER_REAL:
        cputime.set_timer(process, which, (vsec * 1_000_000 + vusec) * 1000, (isec * 1_000_000 + iusec) * 1000)
    else:
        kernel.set_itimer(process, value, interval)
    if old:
        process.memory.write(old, before)
    return 0


def sys_alarm(kernel, process, seconds, *_):
    """alarm: setitimer(ITIMER_REAL) for whole seconds, once; the seconds the earlier one had
    left, rounded as Linux rounds them (a part of a second counts when it is at least half,
    or when it is all there is)."""
    left = 0.0 if process.itimer_deadline is None else max(process.itimer_deadline - time.monotonic(), 0.0)
    whole, usec = int(left), int((left % 1) * 1e6)
    kernel.set_itimer(process, float(seconds & 0xFFFFFFFF), 0.0)
    return whole + 1 if (not whole and usec) or usec >= 500_000 else whole


def sys_getrandom(kernel, process, addr, count, flags, *_):
    if flags & ~GRND_FLAGS:
        raise SysError(errno.EINVAL)
    data = os.urandom(min(count, MAX_RANDOM))
    process.memory.write(addr, data)
    return len(data)


def sys_sysinfo(kernel, process, addr, *_):
    uptime = int(time.monotonic() - kernel.started)
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    process.memory.write(addr, SYSINFO.pack(uptime, 0, 0, 0, pages, free, 0, 0, 0, 0,
                                            len(kernel.processes), 0, 0, 1))
    return 0


HANDLERS = {
    "uname": sys_uname, "clock_gettime": sys_clock_gettime, "clock_getres": sys_clock_getres,
    "gettimeofday": sys_gettimeofday, "time": sys_time, "times": sys_times,
    "nanosleep": sys_nanosleep, "clock_nanosleep": sys_clock_nanosleep,
    "getrandom": sys_getrandom, "sysinfo": sys_sysinfo,
    "setitimer": sys_setitimer, "getitimer": sys_getitimer, "alarm": sys_alarm,
}
