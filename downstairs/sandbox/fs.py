"""The file-system view: a host directory, read-only, under a writable layer in memory.

What a sandboxed program sees as `/` is a tree of nodes (inodes) built lazily from a host
directory, the root. A host directory's entries are listed once, the first time the program
looks into it; from then on the in-memory directory is the truth, so creating, unlinking and
renaming only ever change memory. A host file's bytes are read from the host until the
program first writes to it; then they are copied into memory (overlayfs calls this copy-up)
and the host file is never opened again. Nothing here ever writes to the host.

Reaching the host goes only through `HostTree`, and only downwards from the root: each
component is opened relative to its parent's descriptor with O_NOFOLLOW, so neither a `..`
nor a host symlink can lead a host open outside the root. Symlinks and `..` in the program's
paths are resolved by `View.resolve` over the nodes, where the root's parent is itself and
an absolute symlink starts again at the view's root (path_resolution(7), as under chroot).
Device nodes, FIFOs and sockets found in the host directory appear in listings and stat,
but opening one gives ENXIO: only the view's own /dev (special.py) has devices.
"""

import errno
import os
import stat as S
import time

from downstairs.sandbox.abi import Stat
from downstairs.sandbox.waits import SysError

MAX_SYMLINKS = 40                    # follows per lookup before ELOOP (fs/namei.c)
MEMORY_DEV = (0 << 8) | 0x2A         # st_dev of nodes born in memory: an anonymous device
BLOCK = 4096                         # st_blksize of memory nodes
PATH_MAX = 4096
NAME_MAX = 255
# The most bytes a file may hold once written: its bytes live in this process's memory (and
# a hole costs as much as data), so a write or truncate beyond it is EFBIG, as beyond a file
# system's largest file (s_maxbytes).
FILE_MAX = 1 << 30


def now_ns() -> int:
    return time.time_ns()


class Node:
    """An inode: its metadata, and for a node that came from the host, where it is there
    (components relative to the root). Subclasses add what each kind of file holds."""

    def __init__(self, view: "View", mode: int, host: tuple[bytes, ...] | None = None,
                 st: os.stat_result | None = None):
        self.view = view
        self.host = host
        if st is not None:
            self.dev, self.ino, self.mode = st.st_dev, st.st_ino, st.st_mode
            self.nlink, self.uid, self.gid, self.rdev = st.st_nlink, st.st_uid, st.st_gid, st.st_rdev
            self.atime, self.mtime, self.ctime = st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns
            self.host_size = st.st_size
            self.host_blocks = st.st_blocks
            self.blksize = st.st_blksize
        else:
            t = now_ns()
            self.dev, self.ino, self.mode = MEMORY_DEV, view.new_ino(), mode
            self.nlink, self.uid, self.gid, self.rdev = 1, view.uid, view.gid, 0
            self.atime = self.mtime = self.ctime = t
            self.host_size = 0
            self.host_blocks = 0
            self.blksize = BLOCK

    def size(self) -> int:
        return self.host_size

    def blocks(self) -> int:
        """st_blocks: the host's count for what is still the host's, else the size in 512s."""
        if self.host is not None and getattr(self, "data", None) is None:
            return self.host_blocks
        return (self.size() + 511) // 512

    def stat(self) -> Stat:
        return Stat(self.dev, self.ino, self.mode, self.nlink, self.uid, self.gid, self.rdev,
                    self.size(), self.blksize, self.blocks(), self.atime, self.mtime, self.ctime)

    def touch(self, content: bool = True) -> None:
        """A change: ctime always, mtime when the content changed."""
        t = now_ns()
        self.ctime = t
        if content:
            self.mtime = t

    def dtype(self) -> int:
        """d_type for getdents64: the file-type bits shifted down (DT_REG = 8, DT_DIR = 4...)."""
        return S.S_IFMT(self.mode) >> 12


class File(Node):
    """A regular file. `data` is None while the bytes are still the host file's."""

    def __init__(self, view, mode=S.S_IFREG | 0o644, host=None, st=None):
        super().__init__(view, mode, host, st)
        self.data: bytearray | None = None if host is not None else bytearray()
        self.host_fd = -1                 # opened on the first read of a host file

    def size(self) -> int:
        return self.host_size if self.data is None else len(self.data)

    def read(self, offset: int, count: int) -> bytes:
        if self.data is not None:
            return bytes(self.data[offset:offset + count])
        if self.host_fd < 0:
            self.host_fd = self.view.host.open(self.host, os.O_RDONLY)
        return os.pread(self.host_fd, count, offset)

    def copy_up(self) -> bytearray:
        """The bytes in memory, read from the host the first time (so they can change)."""
        if self.data is None:
            self.data = bytearray(self.read(0, self.host_size))
            while len(self.data) < self.host_size:          # a short read: keep going
                more = self.read(len(self.data), self.host_size - len(self.data))
                if not more:
                    break
                self.data += more
        return self.data

    def write(self, offset: int, data: bytes) -> int:
        if offset + len(data) > FILE_MAX:
            raise SysError(errno.EFBIG)
        buf = self.copy_up()
        if offset > len(buf):
            buf.extend(bytes(offset - len(buf)))
        buf[offset:offset + len(data)] = data
        self.touch()
        return len(data)

    def truncate(self, length: int) -> None:
        if length > FILE_MAX:
            raise SysError(errno.EFBIG)
        buf = self.copy_up()
        if length < len(buf):
            del buf[length:]
        else:
            buf.extend(bytes(length - len(buf)))
        self.touch()


class Symlink(Node):
    def __init__(self, view, target: bytes, host=None, st=None):
        super().__init__(view, S.S_IFLNK | 0o777, host, st)
        self.target = target

    def size(self) -> int:
        return len(self.target)

    def readlink(self, process) -> bytes:
        return self.target

    def jump(self, process) -> Node | None:
        """A "magic link" (/proc/PID/fd/N, exe, cwd, root) leads straight to a node, not
        through its text; an ordinary symlink returns None and is followed by its text."""
        return None


class Dir(Node):
    """A directory. A host directory's entries are listed on first use (`entries`); after
    that this dict is the directory. Each directory knows its one parent and its name there,
    for `..` and getcwd."""

    def __init__(self, view, mode=S.S_IFDIR | 0o755, host=None, st=None, parent: "Dir | None" = None,
                 name: bytes = b""):
        super().__init__(view, mode, host, st)
        if host is None:
            self.nlink = 2
        self.parent = parent if parent is not None else self
        self.name = name
        self._entries: dict[bytes, Node] | None = None if host is not None else {}
        self.removed = False

    def entries(self, process=None) -> dict[bytes, Node]:
        if self._entries is None:
            self._entries = self.view.host.list(self)
        return self._entries

    def lookup(self, name: bytes, process) -> Node | None:
        return self.entries(process).get(name)

    def size(self) -> int:
        return self.host_size if self.host is not None else BLOCK

    def add(self, name: bytes, node: Node) -> None:
        self.entries()[name] = node
        if isinstance(node, Dir):
            node.parent, node.name = self, name
            self.nlink += 1
        self.touch()

    def remove(self, name: bytes) -> Node:
        node = self.entries().pop(name)
        if isinstance(node, Dir):
            self.nlink -= 1
        self.touch()
        return node

    def mutable(self) -> bool:
        """Synthetic directories (/proc, /dev) refuse creation and removal."""
        return True


class Unopenable(Node):
    """A device node, FIFO or socket found in the host directory: it can be listed and
    stat'ed, never opened (ENXIO), so no host device is ever reached."""


class HostTree:
    """The host directory under the view, opened once. Every access descends from its
    descriptor one component at a time with O_NOFOLLOW (and O_PATH for directories), so a
    host open can neither climb out with `..` nor follow a host symlink."""

    def __init__(self, view: "View", path: str):
        self.view = view
        self.path = path
        self.root_fd = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.dir_fds: dict[tuple[bytes, ...], int] = {(): self.root_fd}

    def dir_fd(self, components: tuple[bytes, ...]) -> int:
        fd = self.dir_fds.get(components)
        if fd is None:
            parent = self.dir_fd(components[:-1])
            fd = os.open(components[-1], os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                         dir_fd=parent)
            self.dir_fds[components] = fd
        return fd

    def open(self, components: tuple[bytes, ...], flags: int) -> int:
        """A host descriptor for a regular file (read-only) under the root."""
        try:
            parent = self.dir_fd(components[:-1])
            return os.open(components[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK,
                           dir_fd=parent)
        except OSError as err:
            raise SysError(err.errno or errno.EIO) from None

    def list(self, directory: Dir) -> dict[bytes, Node]:
        """A host directory's entries as nodes, in the host's own order (that of getdents)."""
        components = directory.host
        try:
            fd = self.dir_fd(components)
            listing_fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        except OSError:
            return {}
        entries: dict[bytes, Node] = {}
        with os.scandir(listing_fd) as it:
            names = [os.fsencode(e.name) for e in it]
        os.close(listing_fd)
        for name in names:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue                                   # gone since the listing
            node = self.node(components + (name,), st, directory, name, fd)
            entries[name] = node
        return entries

    def node(self, components, st, parent: Dir, name: bytes, parent_fd: int) -> Node:
        mode = st.st_mode
        if S.S_ISDIR(mode):
            return Dir(self.view, host=components, st=st, parent=parent, name=name)
        if S.S_ISREG(mode):
            return File(self.view, host=components, st=st)
        if S.S_ISLNK(mode):
            return Symlink(self.view, os.readlink(name, dir_fd=parent_fd), host=components, st=st)
        return Unopenable(self.view, mode, host=components, st=st)

    def close(self) -> None:
        for fd in self.dir_fds.values():
            os.close(fd)
        self.dir_fds = {}


class Lookup:
    """Where a path led: the directory holding the last component, that component's name,
    and the node it names (None when nothing has that name yet)."""

    def __init__(self, parent: Dir, name: bytes, node: Node | None, slash: bool = False):
        self.parent = parent
        self.name = name
        self.node = node
        self.slash = slash                 # the path ended in "/": only a directory will do

    def existing(self) -> Node:
        if self.node is None:
            raise SysError(errno.ENOENT)
        return self.node


class View:
    """The whole tree a sandbox sees. `uid`/`gid` own what the program creates."""

    def __init__(self, root: str, uid: int = 0, gid: int = 0):
        self.uid = uid
        self.gid = gid
        self.next_ino = 1 << 40
        self.host = HostTree(self, root)
        st = os.stat(self.host.root_fd)
        self.root = Dir(self, host=(), st=st)

    def new_ino(self) -> int:
        self.next_ino += 1
        return self.next_ino

    def mount(self, name: bytes, directory: Dir) -> None:
        """Put a synthetic directory at /name, over whatever the host root has there."""
        entries = self.root.entries()
        if name not in entries:
            self.root.nlink += 1
        entries[name] = directory
        directory.parent, directory.name = self.root, name

    def close(self) -> None:
        self.host.close()
        stack = [self.root]
        while stack:
            directory = stack.pop()
            if directory._entries is None:
                continue
            for node in directory._entries.values():
                if isinstance(node, Dir) and node.parent is directory:
                    stack.append(node)
                elif isinstance(node, File) and node.host_fd >= 0:
                    os.close(node.host_fd)
                    node.host_fd = -1

    # ---- path resolution (path_resolution(7)) -----------------------------------------

    def resolve(self, process, start: Dir, path: bytes, follow: bool = True) -> Lookup:
        """Walk `path` from `start` (or from the root when absolute). Symlinks in the middle
        are always followed, the last one only with `follow`; a trailing slash means the
        last component must be a directory (and is followed)."""
        if not path:
            raise SysError(errno.ENOENT)
        if len(path) >= PATH_MAX:
            raise SysError(errno.ENAMETOOLONG)
        slash = path.endswith(b"/")
        if slash:
            follow = True
        current = self.root if path.startswith(b"/") else start
        pending = [c for c in reversed(path.split(b"/")) if c]
        if not pending:
            return Lookup(self.root, b".", self.root)
        links = 0
        while True:
            name = pending.pop()
            if not isinstance(current, Dir):
                raise SysError(errno.ENOTDIR)
            if len(name) > NAME_MAX:
                raise SysError(errno.ENAMETOOLONG)
            process.require(current, 1)                      # search permission
            if name == b".":
                node = current
            elif name == b"..":
                node = current.parent
            else:
                node = current.lookup(name, process)
            last = not pending
            if isinstance(node, Symlink) and (follow or not last):
                links += 1
                if links > MAX_SYMLINKS:
                    raise SysError(errno.ELOOP)
                target = node.jump(process)
                if target is None:
                    text = node.readlink(process)
                    if not text:
                        raise SysError(errno.ENOENT)
                    if text.startswith(b"/"):
                        current = self.root
                    more = [c for c in reversed(text.split(b"/")) if c]
                    if not more:                              # a link to "/"
                        more = [b"."]
                    pending.extend(more)
                    continue
                if last:
                    return self.found(current, name, target, slash)
                current = target
                continue
            if last:
                return self.found(current, name, node, slash)
            if node is None:
                raise SysError(errno.ENOENT)
            current = node

    def found(self, parent: Dir, name: bytes, node: Node | None, slash: bool) -> Lookup:
        if slash and node is not None and not isinstance(node, Dir):
            raise SysError(errno.ENOTDIR)
        return Lookup(parent, name, node, slash)

    def path_of(self, directory: Dir) -> bytes:
        """The absolute path of a directory (getcwd), ENOENT once it was removed."""
        if directory.removed:
            raise SysError(errno.ENOENT)
        parts = []
        while directory is not self.root:
            parts.append(directory.name)
            directory = directory.parent
        return b"/" + b"/".join(reversed(parts))
