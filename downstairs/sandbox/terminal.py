"""The sandbox's standard streams and terminal: the host descriptors the user gave it.

A sandboxed program's descriptors 0, 1 and 2 start out pointing to the sandbox's own stdin,
stdout and stderr, whatever they are (a terminal, a pipe, a file), as QEMU's stdio would be.
Reads wait for the host descriptor to be readable (never blocking the layer: the platform
polls it), writes go straight through. When one is a terminal, the terminal ioctls are
forwarded to it (termios and the window size), so a shell's line editing works and an
`stty` really changes the terminal; the state found at start is put back when the sandbox
ends, however it ends (Console.restore, and the guardian in command.py for SIGKILL).

Job control stays inside the sandbox: the program's processes run in their own host
session with no controlling terminal, so the terminal's signals (Ctrl-C's SIGINT, SIGQUIT,
SIGWINCH) reach the sandbox, which sends them to the sandbox's foreground process group,
the one TIOCSPGRP chose (tty_io.c's job, done by kernel.terminal_signal).
"""

import errno
import fcntl
import os
import stat as S
import struct
import termios

from downstairs.sandbox import fs
from downstairs.sandbox.abi import Stat, WINSIZE
from downstairs.sandbox.files import (
    O_RDONLY, O_RDWR, O_WRONLY, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM,
    OpenFile, host_events, host_readable,
)
from downstairs.sandbox.waits import Block, SysError

# ioctl requests (asm-generic/ioctls.h, the same on x86-64 and riscv64)
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TCSBRK, TCXONC, TCFLSH = 0x5409, 0x540A, 0x540B
TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCGWINSZ, TIOCSWINSZ = 0x540E, 0x540F, 0x5410, 0x5411, 0x5413, 0x5414
FIONREAD, FIONBIO, TIOCNOTTY, TIOCGSID = 0x541B, 0x5421, 0x5422, 0x5429
TERMIOS_SIZE = 36                   # struct termios: 4 flags, c_line, c_cc[19]
# Requests forwarded to the host terminal as they are: (request, bytes in, bytes out)
FORWARDED = {TCGETS: (0, TERMIOS_SIZE), TCSETS: (TERMIOS_SIZE, 0), TCSETSW: (TERMIOS_SIZE, 0),
             TCSETSF: (TERMIOS_SIZE, 0), TIOCGWINSZ: (0, WINSIZE.size), TIOCSWINSZ: (WINSIZE.size, 0)}


class Console:
    """The host streams the sandbox was started with, and the terminal among them."""

    def __init__(self, stdin: int = 0, stdout: int = 1, stderr: int = 2):
        self.fds = (stdin, stdout, stderr)
        self.tty_fd = next((fd for fd in self.fds if os.isatty(fd)), -1)
        self.saved = termios.tcgetattr(self.tty_fd) if self.tty_fd >= 0 else None
        self.foreground = 0                  # the sandbox's foreground process group
        self.session = 0                     # the session the terminal belongs to

    def restore(self) -> None:
        """Put the terminal back as it was when the sandbox started."""
        if self.saved is not None:
            try:
                termios.tcsetattr(self.tty_fd, termios.TCSANOW, self.saved)
            except termios.error:
                pass


class StreamNode(fs.Node):
    """The inode behind a host stream: fstat shows what the host descriptor is."""

    def __init__(self, view, console: Console, host_fd: int):
        st = os.fstat(host_fd)
        super().__init__(view, st.st_mode)
        self.console = console
        self.host_fd = host_fd
        self.dev, self.ino, self.rdev = st.st_dev, st.st_ino, st.st_rdev
        self.uid, self.gid = st.st_uid, st.st_gid

    def stat(self) -> Stat:
        st = os.fstat(self.host_fd)
        return Stat(st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev,
                    st.st_size, st.st_blksize, st.st_blocks, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)

    def is_tty(self) -> bool:
        return S.S_ISCHR(self.mode) and os.isatty(self.host_fd)


class HostStream(OpenFile):
    """A descriptor on one of the sandbox's host streams."""

    def __init__(self, kernel, node: StreamNode, flags: int, path: bytes):
        super().__init__(node, flags, path)
        self.kernel = kernel
        self.host_fd = node.host_fd

    def read(self, count: int) -> bytes:
        if not self.readable():
            raise SysError(errno.EBADF)
        if not host_readable(self.host_fd):
            if self.nonblocking():
                raise SysError(errno.EAGAIN)
            raise Block(self.kernel.host_queue(self.host_fd))
        try:
            return os.read(self.host_fd, min(count, 1 << 20))
        except BlockingIOError:
            raise Block(self.kernel.host_queue(self.host_fd)) from None
        except OSError as err:
            raise SysError(err.errno) from None

    def write(self, data: bytes) -> int:
        if not self.writable():
            raise SysError(errno.EBADF)
        try:
            return os.write(self.host_fd, data)
        except BlockingIOError:
            raise Block(self.kernel.host_queue(self.host_fd, writing=True)) from None
        except OSError as err:
            raise SysError(err.errno) from None

    def pread(self, count: int, offset: int) -> bytes:
        if S.S_ISREG(self.node.mode):
            return os.pread(self.host_fd, count, offset)
        raise SysError(errno.ESPIPE)

    def seek(self, offset: int, whence: int) -> int:
        if not S.S_ISREG(self.node.mode):
            raise SysError(errno.ESPIPE)
        try:
            return os.lseek(self.host_fd, offset, whence)
        except OSError as err:
            raise SysError(err.errno) from None

    def poll(self) -> int:
        return self.poll_wait()[0]

    def queues(self) -> list:
        return self.poll_wait()[1]

    def poll_wait(self) -> tuple[int, list]:
        """One look at the host descriptor: the host's events (POLLHUP of a pipe at its end
        too), less what this end was not opened for; and the host queues of the directions
        that are not ready yet. Where the descriptor is ready, the poll did not want what is
        there, and waiting on it would wake the poll at once, over and over: no queue for
        that direction, so the poll waits for its timeout or a signal, as it would on Linux."""
        events = host_events(self.host_fd)
        queues = []
        if self.readable() and not events & (POLLIN | POLLHUP | POLLERR):
            queues.append(self.kernel.host_queue(self.host_fd))
        if self.writable() and not events & (POLLOUT | POLLHUP | POLLERR):
            queues.append(self.kernel.host_queue(self.host_fd, writing=True))
        if not self.readable():
            events &= ~(POLLIN | POLLPRI | POLLRDNORM)
        if not self.writable():
            events &= ~(POLLOUT | POLLWRNORM)
        return events, queues

    def ioctl(self, process, request: int, arg: int) -> int:
        if not self.node.is_tty():
            if request == FIONREAD and S.S_ISFIFO(self.node.mode):
                return self.fionread(process, arg)
            raise SysError(errno.ENOTTY)
        console = self.kernel.console
        if request in FORWARDED:
            size_in, size_out = FORWARDED[request]
            data = process.memory.read(arg, size_in) if size_in else bytes(size_out)
            try:
                result = fcntl.ioctl(self.host_fd, request, data)
            except OSError as err:
                raise SysError(err.errno) from None
            if size_out:
                process.memory.write(arg, result)
            if request == TIOCSWINSZ:
                self.kernel.terminal_signal(28)           # SIGWINCH to the foreground group
            return 0
        if request == TIOCGPGRP:
            process.memory.write(arg, struct.pack("<i", console.foreground))
            return 0
        if request == TIOCSPGRP:
            pgid = struct.unpack("<i", process.memory.read(arg, 4))[0]
            if pgid < 0:
                raise SysError(errno.EINVAL)
            if not self.kernel.group_in_session(pgid, process.sid):
                raise SysError(errno.EPERM)
            console.foreground = pgid
            return 0
        if request == TIOCGSID:
            process.memory.write(arg, struct.pack("<i", console.session))
            return 0
        if request in (TIOCSCTTY, TIOCNOTTY, TCSBRK, TCXONC, TCFLSH):
            return 0
        if request == FIONREAD:
            return self.fionread(process, arg)
        if request == TIOCOUTQ:
            process.memory.write(arg, struct.pack("<i", 0))
            return 0
        raise SysError(errno.ENOTTY)

    def fionread(self, process, arg: int) -> int:
        try:
            count = struct.unpack("<i", fcntl.ioctl(self.host_fd, FIONREAD, bytes(4)))[0]
        except OSError as err:
            raise SysError(err.errno) from None
        process.memory.write(arg, struct.pack("<i", count))
        return 0


def standard_streams(kernel, view) -> list[HostStream]:
    """The open files for descriptors 0, 1 and 2."""
    console = kernel.console
    streams = []
    for index, fd in enumerate(console.fds):
        node = StreamNode(view, console, fd)
        flags = O_RDONLY if index == 0 else O_WRONLY
        if node.is_tty():
            flags = O_RDWR
        streams.append(HostStream(kernel, node, flags, link_text(fd)))
    return streams


def link_text(host_fd: int) -> bytes:
    """What /proc/self/fd/N says about a host stream: the host's own answer (/dev/pts/0,
    pipe:[1234]), as a native run would see it."""
    try:
        return os.fsencode(os.readlink(f"/proc/self/fd/{host_fd}"))
    except OSError:
        return b"anon_inode:[stream]"
