"""Open files and descriptor tables: what a program's file descriptors point to.

Linux keeps two levels (fs/file_table.c, fs/file.c) and so does this: a descriptor table
maps small integers to *open file descriptions* (struct file), and several descriptors, in
one process after dup or in several after fork, may share one description and so its
offset and status flags. A description is released when its last descriptor closes; for a
pipe end that is what lets the other side see end-of-file or EPIPE.

Each kind of open file is a subclass: a regular file of the view, a directory being listed
(getdents64), the view's devices (/dev/null, zero, full, random, urandom). Pipes are in
pipes.py, the host's terminal and standard streams in terminal.py. A method a kind does not
support raises the errno Linux gives for it.
"""

import errno
import os
import select
import stat as S

from downstairs.sandbox import fs
from downstairs.sandbox.abi import pack_dirent64
from downstairs.sandbox.waits import SysError

# open(2) flags (asm-generic/fcntl.h: the same on x86-64 and riscv64)
O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND = 0o100, 0o200, 0o400, 0o1000, 0o2000
O_NONBLOCK, O_DSYNC, O_DIRECT, O_LARGEFILE = 0o4000, 0o10000, 0o40000, 0o100000
O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC = 0o200000, 0o400000, 0o1000000, 0o2000000
O_PATH, O_TMPFILE = 0o10000000, 0o20000000 | O_DIRECTORY
# The status flags fcntl(F_SETFL) may change
SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME

SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE = 0, 1, 2, 3, 4
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLWRNORM = 0x40, 0x100
MAX_OFFSET = (1 << 63) - 1
DEFAULT_NOFILE = 1024                # RLIMIT_NOFILE's soft limit, as on most hosts


class OpenFile:
    """An open file description. `refs` counts the descriptors that point to it."""

    def __init__(self, node: fs.Node | None, flags: int, path: bytes):
        self.node = node
        self.flags = flags
        self.path = path                 # what /proc/PID/fd/N shows
        self.offset = 0
        self.refs = 0

    def readable(self) -> bool:
        return self.flags & O_ACCMODE in (O_RDONLY, O_RDWR) and not self.flags & O_PATH

    def writable(self) -> bool:
        return self.flags & O_ACCMODE in (O_WRONLY, O_RDWR) and not self.flags & O_PATH

    def nonblocking(self) -> bool:
        return bool(self.flags & O_NONBLOCK)

    # ---- what each kind overrides ------------------------------------------------------

    def read(self, count: int) -> bytes:
        raise SysError(errno.EINVAL)

    def write(self, data: bytes) -> int:
        raise SysError(errno.EINVAL)

    def pread(self, count: int, offset: int) -> bytes:
        raise SysError(errno.ESPIPE)

    def pwrite(self, data: bytes, offset: int) -> int:
        raise SysError(errno.ESPIPE)

    def seek(self, offset: int, whence: int) -> int:
        raise SysError(errno.ESPIPE)

    def getdents(self, room: int) -> bytes:
        raise SysError(errno.ENOTDIR)

    def ioctl(self, process, request: int, arg: int) -> int:
        raise SysError(errno.ENOTTY)

    def truncate(self, length: int) -> None:
        raise SysError(errno.EINVAL)

    def poll(self) -> int:
        """The poll(2) events true now."""
        return POLLIN | POLLOUT

    def queues(self) -> list:
        """The wait queues a poll on this file must sleep on."""
        return []

    def poll_wait(self) -> tuple[int, list]:
        """poll() and queues() of one moment: the events true now, and where a poll that
        wanted none of them sleeps."""
        return self.poll(), self.queues()

    def release(self) -> None:
        """The last descriptor closed."""

    def link_text(self) -> bytes:
        return self.path


class RegularFile(OpenFile):
    """A regular file of the view (or the generated text of a /proc file)."""

    def read(self, count: int) -> bytes:
        data = self.pread(count, self.offset)
        self.offset += len(data)
        return data

    def pread(self, count: int, offset: int) -> bytes:
        if offset < 0:
            raise SysError(errno.EINVAL)
        return self.node.read(offset, count)

    def write(self, data: bytes) -> int:
        if self.flags & O_APPEND:
            self.offset = self.node.size()
        n = self.pwrite(data, self.offset)
        self.offset += n
        return n

    def pwrite(self, data: bytes, offset: int) -> int:
        if offset < 0:
            raise SysError(errno.EINVAL)
        if offset + len(data) > MAX_OFFSET:
            raise SysError(errno.EFBIG)
        return self.node.write(offset, data)

    def seek(self, offset: int, whence: int) -> int:
        size = self.node.size()
        if whence == SEEK_SET:
            target = offset
        elif whence == SEEK_CUR:
            target = self.offset + offset
        elif whence == SEEK_END:
            target = size + offset
        elif whence in (SEEK_DATA, SEEK_HOLE):        # no holes: data everywhere, one hole at the end
            if offset >= size or offset < 0:
                raise SysError(errno.ENXIO)
            target = offset if whence == SEEK_DATA else size
        else:
            raise SysError(errno.EINVAL)
        if target < 0 or target > MAX_OFFSET:
            raise SysError(errno.EINVAL)
        self.offset = target
        return target

    def truncate(self, length: int) -> None:
        self.node.truncate(length)

    def ioctl(self, process, request: int, arg: int) -> int:
        raise SysError(errno.ENOTTY)


class DirFile(OpenFile):
    """A directory opened for listing. The listing is taken when the first getdents64
    comes (and again after a seek to 0); the offset counts entries, "." and ".." first."""

    def __init__(self, node: fs.Dir, flags: int, path: bytes, process):
        super().__init__(node, flags, path)
        self.process = process
        self.listing: list[tuple[bytes, fs.Node]] | None = None

    def getdents(self, room: int) -> bytes:
        if self.listing is None:
            directory = self.node
            if directory.removed:
                return b""
            self.listing = [(b".", directory), (b"..", directory.parent)]
            self.listing += list(directory.entries(self.process).items())
        out = bytearray()
        while self.offset < len(self.listing):
            name, node = self.listing[self.offset]
            record = pack_dirent64(node.ino, self.offset + 1, node.dtype(), name)
            if len(out) + len(record) > room:
                if not out:
                    raise SysError(errno.EINVAL)      # the buffer cannot hold one entry
                break
            out += record
            self.offset += 1
        return bytes(out)

    def seek(self, offset: int, whence: int) -> int:
        if whence == SEEK_SET and offset >= 0:
            target = offset
        elif whence == SEEK_CUR and self.offset + offset >= 0:
            target = self.offset + offset
        else:
            raise SysError(errno.EINVAL)
        if target == 0:
            self.listing = None
        self.offset = target
        return target

    def read(self, count: int) -> bytes:
        raise SysError(errno.EISDIR)

    def pread(self, count: int, offset: int) -> bytes:
        raise SysError(errno.EISDIR)


class PathFile(OpenFile):
    """An O_PATH descriptor: names a node (for *at calls and fstat), does no I/O."""

    def read(self, count: int) -> bytes:
        raise SysError(errno.EBADF)

    def write(self, data: bytes) -> int:
        raise SysError(errno.EBADF)

    def seek(self, offset: int, whence: int) -> int:
        raise SysError(errno.EBADF)

    def getdents(self, room: int) -> bytes:
        raise SysError(errno.EBADF)

    def ioctl(self, process, request: int, arg: int) -> int:
        raise SysError(errno.EBADF)


class DeviceFile(OpenFile):
    """/dev/null, zero, full, random and urandom (drivers/char/mem.c, random.c)."""

    def read(self, count: int) -> bytes:
        kind = self.node.kind
        if kind == "null" or count == 0:
            return b""
        if kind in ("zero", "full"):
            return bytes(min(count, 1 << 20))
        return os.urandom(min(count, 1 << 20))

    def write(self, data: bytes) -> int:
        if self.node.kind == "full":
            raise SysError(errno.ENOSPC)
        return len(data)

    def pread(self, count: int, offset: int) -> bytes:
        return self.read(count)

    def pwrite(self, data: bytes, offset: int) -> int:
        return self.write(data)

    def seek(self, offset: int, whence: int) -> int:
        self.offset = 0
        return 0


class FdTable:
    """A process's descriptors: number -> open file description, and which are close-on-exec."""

    def __init__(self):
        self.files: dict[int, OpenFile] = {}
        self.cloexec: set[int] = set()
        self.limit = DEFAULT_NOFILE

    def get(self, fd: int) -> OpenFile:
        file = self.files.get(fd)
        if file is None:
            raise SysError(errno.EBADF)
        return file

    def install(self, file: OpenFile, cloexec: bool = False, lowest: int = 0) -> int:
        """The lowest free descriptor >= `lowest` now points to `file`."""
        fd = lowest
        while fd in self.files:
            fd += 1
        if fd >= self.limit:
            raise SysError(errno.EMFILE)
        self.put(fd, file, cloexec)
        return fd

    def put(self, fd: int, file: OpenFile, cloexec: bool) -> None:
        """Point `fd` at `file`, closing what it pointed to (dup2's quiet close)."""
        file.refs += 1
        old = self.files.get(fd)
        self.files[fd] = file
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)
        if old is not None:
            drop(old)

    def close(self, fd: int) -> None:
        file = self.files.pop(fd, None)
        if file is None:
            raise SysError(errno.EBADF)
        self.cloexec.discard(fd)
        drop(file)

    def copy(self) -> "FdTable":
        """fork's copy: the same descriptions, each with one more reference."""
        other = FdTable()
        other.limit = self.limit
        for fd, file in self.files.items():
            other.put(fd, file, fd in self.cloexec)
        return other

    def close_on_exec(self) -> None:
        for fd in sorted(self.cloexec):
            self.close(fd)

    def close_all(self) -> None:
        for fd in sorted(self.files):
            self.close(fd)


def drop(file: OpenFile) -> None:
    file.refs -= 1
    if file.refs == 0:
        file.release()


def host_readable(fd: int) -> bool:
    """Whether a read of host descriptor `fd` would return at once (data, EOF or an error)."""
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def host_events(fd: int) -> int:
    """What poll says of host descriptor `fd` now (POLLIN, POLLOUT, POLLHUP, POLLERR...; the
    host's values are Linux's, the same on every architecture)."""
    poller = select.poll()
    poller.register(fd, POLLIN | POLLPRI | POLLOUT)
    try:
        ready = poller.poll(0)
    except OSError:
        return POLLERR
    return ready[0][1] if ready else 0


def is_dir(node) -> bool:
    return S.S_ISDIR(node.mode)
