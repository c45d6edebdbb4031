"""The view's own /dev and /proc, mounted over whatever the root holds there.

/dev is an ordinary in-memory directory (writable, like devtmpfs) holding the devices a
program expects: null, zero, full, random, urandom (drivers/char/mem.c, random.c), tty (the
sandbox's terminal, if it has one), and the links stdin, stdout, stderr and fd into
/proc/self. No host device is reachable through it.

/proc shows the sandbox's processes only (proc(5), as a pid namespace's procfs would):
/proc/self, and for each pid: exe, cwd, root and fd/N as "magic links" that lead straight to
the object (so /proc/self/root is the view's root, never the host's), cmdline, comm,
environ, stat and status. Its files are generated when opened.
"""

import errno
import stat as S
import time

from downstairs.sandbox import cputime, fs
from downstairs.sandbox.waits import SysError

DEVICES = {                      # name: (kind, major, minor, mode)
    b"null": ("null", 1, 3, 0o666), b"zero": ("zero", 1, 5, 0o666), b"full": ("full", 1, 7, 0o666),
    b"random": ("random", 1, 8, 0o666), b"urandom": ("urandom", 1, 9, 0o666),
    b"tty": ("tty", 5, 0, 0o666),
}
DEV_LINKS = {b"stdin": b"/proc/self/fd/0", b"stdout": b"/proc/self/fd/1",
             b"stderr": b"/proc/self/fd/2", b"fd": b"/proc/self/fd"}
PROC_DEV = 0x16                  # st_dev of /proc's nodes (procfs's anonymous device)


def makedev(major: int, minor: int) -> int:
    """dev_t in the kernel's encoding (new_encode_dev)."""
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


class Device(fs.Node):
    def __init__(self, view, kind: str, major: int, minor: int, mode: int):
        super().__init__(view, S.S_IFCHR | mode)
        self.kind = kind
        self.rdev = makedev(major, minor)


def make_dev(view: fs.View) -> fs.Dir:
    directory = fs.Dir(view)
    for name, (kind, major, minor, mode) in DEVICES.items():
        directory.add(name, Device(view, kind, major, minor, mode))
    for name, target in DEV_LINKS.items():
        directory.add(name, fs.Symlink(view, target))
    directory.add(b"shm", fs.Dir(view, S.S_IFDIR | 0o1777))
    directory.add(b"pts", fs.Dir(view))
    return directory


# ---- /proc ------------------------------------------------------------------------------

class MagicLink(fs.Symlink):
    """A /proc link whose target is an object, not a path: `jump` returns the node."""

    def __init__(self, view, text, target):
        super().__init__(view, b"")
        self.dev = PROC_DEV
        self.text = text                     # () -> bytes
        self.target = target                 # () -> Node

    def readlink(self, process) -> bytes:
        return self.text()

    def size(self) -> int:
        return 64

    def jump(self, process) -> fs.Node:
        node = self.target()
        if node is None:
            raise SysError(errno.ENOENT)
        return node


class SelfLink(fs.Symlink):
    """/proc/self: a link to the pid of whoever looks."""

    def __init__(self, view):
        super().__init__(view, b"")
        self.dev = PROC_DEV

    def readlink(self, process) -> bytes:
        return b"%d" % process.pid


class ProcText(fs.Node):
    """A /proc file: its text is made when it is opened (`generate`)."""

    def __init__(self, view, generate, mode=0o444):
        super().__init__(view, S.S_IFREG | mode)
        self.dev = PROC_DEV
        self.generate = generate             # () -> bytes

    def size(self) -> int:
        return 0

    def snapshot(self) -> fs.File:
        """A memory file with the text as it is now, for one open."""
        snap = fs.File(self.view)
        snap.data = bytearray(self.generate())
        snap.ino, snap.dev, snap.mode = self.ino, self.dev, self.mode
        return snap


class ProcDir(fs.Dir):
    """A /proc directory whose entries are made when looked at (`make` -> dict)."""

    def __init__(self, view, make, parent=None, name=b""):
        super().__init__(view, S.S_IFDIR | 0o555, parent=parent, name=name)
        self.dev = PROC_DEV
        self.make = make                     # (process) -> {name: node}

    def entries(self, process=None) -> dict:
        made = self.make(process)
        for name, node in made.items():
            if isinstance(node, fs.Dir):
                node.parent, node.name = self, name
        return made

    def add(self, name, node):
        raise SysError(errno.EACCES)

    def remove(self, name):
        raise SysError(errno.EACCES)

    def mutable(self) -> bool:
        return False


def make_proc(kernel, view: fs.View) -> ProcDir:
    """The /proc directory of the sandbox run by `kernel`."""
    started = time.monotonic()

    def top(process):
        entries = {b"self": SelfLink(view)}
        for pid, proc in sorted(kernel.processes.items()):
            if proc.alive or not proc.reaped:
                entries[b"%d" % pid] = pid_dir(proc)
        entries[b"uptime"] = ProcText(view, lambda: b"%.2f 0.00\n" % (time.monotonic() - started))
        entries[b"loadavg"] = ProcText(view, lambda: b"0.00 0.00 0.00 1/%d %d\n" % (
            len(kernel.processes), kernel.last_pid))
        entries[b"version"] = ProcText(view, lambda: b"Linux version %s (downstairs sandbox)\n"
                                       % kernel.release().encode())
        entries[b"mounts"] = ProcText(view, lambda: b"rootfs / rootfs ro 0 0\n"
                                      b"proc /proc proc rw 0 0\ndevtmpfs /dev devtmpfs rw 0 0\n")
        entries[b"filesystems"] = ProcText(view, lambda: b"nodev\tproc\nnodev\tdevtmpfs\n")
        return entries

    def pid_dir(proc):
        def entries(process):
            made = {
                b"exe": MagicLink(view, lambda: proc.exe_path, lambda: proc.exe),
                b"cwd": MagicLink(view, lambda: view.path_of(proc.cwd), lambda: proc.cwd),
                b"root": MagicLink(view, lambda: b"/", lambda: view.root),
                b"fd": ProcDir(view, lambda p: fd_links(proc)),
                b"cmdline": ProcText(view, lambda: b"".join(a + b"\0" for a in proc.argv)),
                b"environ": ProcText(view, lambda: b"".join(e + b"\0" for e in proc.environ), 0o400),
                b"comm": ProcText(view, lambda: proc.comm + b"\n", 0o644),
                b"stat": ProcText(view, lambda: stat_line(kernel, proc)),
                b"status": ProcText(view, lambda: status_text(proc)),
            }
            for node in made.values():
                node.uid, node.gid = proc.uid, proc.gid
            return made
        directory = ProcDir(view, entries)
        directory.uid, directory.gid = proc.uid, proc.gid
        return directory

    def fd_links(proc):
        links = {}
        for fd, file in sorted(proc.fds.files.items()):
            links[b"%d" % fd] = MagicLink(view, file.link_text, lambda file=file: file.node)
        return links

    return ProcDir(view, top)


def state_letter(proc) -> str:
    if not proc.alive:
        return "Z"
    return "S" if proc.blocked else "R"


def stat_line(kernel, proc) -> bytes:
    """/proc/PID/stat's 52 fields (proc(5)); what this layer does not keep is 0."""
    ppid = proc.parent.pid if proc.parent is not None else 0
    start = int((proc.start - kernel.started) * cputime.CLOCK_TICKS)
    user, system = cputime.own(kernel, proc)
    times = [cputime.ticks(ns) for ns in (user, system, proc.children_user_ns, proc.children_system_ns)]
    fields = [proc.pid, f"({proc.comm.decode(errors='replace')})", state_letter(proc), ppid,
              proc.pgid, proc.sid, 0, kernel.console.foreground, 0, 0, 0, 0, 0, *times,
              20, 0, 1, 0, start, 0, 0, proc.rlimits[9][0]] + [0] * 27
    return (" ".join(str(f) for f in fields) + "\n").encode()


def status_text(proc) -> bytes:
    states = {"R": "R (running)", "S": "S (sleeping)", "Z": "Z (zombie)"}
    ppid = proc.parent.pid if proc.parent is not None else 0
    lines = [f"Name:\t{proc.comm.decode(errors='replace')}", f"State:\t{states[state_letter(proc)]}",
             f"Tgid:\t{proc.pid}", f"Pid:\t{proc.pid}", f"PPid:\t{ppid}",
             f"Uid:\t{proc.uid}\t{proc.euid}\t{proc.suid}\t{proc.euid}",
             f"Gid:\t{proc.gid}\t{proc.egid}\t{proc.sgid}\t{proc.egid}",
             f"FDSize:\t{max(64, len(proc.fds.files))}", "Threads:\t1"]
    return ("\n".join(lines) + "\n").encode()
