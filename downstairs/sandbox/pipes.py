"""Pipes and FIFOs: a buffer in memory with a read end and a write end (pipe(7)).

A pipe holds up to 64 KiB. A read takes what is there; on an empty pipe it waits while a
write end is still open, and returns end-of-file (0 bytes) once none is. A write of at most
PIPE_BUF (4096) bytes goes in whole or not at all; a larger one goes in as room appears. A
write with no read end left fails with EPIPE (and the caller gets SIGPIPE: calls_io.py).
A FIFO (mkfifo) is a node of the view with a pipe behind it; opening one end waits for
the other (fifo(7)).
"""

import errno
import stat as S

from downstairs.sandbox import fs
from downstairs.sandbox.files import (
    O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY, OpenFile, POLLERR, POLLHUP, POLLIN, POLLOUT,
)
from downstairs.sandbox.waits import Block, SysError, WaitQueue

PIPE_BUF = 4096
CAPACITY = 65536
MAX_CAPACITY = 1 << 20              # /proc/sys/fs/pipe-max-size


class Pipe:
    def __init__(self, kernel):
        self.buffer = bytearray()
        self.capacity = CAPACITY
        self.readers = 0
        self.writers = 0
        self.changed = WaitQueue(kernel)      # anything a reader, writer or opener waits for
        self.opened_readers = 0               # ends ever opened (a FIFO's open waits for one)
        self.opened_writers = 0
        self.waiting: dict = {}               # FIFO openers waiting -> the count they began at
        self.waiting_readers: set = set()     # ... of which are readers

    def waiting_for_writer(self, process) -> bool:
        return process in self.waiting_readers

    def read(self, count: int, nonblocking: bool) -> bytes:
        if self.buffer:
            data = bytes(self.buffer[:count])
            del self.buffer[:count]
            self.changed.wake()
            return data
        if self.writers == 0 or count == 0:
            return b""
        if nonblocking:
            raise SysError(errno.EAGAIN)
        raise Block(self.changed)

    def write(self, data: bytes, nonblocking: bool) -> int:
        """Put in what fits now and return how much; Block when nothing may go in yet."""
        if self.readers == 0:
            raise SysError(errno.EPIPE)
        room = self.capacity - len(self.buffer)
        if not data:
            return 0
        if room < len(data) and (len(data) <= PIPE_BUF or room == 0):
            if nonblocking:
                raise SysError(errno.EAGAIN)
            raise Block(self.changed)
        taken = data[:room]
        self.buffer += taken
        self.changed.wake()
        return len(taken)

    def events(self, reading: bool) -> int:
        if reading:
            mask = POLLIN if self.buffer else 0
            return mask | (POLLHUP if self.writers == 0 and self.opened_writers else 0)
        mask = POLLOUT if self.capacity - len(self.buffer) >= PIPE_BUF else 0
        return mask | (POLLERR if self.readers == 0 else 0)


class PipeNode(fs.Node):
    """The inode of an anonymous pipe (what fstat and /proc/PID/fd show: pipe:[ino]).
    Opening it again (through /proc/self/fd/N) gives another end of the same pipe."""

    def __init__(self, view, pipe: Pipe):
        super().__init__(view, S.S_IFIFO | 0o600)
        self.pipe = pipe

    def size(self) -> int:
        return len(self.pipe.buffer)


class Fifo(fs.Node):
    """A named pipe in the view (mknod S_IFIFO, mkfifo): its pipe lives while it is open."""

    def __init__(self, view, mode: int):
        super().__init__(view, S.S_IFIFO | (mode & 0o7777))
        self.pipe: Pipe | None = None


class PipeEnd(OpenFile):
    """One end of a pipe: O_RDONLY reads, O_WRONLY writes (O_RDWR, on a FIFO, both)."""

    def __init__(self, node: fs.Node, pipe: Pipe, flags: int, path: bytes):
        super().__init__(node, flags, path)
        self.pipe = pipe
        if self.readable():
            pipe.readers += 1
            pipe.opened_readers += 1
        if self.writable():
            pipe.writers += 1
            pipe.opened_writers += 1
        pipe.changed.wake()

    def read(self, count: int) -> bytes:
        if not self.readable():
            raise SysError(errno.EBADF)
        return self.pipe.read(count, self.nonblocking())

    def write(self, data: bytes) -> int:
        if not self.writable():
            raise SysError(errno.EBADF)
        return self.pipe.write(data, self.nonblocking())

    def poll(self) -> int:
        mask = 0
        if self.readable():
            mask |= self.pipe.events(True)
        if self.writable():
            mask |= self.pipe.events(False)
        return mask

    def queues(self) -> list:
        return [self.pipe.changed]

    def release(self) -> None:
        if self.readable():
            self.pipe.readers -= 1
        if self.writable():
            self.pipe.writers -= 1
        self.pipe.changed.wake()
        if isinstance(self.node, Fifo) and self.pipe.readers == 0 and self.pipe.writers == 0:
            self.node.pipe = None                   # a FIFO's data goes when nobody has it open

    def link_text(self) -> bytes:
        if isinstance(self.node, Fifo):
            return self.path
        return b"pipe:[%d]" % self.node.ino


def make_pipe(kernel, view, flags: int) -> tuple[PipeEnd, PipeEnd]:
    """pipe2: the read end and the write end of a new pipe."""
    pipe = Pipe(kernel)
    node = PipeNode(view, pipe)
    status = flags & O_NONBLOCK
    return (PipeEnd(node, pipe, O_RDONLY | status, b""), PipeEnd(node, pipe, O_WRONLY | status, b""))


def open_fifo(kernel, process, node: fs.Node, flags: int, path: bytes) -> PipeEnd:
    """Open a FIFO, or reopen a pipe through /proc/PID/fd/N. A read-only open waits until a
    writer has opened and a write-only open until a reader is there or waiting (with
    O_NONBLOCK: a reader opens at once, a writer fails with ENXIO); O_RDWR never waits.
    A waiting opener remembers how many of the other side had opened when it began, so a
    writer that came and went meanwhile still counts."""
    if isinstance(node, PipeNode):
        return PipeEnd(node, node.pipe, flags, path)
    if node.pipe is None:
        node.pipe = Pipe(kernel)
    pipe = node.pipe
    mode = flags & O_ACCMODE
    if mode == O_RDONLY and not flags & O_NONBLOCK and pipe.writers == 0:
        began = pipe.waiting.setdefault(process, pipe.opened_writers)
        if pipe.opened_writers == began:
            pipe.waiting_readers.add(process)
            pipe.changed.wake()                       # a writer waiting for a reader may go
            raise Block(pipe.changed)
    elif mode == O_WRONLY and pipe.readers == 0:
        if flags & O_NONBLOCK:
            raise SysError(errno.ENXIO)
        began = pipe.waiting.setdefault(process, pipe.opened_readers)
        if pipe.opened_readers == began and not any(
                p is not process and pipe.waiting_for_writer(p) for p in pipe.waiting):
            raise Block(pipe.changed)
    pipe.waiting.pop(process, None)
    pipe.waiting_readers.discard(process)
    return PipeEnd(node, pipe, flags, path)
