"""System calls on paths: open, the stat family, and changing the tree (man 2 of each).

Every path is resolved by the view (fs.View.resolve) from the process's working directory,
a directory descriptor (the *at calls: AT_FDCWD is -100) or the view's root; nothing here
touches a host path. Creating, removing, renaming and linking change the in-memory tree;
the host directory under it never changes.

Handlers take (kernel, process, the call's six argument registers as unsigned integers)
and return the result or raise SysError; HANDLERS maps each call's name to its handler.
"""

import errno
import stat as S
import struct
import time

from downstairs.sandbox import fs, pipes, special, terminal
from downstairs.sandbox.abi import pack_statx, s32, s64
from downstairs.sandbox.files import (
    DeviceFile, DirFile, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY,
    O_LARGEFILE, O_TMPFILE, O_TRUNC, O_WRONLY, O_CLOEXEC, O_RDWR, PathFile, RegularFile,
)
from downstairs.sandbox.process import R_OK, W_OK, X_OK
from downstairs.sandbox.waits import SysError

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EACCESS = 0x100, 0x200, 0x400, 0x200
AT_EMPTY_PATH = 0x1000
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
TMPFS_MAGIC = 0x01021994
PROC_SUPER_MAGIC = 0x9FA0
STATFS = struct.Struct("<qqQQQQQiiqqq4q")     # struct statfs on 64-bit ABIs: 120 bytes


def read_path(process, addr: int) -> bytes:
    if addr == 0:
        raise SysError(errno.EFAULT)
    return process.memory.cstring(addr, fs.PATH_MAX)


def start_dir(process, dirfd: int) -> fs.Dir:
    """Where a relative path of an *at call starts: the working directory or `dirfd`'s."""
    dirfd = s32(dirfd)
    if dirfd == AT_FDCWD:
        return process.cwd
    node = process.fds.get(dirfd).node
    if not isinstance(node, fs.Dir):
        raise SysError(errno.ENOTDIR)
    return node


def lookup(kernel, process, dirfd: int, addr: int, follow: bool = True) -> fs.Lookup:
    path = read_path(process, addr)
    return kernel.view.resolve(process, start_dir(process, dirfd), path, follow)


def node_at(kernel, process, dirfd: int, addr: int, flags: int, follow: bool = True) -> fs.Node:
    """The node an *at call with AT_EMPTY_PATH/AT_SYMLINK_NOFOLLOW flags names."""
    if flags & AT_EMPTY_PATH and addr and process.memory.cstring(addr, 1) == b"":
        fd = s32(dirfd)
        return process.cwd if fd == AT_FDCWD else process.fds.get(fd).node
    return lookup(kernel, process, dirfd, addr, follow and not flags & AT_SYMLINK_NOFOLLOW).existing()


def full_path(kernel, parent: fs.Dir, name: bytes) -> bytes:
    base = kernel.view.path_of(parent) if not parent.removed else b"/"
    if name in (b".", b""):
        return base
    return (base.rstrip(b"/") + b"/" + name) if name != b".." else base


def creatable(process, look: fs.Lookup) -> fs.Dir:
    """The directory a new entry goes into, after the checks every creation makes."""
    parent = look.parent
    if look.node is not None or look.name in (b".", b".."):
        raise SysError(errno.EEXIST)
    if parent.removed:
        raise SysError(errno.ENOENT)
    if not parent.mutable():
        raise SysError(errno.EACCES)
    process.require(parent, W_OK | X_OK)
    return parent


def born(process, node: fs.Node) -> fs.Node:
    node.uid, node.gid = process.euid, process.egid
    return node


# ---- open ---------------------------------------------------------------------------------

def open_node(kernel, process, node: fs.Node, flags: int, path: bytes):
    """An open file description for `node`, of the kind its type calls for."""
    if flags & O_PATH:
        return PathFile(node, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), path)
    mode = flags & O_ACCMODE
    if isinstance(node, fs.Symlink):
        raise SysError(errno.ELOOP)
    if isinstance(node, fs.Dir):
        if mode != O_RDONLY or flags & O_CREAT:
            raise SysError(errno.EISDIR)
        process.require(node, R_OK)
        return DirFile(node, flags, path, process)
    if flags & O_DIRECTORY:
        raise SysError(errno.ENOTDIR)
    want = (R_OK if mode in (O_RDONLY, O_RDWR) else 0) | (W_OK if mode in (O_WRONLY, O_RDWR) else 0)
    if flags & O_TRUNC:
        want |= W_OK
    process.require(node, want)
    if isinstance(node, special.ProcText):
        if mode != O_RDONLY:
            raise SysError(errno.EACCES)
        return RegularFile(node.snapshot(), flags, path)
    if isinstance(node, fs.File):
        return RegularFile(node, flags, path)
    if isinstance(node, special.Device):
        if node.kind == "tty":
            return open_tty(kernel, flags, path)
        return DeviceFile(node, flags, path)
    if isinstance(node, (pipes.PipeNode, pipes.Fifo)):
        return pipes.open_fifo(kernel, process, node, flags, path)
    if isinstance(node, terminal.StreamNode):
        return terminal.HostStream(kernel, node, flags, path)
    raise SysError(errno.ENXIO)


def open_tty(kernel, flags: int, path: bytes):
    """/dev/tty: the sandbox's terminal, if it was started on one."""
    console = kernel.console
    if console.tty_fd < 0:
        raise SysError(errno.ENXIO)
    node = terminal.StreamNode(kernel.view, console, console.tty_fd)
    return terminal.HostStream(kernel, node, flags, b"/dev/tty")


def do_open(kernel, process, dirfd: int, addr: int, flags: int, mode: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & O_TMPFILE == O_TMPFILE:
        raise SysError(errno.EOPNOTSUPP)
    path = read_path(process, addr)
    follow = not flags & O_NOFOLLOW and not (flags & O_CREAT and flags & O_EXCL)
    look = kernel.view.resolve(process, start_dir(process, dirfd), path, follow)
    node = look.node
    created = False
    if flags & O_CREAT and not flags & O_PATH:
        if node is None:
            if look.slash:
                raise SysError(errno.EISDIR)
            parent = creatable(process, look)
            node = born(process, fs.File(kernel.view, S.S_IFREG | (mode & ~process.umask & 0o7777)))
            parent.add(look.name, node)
            created = True
        elif flags & O_EXCL:
            raise SysError(errno.EEXIST)
    if node is None:
        raise SysError(errno.ENOENT)
    if flags & O_NOFOLLOW and isinstance(node, fs.Symlink) and not flags & O_PATH:
        raise SysError(errno.ELOOP)
    path = full_path(kernel, look.parent, look.name)
    if created:                         # its creator may write it whatever its mode says
        file = RegularFile(node, flags, path)
    else:
        file = open_node(kernel, process, node, flags, path)
        if flags & O_TRUNC and isinstance(file, RegularFile) and file.writable():
            node.truncate(0)
    file.flags |= O_LARGEFILE                  # force_o_largefile(): every 64-bit open
    return process.fds.install(file, cloexec=bool(flags & O_CLOEXEC), lowest=0)


def sys_openat(kernel, process, dirfd, addr, flags, mode, *_):
    return do_open(kernel, process, dirfd, addr, flags, mode)


def sys_open(kernel, process, addr, flags, mode, *_):
    return do_open(kernel, process, AT_FDCWD, addr, flags, mode)


def sys_creat(kernel, process, addr, mode, *_):
    return do_open(kernel, process, AT_FDCWD, addr, O_CREAT | O_WRONLY | O_TRUNC, mode)


def sys_openat2(kernel, process, dirfd, addr, how, size, *_):
    if size < 24:
        raise SysError(errno.EINVAL)
    flags, mode, resolve = struct.unpack("<QQQ", process.memory.read(how, 24))
    if resolve:
        raise SysError(errno.EINVAL)
    return do_open(kernel, process, dirfd, addr, flags, mode)


# ---- stat -----------------------------------------------------------------------------------

def write_stat(kernel, process, node: fs.Node, buf: int) -> int:
    process.memory.write(buf, kernel.arch.pack_stat(node.stat()))
    return 0


def sys_newfstatat(kernel, process, dirfd, addr, buf, flags, *_):
    return write_stat(kernel, process, node_at(kernel, process, dirfd, addr, flags), buf)


def sys_fstat(kernel, process, fd, buf, *_):
    return write_stat(kernel, process, process.fds.get(s32(fd)).node, buf)


def sys_stat(kernel, process, addr, buf, *_):
    return write_stat(kernel, process, lookup(kernel, process, AT_FDCWD, addr).existing(), buf)


def sys_lstat(kernel, process, addr, buf, *_):
    return write_stat(kernel, process, lookup(kernel, process, AT_FDCWD, addr, False).existing(), buf)


def sys_statx(kernel, process, dirfd, addr, flags, mask, buf, *_):
    node = node_at(kernel, process, dirfd, addr, flags)
    process.memory.write(buf, pack_statx(node.stat()))
    return 0


def do_access(kernel, process, dirfd, addr, mode, flags) -> int:
    if mode & ~7:
        raise SysError(errno.EINVAL)
    node = node_at(kernel, process, dirfd, addr, flags)
    if mode and not process.allowed(node, mode):
        raise SysError(errno.EACCES)
    return 0


def sys_access(kernel, process, addr, mode, *_):
    return do_access(kernel, process, AT_FDCWD, addr, mode, 0)


def sys_faccessat(kernel, process, dirfd, addr, mode, *_):
    return do_access(kernel, process, dirfd, addr, mode, 0)


def sys_faccessat2(kernel, process, dirfd, addr, mode, flags, *_):
    return do_access(kernel, process, dirfd, addr, mode, flags)


def do_readlink(kernel, process, dirfd, addr, buf, size) -> int:
    size = s32(size)
    if size <= 0:
        raise SysError(errno.EINVAL)
    node = lookup(kernel, process, dirfd, addr, follow=False).existing()
    if not isinstance(node, fs.Symlink):
        raise SysError(errno.EINVAL)
    text = node.readlink(process)[:size]
    process.memory.write(buf, text)
    return len(text)


def sys_readlinkat(kernel, process, dirfd, addr, buf, size, *_):
    return do_readlink(kernel, process, dirfd, addr, buf, size)


def sys_readlink(kernel, process, addr, buf, size, *_):
    return do_readlink(kernel, process, AT_FDCWD, addr, buf, size)


def statfs_of(node: fs.Node) -> bytes:
    magic = PROC_SUPER_MAGIC if node.dev == special.PROC_DEV else TMPFS_MAGIC
    return STATFS.pack(magic, fs.BLOCK, 1 << 20, 1 << 19, 1 << 19, 1 << 20, 1 << 19, 0, 0,
                       fs.NAME_MAX, fs.BLOCK, 0x20, 0, 0, 0, 0)


def sys_statfs(kernel, process, addr, buf, *_):
    process.memory.write(buf, statfs_of(lookup(kernel, process, AT_FDCWD, addr).existing()))
    return 0


def sys_fstatfs(kernel, process, fd, buf, *_):
    process.memory.write(buf, statfs_of(process.fds.get(s32(fd)).node))
    return 0


# ---- changing the tree ----------------------------------------------------------------------

def do_mkdir(kernel, process, dirfd, addr, mode) -> int:
    look = lookup(kernel, process, dirfd, addr, follow=False)
    parent = creatable(process, look)
    parent.add(look.name, born(process, fs.Dir(kernel.view, S.S_IFDIR | (mode & ~process.umask & 0o7777))))
    return 0


def sys_mkdirat(kernel, process, dirfd, addr, mode, *_):
    return do_mkdir(kernel, process, dirfd, addr, mode)


def sys_mkdir(kernel, process, addr, mode, *_):
    return do_mkdir(kernel, process, AT_FDCWD, addr, mode)


def do_mknod(kernel, process, dirfd, addr, mode, dev) -> int:
    """mknodat: a FIFO or an empty regular file; `mode` is a umode_t, the register's low 16 bits."""
    mode &= 0xFFFF
    kind = S.S_IFMT(mode) or S.S_IFREG
    perm = mode & ~process.umask & 0o7777
    if kind == S.S_IFIFO:
        node = pipes.Fifo(kernel.view, perm)
    elif kind == S.S_IFREG:
        node = fs.File(kernel.view, S.S_IFREG | perm)
    elif kind in (S.S_IFCHR, S.S_IFBLK, S.S_IFSOCK):
        raise SysError(errno.EPERM)                   # no devices but the view's own /dev
    else:
        raise SysError(errno.EINVAL)
    look = lookup(kernel, process, dirfd, addr, follow=False)
    creatable(process, look).add(look.name, born(process, node))
    return 0


def sys_mknodat(kernel, process, dirfd, addr, mode, dev, *_):
    return do_mknod(kernel, process, dirfd, addr, mode, dev)


def sys_mknod(kernel, process, addr, mode, dev, *_):
    return do_mknod(kernel, process, AT_FDCWD, addr, mode, dev)


def removable(kernel, process, look: fs.Lookup) -> fs.Node:
    node = look.existing()
    parent = look.parent
    if node is kernel.view.root or (parent is kernel.view.root and look.name in (b"dev", b"proc")):
        raise SysError(errno.EBUSY)
    if not parent.mutable():
        raise SysError(errno.EACCES)
    process.require(parent, W_OK | X_OK)
    return node


def do_rmdir(kernel, process, look: fs.Lookup) -> int:
    if look.name == b".":
        raise SysError(errno.EINVAL)
    if look.name == b"..":
        raise SysError(errno.ENOTEMPTY)
    node = removable(kernel, process, look)
    if not isinstance(node, fs.Dir):
        raise SysError(errno.ENOTDIR)
    if node.entries(process):
        raise SysError(errno.ENOTEMPTY)
    look.parent.remove(look.name)
    node.removed = True
    node.nlink = 0
    return 0


def do_unlink(kernel, process, dirfd, addr, flags) -> int:
    if flags & ~AT_REMOVEDIR:
        raise SysError(errno.EINVAL)
    look = lookup(kernel, process, dirfd, addr, follow=False)
    if flags & AT_REMOVEDIR:
        return do_rmdir(kernel, process, look)
    node = removable(kernel, process, look)
    if isinstance(node, fs.Dir):
        raise SysError(errno.EISDIR)
    look.parent.remove(look.name)
    node.nlink -= 1
    node.touch(content=False)
    return 0


def sys_unlinkat(kernel, process, dirfd, addr, flags, *_):
    return do_unlink(kernel, process, dirfd, addr, flags)


def sys_unlink(kernel, process, addr, *_):
    return do_unlink(kernel, process, AT_FDCWD, addr, 0)


def sys_rmdir(kernel, process, addr, *_):
    return do_rmdir(kernel, process, lookup(kernel, process, AT_FDCWD, addr, follow=False))


def inside(directory: fs.Dir, ancestor: fs.Dir) -> bool:
    """Whether `directory` is `ancestor` or below it."""
    while True:
        if directory is ancestor:
            return True
        if directory.parent is directory:
            return False
        directory = directory.parent


def do_rename(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags) -> int:
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
        raise SysError(errno.EINVAL)
    old = lookup(kernel, process, olddirfd, oldaddr, follow=False)
    new = lookup(kernel, process, newdirfd, newaddr, follow=False)
    if old.name in (b".", b"..") or new.name in (b".", b".."):
        raise SysError(errno.EBUSY if old.node is kernel.view.root else errno.EINVAL)
    node = removable(kernel, process, old)
    if new.parent.removed:
        raise SysError(errno.ENOENT)
    if not new.parent.mutable():
        raise SysError(errno.EACCES)
    process.require(new.parent, W_OK | X_OK)
    if isinstance(node, fs.Dir) and inside(new.parent, node):
        raise SysError(errno.EINVAL)
    target = new.node
    if flags & RENAME_EXCHANGE:
        if target is None:
            raise SysError(errno.ENOENT)
        if isinstance(target, fs.Dir) and inside(old.parent, target):
            raise SysError(errno.EINVAL)
        old.parent.remove(old.name)
        new.parent.remove(new.name)
        new.parent.add(new.name, node)
        old.parent.add(old.name, target)
        return 0
    if target is node:
        return 0
    if target is not None:
        if flags & RENAME_NOREPLACE:
            raise SysError(errno.EEXIST)
        removable(kernel, process, new)
        if isinstance(node, fs.Dir):
            if not isinstance(target, fs.Dir):
                raise SysError(errno.ENOTDIR)
            if target.entries(process):
                raise SysError(errno.ENOTEMPTY)
            target.removed = True
        elif isinstance(target, fs.Dir):
            raise SysError(errno.EISDIR)
        new.parent.remove(new.name)
        target.nlink = 0 if isinstance(target, fs.Dir) else target.nlink - 1
    old.parent.remove(old.name)
    new.parent.add(new.name, node)
    node.touch(content=False)
    return 0


def sys_renameat2(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags, *_):
    return do_rename(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags & 0xFFFFFFFF)


def sys_renameat(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, *_):
    return do_rename(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, 0)


def sys_rename(kernel, process, oldaddr, newaddr, *_):
    return do_rename(kernel, process, AT_FDCWD, oldaddr, AT_FDCWD, newaddr, 0)


def do_link(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags) -> int:
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise SysError(errno.EINVAL)
    node = node_at(kernel, process, olddirfd, oldaddr, flags & AT_EMPTY_PATH,
                   follow=bool(flags & AT_SYMLINK_FOLLOW))
    if isinstance(node, fs.Dir):
        raise SysError(errno.EPERM)
    if node.dev == special.PROC_DEV or not isinstance(node, (fs.File, fs.Symlink, pipes.Fifo, special.Device)):
        raise SysError(errno.EXDEV)
    look = lookup(kernel, process, newdirfd, newaddr, follow=False)
    creatable(process, look).add(look.name, node)
    node.nlink += 1
    node.touch(content=False)
    return 0


def sys_linkat(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags, *_):
    return do_link(kernel, process, olddirfd, oldaddr, newdirfd, newaddr, flags & 0xFFFFFFFF)


def sys_link(kernel, process, oldaddr, newaddr, *_):
    return do_link(kernel, process, AT_FDCWD, oldaddr, AT_FDCWD, newaddr, 0)


def do_symlink(kernel, process, target_addr, dirfd, addr) -> int:
    target = read_path(process, target_addr)
    if not target:
        raise SysError(errno.ENOENT)
    look = lookup(kernel, process, dirfd, addr, follow=False)
    creatable(process, look).add(look.name, born(process, fs.Symlink(kernel.view, target)))
    return 0


def sys_symlinkat(kernel, process, target_addr, dirfd, addr, *_):
    return do_symlink(kernel, process, target_addr, dirfd, addr)


def sys_symlink(kernel, process, target_addr, addr, *_):
    return do_symlink(kernel, process, target_addr, AT_FDCWD, addr)


# ---- metadata ------------------------------------------------------------------------------

def change_mode(process, node: fs.Node, mode: int) -> int:
    process.owns(node)
    if node.dev == special.PROC_DEV:
        raise SysError(errno.EPERM)
    node.mode = S.S_IFMT(node.mode) | (mode & 0o7777)
    node.touch(content=False)
    return 0


def sys_fchmodat(kernel, process, dirfd, addr, mode, *_):
    return change_mode(process, lookup(kernel, process, dirfd, addr).existing(), mode)


def sys_chmod(kernel, process, addr, mode, *_):
    return change_mode(process, lookup(kernel, process, AT_FDCWD, addr).existing(), mode)


def sys_fchmod(kernel, process, fd, mode, *_):
    return change_mode(process, process.fds.get(s32(fd)).node, mode)


def change_owner(process, node: fs.Node, uid: int, gid: int) -> int:
    uid, gid = s32(uid), s32(gid)
    if process.euid != 0:
        if uid != -1 and uid != node.uid or process.euid != node.uid:
            raise SysError(errno.EPERM)
        if gid != -1 and gid != process.egid and gid not in process.groups:
            raise SysError(errno.EPERM)
    if node.dev == special.PROC_DEV:
        raise SysError(errno.EPERM)
    if uid != -1:
        node.uid = uid
    if gid != -1:
        node.gid = gid
    if not isinstance(node, fs.Dir) and (uid != -1 or gid != -1):
        node.mode &= ~(S.S_ISUID | (S.S_ISGID if node.mode & 0o010 else 0))
    node.touch(content=False)
    return 0


def sys_fchownat(kernel, process, dirfd, addr, uid, gid, flags, *_):
    node = node_at(kernel, process, dirfd, addr, flags)
    return change_owner(process, node, uid, gid)


def sys_chown(kernel, process, addr, uid, gid, *_):
    return change_owner(process, lookup(kernel, process, AT_FDCWD, addr).existing(), uid, gid)


def sys_lchown(kernel, process, addr, uid, gid, *_):
    return change_owner(process, lookup(kernel, process, AT_FDCWD, addr, False).existing(), uid, gid)


def sys_fchown(kernel, process, fd, uid, gid, *_):
    return change_owner(process, process.fds.get(s32(fd)).node, uid, gid)


def truncate_node(process, node: fs.Node, length: int) -> int:
    length = s64(length)
    if isinstance(node, fs.Dir):
        raise SysError(errno.EISDIR)
    if not isinstance(node, fs.File) or length < 0:
        raise SysError(errno.EINVAL)
    node.truncate(length)
    return 0


def sys_truncate(kernel, process, addr, length, *_):
    node = lookup(kernel, process, AT_FDCWD, addr).existing()
    process.require(node, W_OK)
    return truncate_node(process, node, length)


def sys_utimensat(kernel, process, dirfd, addr, times, flags, *_):
    if addr == 0:
        fd = s32(dirfd)
        node = process.fds.get(fd).node                      # futimens
    else:
        node = node_at(kernel, process, dirfd, addr, flags)
    now = time.time_ns()
    if times == 0:
        stamps = [now, now]
    else:
        raw = struct.unpack("<qqqq", process.memory.read(times, 32))
        stamps = []
        for sec, nsec in ((raw[0], raw[1]), (raw[2], raw[3])):
            if nsec == UTIME_NOW:
                stamps.append(now)
            elif nsec == UTIME_OMIT:
                stamps.append(None)
            elif 0 <= nsec < 1_000_000_000:
                stamps.append(sec * 1_000_000_000 + nsec)
            else:
                raise SysError(errno.EINVAL)
    if times != 0 and not all(s is None or s == now for s in stamps):
        process.owns(node)
    elif not process.allowed(node, W_OK):
        process.owns(node)
    if stamps[0] is not None:
        node.atime = stamps[0]
    if stamps[1] is not None:
        node.mtime = stamps[1]
    node.ctime = now
    return 0


# ---- the working directory -----------------------------------------------------------------

def change_dir(process, node: fs.Node) -> int:
    if not isinstance(node, fs.Dir):
        raise SysError(errno.ENOTDIR)
    process.require(node, X_OK)
    process.cwd = node
    return 0


def sys_chdir(kernel, process, addr, *_):
    return change_dir(process, lookup(kernel, process, AT_FDCWD, addr).existing())


def sys_fchdir(kernel, process, fd, *_):
    return change_dir(process, process.fds.get(s32(fd)).node)


def sys_getcwd(kernel, process, buf, size, *_):
    path = kernel.view.path_of(process.cwd) + b"\0"
    if size < len(path):
        raise SysError(errno.ERANGE)
    process.memory.write(buf, path)
    return len(path)


def sys_umask(kernel, process, mask, *_):
    old, process.umask = process.umask, mask & 0o777
    return old


def sys_sync(kernel, process, *_):
    return 0


def sys_syncfs(kernel, process, fd, *_):
    process.fds.get(s32(fd))
    return 0


HANDLERS = {
    "open": sys_open, "openat": sys_openat, "openat2": sys_openat2, "creat": sys_creat,
    "newfstatat": sys_newfstatat, "fstat": sys_fstat, "stat": sys_stat, "lstat": sys_lstat,
    "statx": sys_statx, "access": sys_access, "faccessat": sys_faccessat,
    "faccessat2": sys_faccessat2, "readlink": sys_readlink, "readlinkat": sys_readlinkat,
    "statfs": sys_statfs, "fstatfs": sys_fstatfs,
    "mkdir": sys_mkdir, "mkdirat": sys_mkdirat, "mknod": sys_mknod, "mknodat": sys_mknodat,
    "unlink": sys_unlink, "unlinkat": sys_unlinkat, "rmdir": sys_rmdir,
    "rename": sys_rename, "renameat": sys_renameat, "renameat2": sys_renameat2,
    "link": sys_link, "linkat": sys_linkat, "symlink": sys_symlink, "symlinkat": sys_symlinkat,
    "chmod": sys_chmod, "fchmod": sys_fchmod, "fchmodat": sys_fchmodat,
    "chown": sys_chown, "lchown": sys_lchown, "fchown": sys_fchown, "fchownat": sys_fchownat,
    "truncate": sys_truncate, "utimensat": sys_utimensat,
    "chdir": sys_chdir, "fchdir": sys_fchdir, "getcwd": sys_getcwd, "umask": sys_umask,
    "sync": sys_sync, "syncfs": sys_syncfs,
}
