"""System calls on processes: identity, groups and sessions, fork and exec, wait, kill,
credentials and limits (man 2 of each).

fork/clone and execve are decided here and carried out by the platform (a host process
under ptrace, or an address space on the hart): the layer checks the flags, creates the
child's Process, resolves the program in the view and reads its ELF header; then
`kernel.platform.clone` or `.exec` does the rest and completes the call itself (NO_RETURN).
"""

import errno
import os
import struct

from downstairs.sandbox import cputime, elf, fs
from downstairs.sandbox.abi import s32
from downstairs.sandbox.calls_fs import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, read_path, start_dir
from downstairs.sandbox.process import RLIMIT_NOFILE, X_OK, describe, killed
from downstairs.sandbox.signals import NSIG, SIGHUP, SIGINT
from downstairs.sandbox.waits import Block, SysError

# clone flags (include/uapi/linux/sched.h)
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED = 0x100000, 0x200000, 0x400000
CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_IO = 0x800000, 0x1000000, 0x80000000
NAMESPACES = 0x20000 | 0x2000000 | 0x4000000 | 0x8000000 | 0x10000000 | 0x20000000 | 0x40000000
SHARING = CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
ALLOWED_CLONE = (0xFF | CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_SETTLS | CLONE_PARENT_SETTID
                 | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED
                 | CLONE_PTRACE | CLONE_IO)

WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
WAIT_FLAGS = WNOHANG | WUNTRACED | WCONTINUED | 0x20000000 | 0x40000000 | 0x80000000
P_ALL, P_PID, P_PGID = 0, 1, 2
CLD_EXITED, CLD_KILLED, CLD_DUMPED = 1, 2, 3
MAX_ARG_STRLEN = 131072
MAX_ARG_TOTAL = 2 << 20
MAX_ARG_COUNT = 0x7FFFFFFF
MAX_INTERPRETERS = 4                  # #! scripts run by #! scripts... (BINPRM_MAX_RECURSION)

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME, PR_CAPBSET_READ = 15, 16, 23
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 36, 37, 38, 39
RSEQ_FLAG_UNREGISTER = 1
REBOOT_MAGIC1, REBOOT_MAGIC2 = 0xFEE1DEAD, (672274793, 85072278, 369367448, 537993216)
REBOOT_RESTART, REBOOT_HALT, REBOOT_POWER_OFF, REBOOT_RESTART2 = 0x01234567, 0xCDEF0123, 0x4321FEDC, 0xA1B2C3D4


# ---- who am I ---------------------------------------------------------------------------------

def sys_getpid(kernel, process, *_):
    return process.pid


def sys_getppid(kernel, process, *_):
    parent = process.parent
    return parent.pid if parent is not None else 0


def sys_getuid(kernel, process, *_):
    return process.uid


def sys_geteuid(kernel, process, *_):
    return process.euid


def sys_getgid(kernel, process, *_):
    return process.gid


def sys_getegid(kernel, process, *_):
    return process.egid


def sys_getresuid(kernel, process, ruid, euid, suid, *_):
    for addr, value in ((ruid, process.uid), (euid, process.euid), (suid, process.suid)):
        process.memory.write(addr, struct.pack("<I", value))
    return 0


def sys_getresgid(kernel, process, rgid, egid, sgid, *_):
    for addr, value in ((rgid, process.gid), (egid, process.egid), (sgid, process.sgid)):
        process.memory.write(addr, struct.pack("<I", value))
    return 0


def set_ids(process, kind: str, real: int, effective: int, saved: int) -> int:
    """setres[ug]id's rule: root may set anything; others only to one of their three ids
    (-1 leaves one as it is)."""
    current = [getattr(process, kind), getattr(process, "e" + kind), getattr(process, "s" + kind)]
    wanted = [s32(real), s32(effective), s32(saved)]
    if process.euid != 0 and any(w != -1 and w not in current for w in wanted):
        raise SysError(errno.EPERM)
    for name, value in zip((kind, "e" + kind, "s" + kind), wanted):
        if value != -1:
            setattr(process, name, value & 0xFFFFFFFF)
    return 0


def sys_setuid(kernel, process, uid, *_):
    if process.euid == 0:
        return set_ids(process, "uid", uid, uid, uid)
    return set_ids(process, "uid", -1, uid, -1)


def sys_setgid(kernel, process, gid, *_):
    if process.euid == 0:
        return set_ids(process, "gid", gid, gid, gid)
    return set_ids(process, "gid", -1, gid, -1)


def sys_setresuid(kernel, process, r, e, s, *_):
    return set_ids(process, "uid", r, e, s)


def sys_setresgid(kernel, process, r, e, s, *_):
    return set_ids(process, "gid", r, e, s)


def sys_setreuid(kernel, process, r, e, *_):
    return set_ids(process, "uid", r, e, -1)


def sys_setregid(kernel, process, r, e, *_):
    return set_ids(process, "gid", r, e, -1)


def sys_setfsuid(kernel, process, uid, *_):
    return process.euid


def sys_setfsgid(kernel, process, gid, *_):
    return process.egid


def sys_getgroups(kernel, process, size, addr, *_):
    size = s32(size)
    if size == 0:
        return len(process.groups)
    if size < len(process.groups):
        raise SysError(errno.EINVAL)
    process.memory.write(addr, struct.pack(f"<{len(process.groups)}I", *process.groups))
    return len(process.groups)


def sys_setgroups(kernel, process, size, addr, *_):
    if process.euid != 0:
        raise SysError(errno.EPERM)
    size = s32(size)
    if size < 0 or size > 65536:
        raise SysError(errno.EINVAL)
    process.groups = list(struct.unpack(f"<{size}I", process.memory.read(addr, 4 * size)))
    return 0


# ---- process groups and sessions -------------------------------------------------------------

def find(kernel, pid: int):
    process = kernel.processes.get(pid)
    if process is None or not process.alive:
        raise SysError(errno.ESRCH)
    return process


def sys_getpgid(kernel, process, pid, *_):
    pid = s32(pid)
    return (process if pid == 0 else find(kernel, pid)).pgid


def sys_getpgrp(kernel, process, *_):
    return process.pgid


def sys_getsid(kernel, process, pid, *_):
    pid = s32(pid)
    return (process if pid == 0 else find(kernel, pid)).sid


def sys_setpgid(kernel, process, pid, pgid, *_):
    pid, pgid = s32(pid), s32(pgid)
    if pgid < 0:
        raise SysError(errno.EINVAL)
    target = process if pid == 0 else kernel.processes.get(pid)
    if target is None or (target is not process and target.parent is not process):
        raise SysError(errno.ESRCH)
    if target.session_leader() or target.sid != process.sid:
        raise SysError(errno.EPERM)
    pgid = pgid or target.pid
    if pgid != target.pid and not kernel.group_in_session(pgid, process.sid):
        raise SysError(errno.EPERM)
    target.pgid = pgid
    return 0


def sys_setsid(kernel, process, *_):
    if kernel.group(process.pid):
        raise SysError(errno.EPERM)                 # already a group leader
    process.sid = process.pgid = process.pid
    return process.pid


# ---- fork, exec, exit -------------------------------------------------------------------------

def do_clone(kernel, process, flags: int, stack: int, ptid: int, ctid: int, tls: int):
    """Checks what this layer can do (whole processes: fork, and vfork sharing memory until
    the child execs or exits; no threads, no namespaces), then the platform makes the child."""
    flags &= 0xFFFFFFFFFFFFFFFF
    if flags & NAMESPACES:
        raise SysError(errno.EPERM)
    if flags & SHARING or flags & ~ALLOWED_CLONE or (flags & CLONE_VM and not flags & CLONE_VFORK):
        raise SysError(errno.EINVAL)                 # threads and shared tables: not here
    child = kernel.new_process(process)
    child.exit_signal = flags & 0xFF
    if flags & CLONE_PARENT and process.parent is not None:
        process.children.remove(child)
        child.parent = process.parent
        process.parent.children.append(child)
    if flags & CLONE_VFORK:
        child.vfork_parent = process
    if flags & CLONE_CHILD_CLEARTID:
        child.clear_tid = ctid
    if flags & CLONE_PARENT_SETTID:
        process.memory.write(ptid, struct.pack("<i", child.pid))
    return kernel.platform.clone(process, child, flags, stack, ctid if flags & CLONE_CHILD_SETTID else 0, tls)


def sys_clone(kernel, process, *args):
    flags, stack, ptid, ctid, tls = kernel.arch.clone_args(args)
    return do_clone(kernel, process, flags, stack, ptid, ctid, tls)


def sys_fork(kernel, process, *_):
    return do_clone(kernel, process, 17, 0, 0, 0, 0)


def sys_vfork(kernel, process, *_):
    return do_clone(kernel, process, CLONE_VM | CLONE_VFORK | 17, 0, 0, 0, 0)


def read_strings(process, addr: int) -> list[bytes]:
    """A NULL-terminated array of C strings (argv, envp)."""
    strings = []
    total = 0
    while addr:
        pointer = struct.unpack("<Q", process.memory.read(addr, 8))[0]
        if pointer == 0:
            break
        text = process.memory.cstring(pointer, MAX_ARG_STRLEN)
        total += len(text) + 1 + 8
        if total > MAX_ARG_TOTAL or len(strings) >= MAX_ARG_COUNT:
            raise SysError(errno.E2BIG)
        strings.append(text)
        addr += 8
    return strings


class Program:
    """What execve found: the ELF file to run (after any #! interpreters), the arguments
    it gets, and the names it goes by."""

    def __init__(self, node: fs.File, header: elf.Header, path: bytes, exe_path: bytes,
                 argv: list[bytes], envp: list[bytes], name: bytes):
        self.node = node
        self.header = header
        self.path = path                 # the path execve was asked for
        self.exe_path = exe_path         # /proc/PID/exe: the ELF file actually run
        self.argv = argv
        self.envp = envp
        self.name = name                 # comm: the base name of the requested file


def find_program(kernel, process, start: fs.Dir, path: bytes, argv: list[bytes],
                 envp: list[bytes], follow: bool = True) -> Program:
    """Resolve what execve runs: follow #! lines (binfmt_script) to an ELF file for this
    platform's architecture (binfmt_elf), which must be static (no PT_INTERP)."""
    requested = path
    for _ in range(MAX_INTERPRETERS + 1):
        look = kernel.view.resolve(process, start, path, follow)
        node = look.existing()
        if isinstance(node, fs.Dir) or not isinstance(node, fs.File):
            raise SysError(errno.EACCES)
        process.require(node, X_OK)
        head = node.read(0, 256)
        if head.startswith(b"#!"):
            line = head[2:].split(b"\n", 1)[0].strip(b" \t")
            if not line:
                raise SysError(errno.ENOEXEC)
            interpreter, _, argument = line.partition(b" ")
            argument = argument.strip(b" \t")
            argv = [interpreter] + ([argument] if argument else []) + [path] + argv[1:]
            path, start, follow = interpreter, process.cwd, True
            continue
        header = elf.read_header(node.read(0, elf.HEADER_READ))
        if header is None:
            raise SysError(errno.ENOEXEC)
        if header.machine != kernel.arch.elf_machine or not header.executable():
            raise SysError(errno.ENOEXEC)
        if header.interpreter:
            raise SysError(missing_interpreter(kernel, process, node, header))
        exe_path = kernel.view.path_of(look.parent).rstrip(b"/") + b"/" + look.name
        return Program(node, header, requested, exe_path, argv, envp, requested.rsplit(b"/", 1)[-1][:15])
    raise SysError(errno.ELOOP)


def missing_interpreter(kernel, process, node: fs.File, header: elf.Header) -> int:
    """A dynamically linked program: ENOENT when its loader (PT_INTERP) is not in the view,
    as Linux says then; ELIBACC when it is, since the sandbox runs no loader."""
    offset, size = header.interpreter
    path = node.read(offset, size).rstrip(b"\0")
    try:
        kernel.view.resolve(process, process.cwd, path).existing()
    except SysError:
        return errno.ENOENT
    return errno.ELIBACC


def do_execve(kernel, process, dirfd: int, path_addr: int, argv_addr: int, envp_addr: int, flags: int):
    path = read_path(process, path_addr)
    argv = read_strings(process, argv_addr)
    envp = read_strings(process, envp_addr)
    if not path and flags & AT_EMPTY_PATH:
        path = process.fds.get(s32(dirfd)).path          # the file itself (fexecve)
    program = find_program(kernel, process, start_dir(process, dirfd), path, argv, envp,
                           follow=not flags & AT_SYMLINK_NOFOLLOW)
    return kernel.platform.exec(process, program)


def sys_execve(kernel, process, path, argv, envp, *_):
    return do_execve(kernel, process, AT_FDCWD, path, argv, envp, 0)


def sys_execveat(kernel, process, dirfd, path, argv, envp, flags, *_):
    return do_execve(kernel, process, dirfd, path, argv, envp, flags)


def exec_done(kernel, process, program: Program) -> None:
    """After a successful execve: the process is the new program (execve(2): close-on-exec
    descriptors closed, a vfork parent released)."""
    process.exe = program.node
    process.exe_path = program.exe_path
    process.rseq = None
    process.argv = program.argv
    process.environ = program.envp
    process.comm = program.name
    process.fds.close_on_exec()
    if process.signals is not None:
        process.signals.exec_reset()
    if process.vfork_parent is not None:
        kernel.vfork_done(process)


def sys_exit_group(kernel, process, code, *_):
    kernel.exit(process, (code & 0xFF) << 8)
    return kernel.platform.gone(process)


# ---- wait -------------------------------------------------------------------------------------

def matching_children(process, pid: int) -> list:
    if pid > 0:
        return [c for c in process.children if c.pid == pid]
    if pid == -1:
        return list(process.children)
    group = process.pgid if pid == 0 else -pid
    return [c for c in process.children if c.pgid == group]


def exited_child(process, pid: int):
    """A child matching wait's `pid` that has exited (None: some are still running)."""
    children = matching_children(process, pid)
    if not children:
        raise SysError(errno.ECHILD)
    return next((child for child in children if not child.alive), None)


def sys_wait4(kernel, process, pid, status_addr, options, rusage, *_):
    pid, options = s32(pid), s32(options)
    if options & ~WAIT_FLAGS:
        raise SysError(errno.EINVAL)
    child = exited_child(process, pid)
    if child is not None:
        if status_addr:
            process.memory.write(status_addr, struct.pack("<i", child.status))
        if rusage:
            process.memory.write(rusage, cputime.rusage(*cputime.with_children(kernel, child)))
        cputime.waited_for(kernel, process, child)
        kernel.reap(child)
        return child.pid
    if options & WNOHANG:
        return 0
    raise Block(process.child_exited)


def sys_waitid(kernel, process, idtype, ident, info, options, rusage, *_):
    idtype, ident, options = s32(idtype), s32(ident), s32(options)
    if not options & WEXITED:
        raise SysError(errno.EINVAL)
    pid = {P_ALL: -1, P_PID: ident, P_PGID: -ident if ident else 0}.get(idtype)
    if pid is None:
        raise SysError(errno.EINVAL)
    child = exited_child(process, pid)
    if child is not None:
        kind, value = describe(child.status)
        code = CLD_EXITED if kind == "exited" else (CLD_DUMPED if child.status & 0x80 else CLD_KILLED)
        if info:
            siginfo = struct.pack("<iii4xiii", 17, 0, code, child.pid, child.uid, value)
            process.memory.write(info, siginfo + bytes(128 - len(siginfo)))
        if rusage:
            process.memory.write(rusage, cputime.rusage(*cputime.with_children(kernel, child)))
        if not options & WNOWAIT:
            cputime.waited_for(kernel, process, child)
            kernel.reap(child)
        return 0
    if options & WNOHANG:
        if info:
            process.memory.write(info, bytes(128))
        return 0
    raise Block(process.child_exited)


# ---- signals sent ------------------------------------------------------------------------------

def sys_kill(kernel, process, pid, sig, *_):
    pid, sig = s32(pid), s32(sig)
    if not 0 <= sig <= NSIG:
        raise SysError(errno.EINVAL)
    if pid > 0:
        targets = [find(kernel, pid)]
    elif pid == -1:
        targets = [p for p in kernel.processes.values() if p.alive and p.pid != 1 and p is not process]
    else:
        targets = kernel.group(process.pgid if pid == 0 else -pid)
    if not targets:
        raise SysError(errno.ESRCH)
    for target in targets:
        kernel.send_signal(target, sig)
    return 0


def sys_tgkill(kernel, process, tgid, tid, sig, *_):
    if s32(tgid) != s32(tid):
        raise SysError(errno.ESRCH)                  # one thread per process here
    return sys_kill(kernel, process, tid, sig)


def sys_tkill(kernel, process, tid, sig, *_):
    if s32(tid) <= 0:
        raise SysError(errno.EINVAL)
    return sys_kill(kernel, process, tid, sig)


def sys_reboot(kernel, process, magic1, magic2, cmd, arg, *_):
    """reboot(2) in a pid namespace: power-off and halt end the namespace as if its init
    were killed by SIGINT, restart by SIGHUP (kernel/pid_namespace.c, reboot_pid_ns)."""
    if process.euid != 0:
        raise SysError(errno.EPERM)
    if magic1 & 0xFFFFFFFF != REBOOT_MAGIC1 or magic2 & 0xFFFFFFFF not in REBOOT_MAGIC2:
        raise SysError(errno.EINVAL)
    cmd &= 0xFFFFFFFF
    if cmd in (REBOOT_RESTART, REBOOT_RESTART2):
        sig = SIGHUP
    elif cmd in (REBOOT_HALT, REBOOT_POWER_OFF):
        sig = SIGINT
    else:
        raise SysError(errno.EINVAL)
    kernel.exit(kernel.processes[1], killed(sig))
    return kernel.platform.gone(process)


# ---- limits and the rest ----------------------------------------------------------------------

def sys_prlimit64(kernel, process, pid, resource, new, old, *_):
    pid = s32(pid)
    target = process if pid == 0 else find(kernel, pid)
    resource = s32(resource)
    if resource not in target.rlimits:
        raise SysError(errno.EINVAL)
    if old:
        process.memory.write(old, struct.pack("<QQ", *target.rlimits[resource]))
    if new:
        soft, hard = struct.unpack("<QQ", process.memory.read(new, 16))
        if soft > hard:
            raise SysError(errno.EINVAL)
        if hard > target.rlimits[resource][1] and process.euid != 0:
            raise SysError(errno.EPERM)
        target.rlimits[resource] = (soft, hard)
        if resource == RLIMIT_NOFILE:
            target.fds.limit = min(soft, 1 << 20)
    return 0


def sys_getrlimit(kernel, process, resource, addr, *_):
    return sys_prlimit64(kernel, process, 0, resource, 0, addr)


def sys_setrlimit(kernel, process, resource, addr, *_):
    return sys_prlimit64(kernel, process, 0, resource, addr, 0)


def sys_getrusage(kernel, process, who, addr, *_):
    process.memory.write(addr, cputime.usage(kernel, process, s32(who)))
    return 0


def sys_prctl(kernel, process, option, arg2, arg3, arg4, arg5, *_):
    option = s32(option)
    if option == PR_SET_NAME:
        process.comm = process.memory.cstring(arg2, 16)[:15]
        return 0
    if option == PR_GET_NAME:
        process.memory.write(arg2, process.comm[:15] + b"\0")
        return 0
    if option in (PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS):
        return 1 if option == PR_GET_DUMPABLE else 0
    if option in (PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER):
        return 0
    if option in (PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER):
        process.memory.write(arg2, struct.pack("<i", 0))
        return 0
    if option == PR_CAPBSET_READ:
        return 1 if arg2 <= 40 else -errno.EINVAL
    raise SysError(errno.EINVAL)


def sys_set_tid_address(kernel, process, addr, *_):
    process.clear_tid = addr
    return process.pid


def sys_set_robust_list(kernel, process, head, length, *_):
    if length != 24:
        raise SysError(errno.EINVAL)
    process.robust_list = (head, length)
    return 0


def sys_get_robust_list(kernel, process, pid, head_addr, len_addr, *_):
    target = process if s32(pid) == 0 else find(kernel, s32(pid))
    process.memory.write(head_addr, struct.pack("<Q", target.robust_list[0]))
    process.memory.write(len_addr, struct.pack("<Q", 24))
    return 0


def sys_rseq(kernel, process, addr, length, flags, signature, *_):
    """rseq(2) registration: recorded, and the area's cpu_id fields set to 0, the one CPU a
    sandboxed process ever sees it run on (the layer never migrates or preempts inside a
    critical section it would have to abort, so none is ever aborted)."""
    if flags & RSEQ_FLAG_UNREGISTER:
        if process.rseq is None or process.rseq != (addr, length, signature):
            raise SysError(errno.EINVAL)
        process.rseq = None
        return 0
    if flags or length < 32 or addr & 31:
        raise SysError(errno.EINVAL)
    if process.rseq is not None:
        raise SysError(errno.EBUSY if process.rseq == (addr, length, signature) else errno.EINVAL)
    process.memory.write(addr, struct.pack("<II", 0, 0))         # cpu_id_start, cpu_id
    process.rseq = (addr, length, signature)
    return 0


def sys_sched_getaffinity(kernel, process, pid, size, addr, *_):
    cpus = os.sched_getaffinity(0)
    mask = sum(1 << cpu for cpu in cpus)
    length = max(8, ((max(cpus) + 64) // 64) * 8)
    if size < length:
        raise SysError(errno.EINVAL)
    process.memory.write(addr, mask.to_bytes(length, "little"))
    return length


def sys_sched_yield(kernel, process, *_):
    return 0


def sys_getpriority(kernel, process, which, who, *_):
    return 20                                          # nice 0, as the raw call reports it


def sys_setpriority(kernel, process, which, who, prio, *_):
    return 0


def sys_not_permitted(kernel, process, *_):
    """Calls that change the machine, not the program (mount, sethostname...): the
    sandbox's root has no such power, as in an unprivileged container."""
    raise SysError(errno.EPERM)


# Served by refusing with EPERM: the layer answers, nothing runs on the host.
NOT_PERMITTED = ("mount", "umount2", "pivot_root", "chroot", "sethostname", "setdomainname",
                 "swapon", "swapoff", "settimeofday", "clock_settime", "init_module",
                 "finit_module", "delete_module", "acct", "vhangup", "unshare", "setns")

HANDLERS = {
    "getpid": sys_getpid, "gettid": sys_getpid, "getppid": sys_getppid,
    "getuid": sys_getuid, "geteuid": sys_geteuid, "getgid": sys_getgid, "getegid": sys_getegid,
    "getresuid": sys_getresuid, "getresgid": sys_getresgid, "setuid": sys_setuid,
    "setgid": sys_setgid, "setresuid": sys_setresuid, "setresgid": sys_setresgid,
    "setreuid": sys_setreuid, "setregid": sys_setregid, "setfsuid": sys_setfsuid,
    "setfsgid": sys_setfsgid, "getgroups": sys_getgroups, "setgroups": sys_setgroups,
    "getpgid": sys_getpgid, "getpgrp": sys_getpgrp, "getsid": sys_getsid,
    "setpgid": sys_setpgid, "setsid": sys_setsid,
    "clone": sys_clone, "fork": sys_fork, "vfork": sys_vfork,
    "execve": sys_execve, "execveat": sys_execveat,
    "exit": sys_exit_group, "exit_group": sys_exit_group,
    "wait4": sys_wait4, "waitid": sys_waitid,
    "kill": sys_kill, "tgkill": sys_tgkill, "tkill": sys_tkill, "reboot": sys_reboot,
    "prlimit64": sys_prlimit64, "getrlimit": sys_getrlimit, "setrlimit": sys_setrlimit,
    "getrusage": sys_getrusage, "prctl": sys_prctl, "set_tid_address": sys_set_tid_address,
    "set_robust_list": sys_set_robust_list, "get_robust_list": sys_get_robust_list,
    "rseq": sys_rseq, "sched_getaffinity": sys_sched_getaffinity, "sched_yield": sys_sched_yield,
    "getpriority": sys_getpriority, "setpriority": sys_setpriority,
}
HANDLERS.update({name: sys_not_permitted for name in NOT_PERMITTED})
