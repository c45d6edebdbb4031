"""System calls on descriptors: read and write, dup, fcntl, ioctl, pipes, poll (man 2 of each).

A transfer that can only be done in part waits and goes on (a large write to a pipe), and
keeps what it did so far in `process.progress`, so a signal that interrupts it returns that
count, as Linux does. A write to a pipe nobody reads fails with EPIPE and sends SIGPIPE.
"""

import errno
import struct
import time

from downstairs.sandbox import pipes
from downstairs.sandbox.abi import s32, s64
from downstairs.sandbox.files import (
    O_CLOEXEC, O_DIRECT, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI,
    RegularFile, SETFL_MASK,
)
from downstairs.sandbox.signals import SIGPIPE
from downstairs.sandbox.waits import Block, SysError

MAX_RW = 0x7FFFF000                   # MAX_RW_COUNT: the most one read or write moves
CHUNK = 1 << 20                       # ... and the most this layer moves at once
IOV_MAX = 1024
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_GETLK, F_SETLK, F_SETLKW, F_SETOWN, F_GETOWN = 5, 6, 7, 8, 9
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ = 1030, 1031, 1032
F_GET_SEALS = 1034
FD_CLOEXEC = 1
F_UNLCK = 2
FIONCLEX, FIOCLEX, FIONBIO, FIONREAD = 0x5450, 0x5451, 0x5421, 0x541B
CLOSE_RANGE_CLOEXEC = 4


def readable_file(process, fd: int):
    file = process.fds.get(s32(fd))
    if not file.readable():
        raise SysError(errno.EBADF)
    return file


def writable_file(process, fd: int):
    file = process.fds.get(s32(fd))
    if not file.writable():
        raise SysError(errno.EBADF)
    return file


def iovecs(process, addr: int, count: int) -> list[tuple[int, int]]:
    """An iovec array: (base, length) pairs."""
    if count > IOV_MAX:
        raise SysError(errno.EINVAL)
    raw = process.memory.read(addr, 16 * count)
    pairs = [struct.unpack_from("<QQ", raw, 16 * i) for i in range(count)]
    if sum(length for _, length in pairs) > MAX_RW:
        raise SysError(errno.EINVAL)
    return pairs


def scatter(process, pairs: list[tuple[int, int]], data: bytes) -> None:
    at = 0
    for base, length in pairs:
        if at >= len(data):
            break
        process.memory.write(base, data[at:at + length])
        at += length


def gather(process, pairs: list[tuple[int, int]]) -> bytes:
    return b"".join(process.memory.read(base, length) for base, length in pairs if length)


def write_all(kernel, process, file, data: bytes) -> int:
    """Write `data` (what is left of the call's bytes after `process.progress`), waiting
    for room as long as the file is blocking; the call's total so far is the result."""
    try:
        done = file.write(data)
    except SysError as err:
        if err.errno == errno.EPIPE:
            kernel.send_signal(process, SIGPIPE)
        raise
    process.progress += done
    if done < len(data):
        if file.nonblocking():
            return process.progress
        raise Block(*file.queues())
    return process.progress


def sys_read(kernel, process, fd, buf, count, *_):
    file = readable_file(process, fd)
    data = file.read(min(count, CHUNK))
    if data:
        process.memory.write(buf, data)
    return len(data)


def sys_write(kernel, process, fd, buf, count, *_):
    file = writable_file(process, fd)
    count = min(count, MAX_RW)
    while process.progress < count:
        start = process.progress
        data = process.memory.read(buf + start, min(count - start, CHUNK))
        if write_all(kernel, process, file, data) - start < len(data):
            break                                     # non-blocking: a short write
    return process.progress


def sys_pread64(kernel, process, fd, buf, count, offset, *_):
    file = readable_file(process, fd)
    data = file.pread(min(count, CHUNK), s64(offset))
    process.memory.write(buf, data)
    return len(data)


def sys_pwrite64(kernel, process, fd, buf, count, offset, *_):
    file = writable_file(process, fd)
    return file.pwrite(process.memory.read(buf, min(count, CHUNK)), s64(offset))


def sys_readv(kernel, process, fd, iov, count, *_):
    file = readable_file(process, fd)
    pairs = iovecs(process, iov, count)
    data = file.read(min(sum(length for _, length in pairs), CHUNK))
    scatter(process, pairs, data)
    return len(data)


def sys_writev(kernel, process, fd, iov, count, *_):
    file = writable_file(process, fd)
    data = gather(process, iovecs(process, iov, count))
    if not data:
        return 0
    return write_all(kernel, process, file, data[process.progress:])


def sys_preadv(kernel, process, fd, iov, count, offset, *_):
    file = readable_file(process, fd)
    pairs = iovecs(process, iov, count)
    data = file.pread(min(sum(length for _, length in pairs), CHUNK), s64(offset))
    scatter(process, pairs, data)
    return len(data)


def sys_pwritev(kernel, process, fd, iov, count, offset, *_):
    file = writable_file(process, fd)
    return file.pwrite(gather(process, iovecs(process, iov, count)), s64(offset))


def sys_preadv2(kernel, process, fd, iov, count, offset, high, flags):
    if s64(offset) == -1:
        return sys_readv(kernel, process, fd, iov, count)
    return sys_preadv(kernel, process, fd, iov, count, offset)


def sys_pwritev2(kernel, process, fd, iov, count, offset, high, flags):
    if s64(offset) == -1:
        return sys_writev(kernel, process, fd, iov, count)
    return sys_pwritev(kernel, process, fd, iov, count, offset)


def sys_lseek(kernel, process, fd, offset, whence, *_):
    return process.fds.get(s32(fd)).seek(s64(offset), s32(whence))


def sys_getdents64(kernel, process, fd, buf, count, *_):
    data = process.fds.get(s32(fd)).getdents(min(count, CHUNK))
    process.memory.write(buf, data)
    return len(data)


# ---- descriptors ----------------------------------------------------------------------------

def sys_close(kernel, process, fd, *_):
    process.fds.close(s32(fd))
    return 0


def sys_close_range(kernel, process, first, last, flags, *_):
    if first > last or flags & ~(2 | CLOSE_RANGE_CLOEXEC):
        raise SysError(errno.EINVAL)
    for fd in sorted(process.fds.files):
        if first <= fd <= last:
            if flags & CLOSE_RANGE_CLOEXEC:
                process.fds.cloexec.add(fd)
            else:
                process.fds.close(fd)
    return 0


def sys_dup(kernel, process, fd, *_):
    return process.fds.install(process.fds.get(s32(fd)))


def do_dup3(process, old: int, new: int, flags: int) -> int:
    file = process.fds.get(s32(old))
    new = s32(new)
    if new < 0 or new >= process.fds.limit:
        raise SysError(errno.EBADF)
    process.fds.put(new, file, bool(flags & O_CLOEXEC))
    return new


def sys_dup2(kernel, process, old, new, *_):
    if s32(old) == s32(new):
        process.fds.get(s32(old))
        return s32(new)
    return do_dup3(process, old, new, 0)


def sys_dup3(kernel, process, old, new, flags, *_):
    if s32(old) == s32(new) or flags & ~O_CLOEXEC:
        raise SysError(errno.EINVAL)
    return do_dup3(process, old, new, flags)


def sys_fcntl(kernel, process, fd, cmd, arg, *_):
    fd, cmd = s32(fd), s32(cmd)
    file = process.fds.get(fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if s32(arg) < 0 or s32(arg) >= process.fds.limit:
            raise SysError(errno.EINVAL)
        return process.fds.install(file, cloexec=cmd == F_DUPFD_CLOEXEC, lowest=s32(arg))
    if cmd == F_GETFD:
        return FD_CLOEXEC if fd in process.fds.cloexec else 0
    if cmd == F_SETFD:
        if arg & FD_CLOEXEC:
            process.fds.cloexec.add(fd)
        else:
            process.fds.cloexec.discard(fd)
        return 0
    if cmd == F_GETFL:
        return file.flags & ~O_CLOEXEC
    if cmd == F_SETFL:
        file.flags = (file.flags & ~SETFL_MASK) | (arg & SETFL_MASK)
        return 0
    if cmd in (F_GETLK, F_OFD_GETLK):
        lock = bytearray(process.memory.read(arg, 32))
        struct.pack_into("<h", lock, 0, F_UNLCK)      # nobody else holds a lock here
        process.memory.write(arg, bytes(lock))
        return 0
    if cmd in (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW):
        return 0                                      # one sandbox, no other lock holder
    if cmd == F_GETOWN:
        return 0
    if cmd == F_SETOWN:
        return 0
    if cmd == F_GETPIPE_SZ and isinstance(file, pipes.PipeEnd):
        return file.pipe.capacity
    if cmd == F_SETPIPE_SZ and isinstance(file, pipes.PipeEnd):
        size = max(4096, 1 << max(0, (arg - 1).bit_length()))
        if size > pipes.MAX_CAPACITY:
            raise SysError(errno.EPERM)
        if size < len(file.pipe.buffer):
            raise SysError(errno.EBUSY)
        file.pipe.capacity = size
        return size
    if cmd == F_GET_SEALS:
        raise SysError(errno.EINVAL)
    raise SysError(errno.EINVAL)


def sys_ioctl(kernel, process, fd, request, arg, *_):
    fd = s32(fd)
    file = process.fds.get(fd)
    request &= 0xFFFFFFFF
    if request == FIOCLEX:
        process.fds.cloexec.add(fd)
        return 0
    if request == FIONCLEX:
        process.fds.cloexec.discard(fd)
        return 0
    if request == FIONBIO:
        on = struct.unpack("<i", process.memory.read(arg, 4))[0]
        file.flags = file.flags | O_NONBLOCK if on else file.flags & ~O_NONBLOCK
        return 0
    if request == FIONREAD and isinstance(file, pipes.PipeEnd):
        process.memory.write(arg, struct.pack("<i", len(file.pipe.buffer)))
        return 0
    if request == FIONREAD and isinstance(file, RegularFile):
        process.memory.write(arg, struct.pack("<i", max(0, file.node.size() - file.offset)))
        return 0
    return file.ioctl(process, request, arg)


def do_pipe(kernel, process, addr: int, flags: int) -> int:
    if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT):
        raise SysError(errno.EINVAL)
    reader, writer = pipes.make_pipe(kernel, kernel.view, flags)
    cloexec = bool(flags & O_CLOEXEC)
    rfd = process.fds.install(reader, cloexec)
    try:
        wfd = process.fds.install(writer, cloexec)
    except SysError:
        process.fds.close(rfd)
        raise
    try:
        process.memory.write(addr, struct.pack("<ii", rfd, wfd))
    except SysError:
        process.fds.close(rfd)
        process.fds.close(wfd)
        raise
    return 0


def sys_pipe2(kernel, process, addr, flags, *_):
    return do_pipe(kernel, process, addr, flags)


def sys_pipe(kernel, process, addr, *_):
    return do_pipe(kernel, process, addr, 0)


def sys_sendfile(kernel, process, out_fd, in_fd, offset_addr, count, *_):
    """Copy from one descriptor to another without the program seeing the bytes: here,
    at most 64 KiB per call (busybox's copy loop calls again until it is done)."""
    source = readable_file(process, in_fd)
    sink = writable_file(process, out_fd)
    chunk = min(count, 65536)
    if isinstance(sink, pipes.PipeEnd):
        pipe = sink.pipe
        if pipe.readers == 0:
            kernel.send_signal(process, SIGPIPE)
            raise SysError(errno.EPIPE)
        room = pipe.capacity - len(pipe.buffer)
        if room == 0:
            if sink.nonblocking():
                raise SysError(errno.EAGAIN)
            raise Block(pipe.changed)
        chunk = min(chunk, room)
    if chunk == 0:
        return 0
    if offset_addr:
        offset = struct.unpack("<q", process.memory.read(offset_addr, 8))[0]
        data = source.pread(chunk, offset)
    else:
        data = source.read(chunk)
    if not data:
        return 0
    written = sink.write(data)
    if offset_addr:
        process.memory.write(offset_addr, struct.pack("<q", offset + written))
    elif written < len(data) and isinstance(source, RegularFile):
        source.offset -= len(data) - written
    return written


# ---- waiting for several descriptors ---------------------------------------------------------

def poll_deadline(process, timeout_ms: int) -> float | None:
    """When a poll with this timeout gives up (None: never), fixed at its first attempt."""
    if timeout_ms < 0:
        return None
    if process.deadline is None:
        process.deadline = time.monotonic() + timeout_ms / 1000
    return process.deadline


def timespec_ms(process, addr: int) -> int:
    if addr == 0:
        return -1
    sec, nsec = struct.unpack("<qq", process.memory.read(addr, 16))
    if sec < 0 or not 0 <= nsec < 1_000_000_000:
        raise SysError(errno.EINVAL)
    return sec * 1000 + (nsec + 999_999) // 1_000_000


def do_poll(kernel, process, addr: int, count: int, timeout_ms: int) -> int:
    if count > process.fds.limit:
        raise SysError(errno.EINVAL)
    raw = bytearray(process.memory.read(addr, 8 * count))
    ready = 0
    queues = []
    for i in range(count):
        fd, events, _ = struct.unpack_from("<ihh", raw, 8 * i)
        revents = 0
        if fd >= 0:
            file = process.fds.files.get(fd)
            if file is None:
                revents = POLLNVAL
            else:
                now, waits = file.poll_wait()
                revents = now & (events | POLLERR | POLLHUP)
                queues += waits
        struct.pack_into("<h", raw, 8 * i + 6, revents)
        ready += revents != 0
    deadline = poll_deadline(process, timeout_ms)
    if ready or timeout_ms == 0 or (deadline is not None and time.monotonic() >= deadline):
        process.memory.write(addr, bytes(raw))
        return ready
    raise Block(*queues, deadline=deadline)


def sys_poll(kernel, process, addr, count, timeout, *_):
    return do_poll(kernel, process, addr, count, s32(timeout))


def sys_ppoll(kernel, process, addr, count, timeout_addr, sigmask, size, *_):
    return do_poll(kernel, process, addr, count, timespec_ms(process, timeout_addr))


def do_select(kernel, process, nfds: int, sets: list[int], timeout_ms: int) -> int:
    nfds = s32(nfds)
    if nfds < 0 or nfds > process.fds.limit:
        raise SysError(errno.EINVAL)
    size = ((nfds + 63) // 64) * 8
    wanted = [int.from_bytes(process.memory.read(a, size), "little") if a else 0 for a in sets]
    found = [0, 0, 0]
    queues = []
    for fd in range(nfds):
        bit = 1 << fd
        if not (wanted[0] | wanted[1] | wanted[2]) & bit:
            continue
        file = process.fds.files.get(fd)
        if file is None:
            raise SysError(errno.EBADF)
        events, waits = file.poll_wait()
        queues += waits
        if wanted[0] & bit and events & (POLLIN | POLLHUP | POLLERR):
            found[0] |= bit
        if wanted[1] & bit and events & (POLLOUT | POLLERR):
            found[1] |= bit
        if wanted[2] & bit and events & POLLPRI:
            found[2] |= bit
    ready = sum(bin(f).count("1") for f in found)
    deadline = poll_deadline(process, timeout_ms)
    if ready or timeout_ms == 0 or (deadline is not None and time.monotonic() >= deadline):
        for addr, bits in zip(sets, found):
            if addr:
                process.memory.write(addr, bits.to_bytes(size, "little"))
        return ready
    raise Block(*queues, deadline=deadline)


def sys_select(kernel, process, nfds, rfds, wfds, efds, timeout, *_):
    ms = -1
    if timeout:
        sec, usec = struct.unpack("<qq", process.memory.read(timeout, 16))
        if sec < 0 or usec < 0:
            raise SysError(errno.EINVAL)
        ms = sec * 1000 + (usec + 999) // 1000
    return do_select(kernel, process, nfds, [rfds, wfds, efds], ms)


def sys_pselect6(kernel, process, nfds, rfds, wfds, efds, timeout, sigmask):
    return do_select(kernel, process, nfds, [rfds, wfds, efds], timespec_ms(process, timeout))


# ---- the rest -----------------------------------------------------------------------------

def sys_fsync(kernel, process, fd, *_):
    process.fds.get(s32(fd))
    return 0


def sys_ftruncate(kernel, process, fd, length, *_):
    file = process.fds.get(s32(fd))
    if not file.writable():
        raise SysError(errno.EINVAL)
    if s64(length) < 0:
        raise SysError(errno.EINVAL)
    file.truncate(s64(length))
    return 0


def sys_fadvise64(kernel, process, fd, *_):
    process.fds.get(s32(fd))
    return 0


def sys_flock(kernel, process, fd, operation, *_):
    process.fds.get(s32(fd))
    return 0


HANDLERS = {
    "read": sys_read, "write": sys_write, "pread64": sys_pread64, "pwrite64": sys_pwrite64,
    "readv": sys_readv, "writev": sys_writev, "preadv": sys_preadv, "pwritev": sys_pwritev,
    "preadv2": sys_preadv2, "pwritev2": sys_pwritev2, "lseek": sys_lseek,
    "getdents64": sys_getdents64, "close": sys_close, "close_range": sys_close_range,
    "dup": sys_dup, "dup2": sys_dup2, "dup3": sys_dup3, "fcntl": sys_fcntl, "ioctl": sys_ioctl,
    "pipe": sys_pipe, "pipe2": sys_pipe2, "sendfile": sys_sendfile,
    "poll": sys_poll, "ppoll": sys_ppoll, "select": sys_select, "pselect6": sys_pselect6,
    "fsync": sys_fsync, "fdatasync": sys_fsync, "ftruncate": sys_ftruncate,
    "fadvise64": sys_fadvise64, "flock": sys_flock,
}
