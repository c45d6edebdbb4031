"""The host side of running a guest, written once for `run` (the RISC-V machine) and `vm` (the
KVM microVM): memory sizes, input files, disk images, the terminal, and signals.

Every problem with what the user gave is a UsageError: one line, exit status 2.

  parse_size     QEMU's size syntax (-m 128M; a bare number is MiB), the same for both
  read_input     a kernel, firmware or initrd: a regular file that fits where it goes
  guest_memory   the anonymous mapping that is a guest's RAM, or QEMU's one-line refusal
  Disk           a disk image: a regular file of whole 512-byte sectors, opened with a lock
                 as QEMU takes one, so two runs cannot write the same image
  Terminal       stdin in raw mode while a guest owns the console, and back however the
                 run ends
  Signals        SIGTERM, SIGHUP and SIGQUIT ask the guest's run to end (QEMU treats SIGHUP
                 and SIGTERM as a shutdown request); once it is ending, nothing kills the
                 teardown halfway (disks are synced and closed, the terminal restored)
"""

import errno
import fcntl
import mmap
import os
import signal
import stat
import struct
import termios
import tty

from downstairs.errors import UsageError

SECTOR = 512                      # a disk's unit: virtio-blk counts in 512-byte sectors
UNITS = {"": 20, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50, "E": 60}   # bare number: MiB


def decimal(text: str) -> int | None:
    """`text` as a number when it is plain ASCII digits, else None: str.isdigit() also takes
    '²' (which int() refuses), and past 4,300 digits int() refuses too. 30 digits are more
    than any count or size here can use, and the caller's range check says so."""
    if not (0 < len(text) <= 30 and text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_size(text: str, what: str = "memory size") -> int:
    """A size in QEMU's syntax: digits and an optional K/M/G/T/P/E suffix (powers of 1024,
    an optional B or iB after it); a bare number is MiB, as -m reads it. Returns bytes;
    whether the size suits the machine is the caller's to say."""
    body = str(text).strip()
    digits = 0
    while digits < len(body) and body[digits] in "0123456789":
        digits += 1
    number = decimal(body[:digits])
    rest = body[digits:].lstrip()
    unit = rest[:1].upper() if rest[:1] and rest[:1] in "kKmMgGtTpPeE" else ""
    if number is None or rest[len(unit):] not in ("", "b", "B", "ib", "iB"):
        raise UsageError(f"invalid {what} {text!r} (examples: 128M, 1G; a bare number is MiB)")
    return number << UNITS[unit]


def read_input(path: str, what: str, limit: int) -> bytes:
    """The bytes of the `what` at `path` (a kernel, firmware, an initrd), which must be a
    regular file of at most `limit` bytes, the room it goes into: a FIFO, a device such as
    /dev/zero, or a file that grows as it is read would otherwise block or fill memory."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{path}: is a directory, not a file (the {what})")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{path}: not a regular file (the {what})")
        if info.st_size > limit:
            raise UsageError(f"{path}: {info.st_size} bytes do not fit in {limit >> 20} MiB of "
                             f"RAM (give the machine more memory)")
        with open(path, "rb") as f:
            data = f.read(info.st_size + 1)     # its size, and one byte more to see if it has more
            if len(data) > info.st_size:        # a /proc file says 0 bytes, a file may grow: read
                more = bytearray(data)          # on in pieces to one byte past the limit (a buffer
                while len(more) <= limit:       # of the limit's size may be more than the host has)
                    piece = f.read(min(1 << 20, limit + 1 - len(more)))
                    if not piece:
                        break
                    more += piece
                data = bytes(more)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (the {what})") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied (the {what})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read the {what}: {error.strerror}") from None
    if len(data) > limit:
        raise UsageError(f"{path}: more than {limit >> 20} MiB, the size of RAM (give the "
                         f"machine more memory)")
    return data


def guest_memory(size: int, option: str, flags: int = mmap.MAP_SHARED) -> mmap.mmap:
    """`size` bytes of anonymous memory for a guest's RAM (zero pages the host hands out when
    first touched), mapped with `flags`; when the host cannot map that much, QEMU's "cannot
    set up guest memory" as a UsageError naming the `option` that asked for it."""
    try:
        return mmap.mmap(-1, size, flags)
    except OSError as error:
        raise UsageError(f"cannot set up {size >> 20} MiB of guest memory: {error.strerror} "
                         f"(try a smaller {option})") from None


class Disk:
    """A raw disk image for a virtio-blk device: `path`, and whether the guest may write it."""

    def __init__(self, path: str, read_only: bool = False):
        """The image at `path`; `read_only`: the guest may not write it (and the lock is shared)."""
        self.path = path
        self.read_only = read_only

    def check(self) -> None:
        """The checks QEMU makes when it opens an image, and one of ours: a regular file the
        user may read (and write, unless read-only) whose size is whole sectors (QEMU would
        accept a ragged tail; refusing it means no request can reach past the last sector)."""
        try:
            info = os.stat(self.path)
        except OSError as error:
            raise UsageError(f"{self.path}: cannot open the disk image: {error.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{self.path}: not a regular file (a raw disk image is a file)")
        if info.st_size % SECTOR:
            raise UsageError(f"{self.path}: size {info.st_size} is not a multiple of {SECTOR} "
                             f"bytes (pad or truncate the image to whole sectors)")
        if not os.access(self.path, os.R_OK):
            raise UsageError(f"{self.path}: cannot read the disk image: permission denied")
        # Root may write any file, so the permission bits also count: an image nobody may
        # write is read-only on purpose, and only a read-only drive may open it.
        if not self.read_only and (not os.access(self.path, os.W_OK)
                                   or not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
            raise UsageError(f"{self.path}: the host file is read-only: open the drive read-only "
                             f"(-drive ...,readonly=on; vm --drive FILE,ro)")

    def open(self) -> int:
        """A descriptor of the checked image, holding a lock on it as QEMU does: a writer's
        lock is exclusive, a reader's shared, so a second run cannot open an image another
        is writing (nor write one another is reading). An open file description lock
        (F_OFD_SETLK): it lasts as long as this descriptor, whatever else the process opens."""
        self.check()
        try:
            fd = os.open(self.path, (os.O_RDONLY if self.read_only else os.O_RDWR) | os.O_CLOEXEC)
        except OSError as error:
            raise UsageError(f"{self.path}: cannot open the disk image: {error.strerror}") from None
        kind = fcntl.F_RDLCK if self.read_only else fcntl.F_WRLCK
        try:
            # struct flock: l_type, l_whence, l_start, l_len (0: to the end), l_pid (0 for OFD)
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", kind, os.SEEK_SET, 0, 0, 0))
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise UsageError(f"{self.path}: the disk image is in use by another process "
                                 f"(it holds the image's lock, as QEMU would)") from None
            raise UsageError(f"{self.path}: cannot lock the disk image: {error.strerror}") from None
        return fd


class Terminal:
    """The host terminal on `fd` in raw mode while a guest owns the console. `keys_to_guest`:
    every key goes to the guest, Ctrl-C included (QEMU's -nographic; the caller reads an
    escape key); otherwise Ctrl-C still interrupts this process. Either way output keeps the
    terminal's "\\n" -> "\\r\\n", so guests that print bare newlines look right. Does nothing
    when fd is not a terminal (a pipe, a test)."""

    def __init__(self, fd: int, keys_to_guest: bool):
        """Make the terminal on fd raw now (if it is one); restore() undoes it."""
        self.fd = fd
        self.saved = None                # the settings to restore, while raw
        try:
            if fd < 0 or not os.isatty(fd):
                return
            self.saved = termios.tcgetattr(fd)
        except (OSError, termios.error):
            return
        if keys_to_guest:
            tty.setraw(fd)
        else:
            tty.setcbreak(fd)
        attrs = termios.tcgetattr(fd)
        attrs[1] |= termios.OPOST | termios.ONLCR
        attrs[3] &= ~termios.ECHO                 # the guest echoes what it wants shown
        termios.tcsetattr(fd, termios.TCSANOW, attrs)

    @property
    def raw(self) -> bool:
        """Whether the terminal is in raw mode now (so an escape key means something)."""
        return self.saved is not None

    def restore(self) -> None:
        """Put the terminal back as it was (once; safe to call on every way out)."""
        saved, self.saved = self.saved, None
        if saved is not None:
            try:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
            except (OSError, termios.error):
                pass


class Signals:
    """The signals that end a run from outside: SIGTERM, SIGHUP (the terminal went away)
    and SIGQUIT. Each calls `stop(status)` with 128 + its number, what a shell reports for
    a process that signal ended; the run then ends at its next look around, the normal way
    (disks synced, terminal restored). SIGINT is left to Python (KeyboardInterrupt).
    `ending()` is for the teardown: from then on these and SIGINT are ignored, so a second
    signal cannot kill the process with a half-synced disk and a raw terminal."""

    ENDING = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

    def __init__(self, stop, announce=None):
        """`stop(status)` ends the run; `announce(signum)`, if given, says so on stderr."""
        self.stop = stop
        self.announce = announce
        for signum in self.ENDING:
            signal.signal(signum, self.handle)

    def handle(self, signum, frame) -> None:
        """The handler: announce, then ask the run to end with status 128 + signum."""
        if self.announce is not None:
            self.announce(signum)
        self.stop(128 + signum)

    def ending(self) -> None:
        """The run is over: ignore what would interrupt the teardown."""
        for signum in self.ENDING + (signal.SIGINT,):
            signal.signal(signum, signal.SIG_IGN)
