"""`downstairs sandbox` and `downstairs run-user`: a program under the Python system-call layer.

    downstairs sandbox [--root DIR] [-- PROGRAM ARGS...]
        an x86-64 static program found in DIR (default: a root holding Debian's
        busybox-static, built once into the cache), stopped at every system call by ptrace;
        without a PROGRAM, /bin/sh. Like `chroot DIR PROGRAM ARGS...`, but nothing it does
        reaches the host kernel unless the layer lets it (docs/sandbox.md).
    downstairs run-user [--root DIR] PROGRAM ARGS...
        a riscv64 static program on our RISC-V hart in U-mode, every ecall served by the same
        layer (what qemu-riscv64 does). Default root: the host's / (read-only, with writes
        kept in memory), so paths mean what they mean to qemu-riscv64.

Exit status: the program's, or 128 + the signal that ended it; 127 when the program is not
found, 126 when it cannot run (not an ELF file, not for this machine, not static); 2 for a
bad root or option. Every such problem is one line on stderr.
"""

import argparse
import errno
import os
import sys

from downstairs.errors import UsageError

DEFAULT_PATH = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NOT_FOUND, CANNOT_RUN = 127, 126


class ProgramError(Exception):
    """The program cannot start: a message, and the exit status (127 or 126)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def register(subparsers) -> None:
    sandbox = subparsers.add_parser(
        "sandbox", help="run an x86-64 program with every system call served in Python",
        description="Run a static x86-64 program from a root directory with every system call "
                    "sent to the Python system-call layer (by seccomp user notification, or "
                    "stopped by PTRACE_SYSEMU), as `chroot DIR PROGRAM` would run it.")
    sandbox.add_argument("--root", metavar="DIR",
                         help="the directory the program sees as / (default: a cached busybox root)")
    sandbox.add_argument("--platform", choices=["seccomp", "ptrace"], default="seccomp",
                         help="how calls reach the layer: seccomp user notification (default, "
                              "faster) or PTRACE_SYSEMU (gVisor's ptrace platform)")
    # (dest "program": "command" is the subcommand's name, which error messages show)
    sandbox.add_argument("program", nargs=argparse.REMAINDER, metavar="-- PROGRAM ARGS",
                         help="the program and its arguments (default: /bin/sh)")
    sandbox.set_defaults(func=run_sandbox)
    user = subparsers.add_parser(
        "run-user", help="run a riscv64 Linux program on our hart, its system calls served in Python",
        description="Run a static riscv64 Linux program in U-mode on the Downstairs RISC-V hart "
                    "with no guest kernel: each ecall is served by the Python system-call layer.")
    user.add_argument("--root", metavar="DIR", default="/",
                      help="the directory the program sees as / (default: the host's /, read-only)")
    user.add_argument("--engine", choices=["auto", "compiled", "reference"], default="auto",
                      help="the hart's engine (default: compiled when built)")
    user.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM ARGS",
                      help="the program and its arguments")
    user.set_defaults(func=run_user)


def command_line(args) -> list[bytes]:
    words = list(args.program)
    if words and words[0] == "--":
        words = words[1:]
    return [os.fsencode(w) for w in words]


def check_root(root: str) -> str:
    if not os.path.isdir(root):
        problem = "not a directory" if os.path.exists(root) else "no such directory"
        raise UsageError(f"{root}: {problem} (the root must be a directory)")
    return os.path.abspath(root)


def environment() -> list[bytes]:
    return [k + b"=" + v for k, v in os.environb.items()]


def search(kernel, process, name: bytes, envp: list[bytes]) -> bytes:
    """execvp's search: a name without a slash is looked for in $PATH, inside the view."""
    if b"/" in name:
        return name
    path = next((e[5:] for e in envp if e.startswith(b"PATH=")), DEFAULT_PATH)
    from downstairs.sandbox import fs
    from downstairs.sandbox.waits import SysError
    for directory in path.split(b":"):
        candidate = (directory or b".").rstrip(b"/") + b"/" + name
        try:
            node = kernel.view.resolve(process, process.cwd, candidate).node
        except SysError:
            continue
        if isinstance(node, fs.File):
            return candidate
    raise ProgramError(f"{os.fsdecode(name)}: not found in $PATH", NOT_FOUND)


def find_first(kernel, process, argv: list[bytes], envp: list[bytes], where: str):
    """The Program pid 1 runs, or a ProgramError saying why it cannot."""
    from downstairs.sandbox import calls_process, elf, fs
    from downstairs.sandbox.waits import SysError
    path = search(kernel, process, argv[0], envp)
    shown = os.fsdecode(path)
    try:
        return calls_process.find_program(kernel, process, process.cwd, path, argv, envp)
    except SysError as err:
        try:                                         # what is there, to say why it cannot run
            look = kernel.view.resolve(process, process.cwd, path)
        except SysError:
            look = None                              # a directory on the way is missing, or a file
        head = look.node.read(0, elf.HEADER_READ) if look is not None and isinstance(look.node, fs.File) else b""
        header = elf.read_header(head)
        if header is not None and header.interpreter and header.machine == kernel.arch.elf_machine:
            raise ProgramError(f"{shown}: dynamically linked (the sandbox runs static programs only)",
                               CANNOT_RUN) from None
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            raise ProgramError(f"{shown}: no such file in {where}", NOT_FOUND) from None
        if err.errno == errno.ENOEXEC:
            problem = elf.describe_problem(head, kernel.arch.elf_machine) or "not executable"
            raise ProgramError(f"{shown}: {problem}", CANNOT_RUN) from None
        raise ProgramError(f"{shown}: {os.strerror(err.errno)}", CANNOT_RUN) from None


def run_sandbox(args) -> int:
    from downstairs.sandbox import abi, rootfs, tracer
    problem = tracer.available()
    if problem:
        raise UsageError(problem)
    root = check_root(args.root) if args.root else str(rootfs.default_root())
    if args.platform == "ptrace":
        from downstairs.sandbox.ptrace import SysemuPlatform as Platform
    else:
        from downstairs.sandbox.seccomp import SeccompPlatform as Platform
    return run_program("sandbox", root, Platform(), abi.X86_64, command_line(args) or [b"/bin/sh"], None)


def run_user(args) -> int:
    from downstairs.sandbox import abi, hart
    argv = command_line(args)
    if not argv:
        raise UsageError("run-user needs a PROGRAM (a static riscv64 Linux executable)")
    root = check_root(args.root)
    if b"/" not in argv[0] and os.path.exists(argv[0]):
        argv[0] = b"./" + argv[0]                    # a file here, as qemu-riscv64 takes it
    cwd = os.fsencode(os.getcwd()) if root == "/" else None
    return run_program("run-user", root, hart.HartPlatform(args.engine), abi.RISCV64, argv, cwd)


def run_program(command: str, root: str, platform, arch, argv: list[bytes], cwd: bytes | None) -> int:
    """Make the kernel over a view of `root`, start pid 1 running argv (in `cwd` of the view,
    if given: run-user keeps the directory it was started in, as qemu-riscv64 does), serve
    it until everything ended, and put the terminal back whatever happens."""
    from downstairs.sandbox import fs
    from downstairs.sandbox.kernel import Kernel
    from downstairs.sandbox.terminal import Console
    from downstairs.sandbox.waits import SysError
    uid, gid = os.getuid(), os.getgid()
    view = fs.View(root, uid, gid)
    console = Console()
    kernel = Kernel(view, arch, platform, console, uid, gid)
    platform.attach(kernel)
    process = kernel.first_process()
    if cwd is not None:
        try:
            process.cwd = view.resolve(process, view.root, cwd).existing()
        except SysError:
            pass
    guardian = Guardian(console)
    try:
        program = find_first(kernel, process, argv, environment(), root)
        try:
            platform.start(process, program)
        except SysError as err:                    # the loader refused it, as execve would
            raise ProgramError(f"{os.fsdecode(argv[0])}: cannot execute: {os.strerror(err.errno)}",
                               CANNOT_RUN) from None
        return platform.run()
    except ProgramError as err:
        print(f"downstairs {command}: {err}", file=sys.stderr)
        return err.status
    finally:
        platform.end_all()
        platform.reap_all()
        console.restore()
        guardian.done()
        view.close()


class Guardian:
    """Puts the terminal back even if this process is killed with SIGKILL (which no
    handler sees): a small child that waits for our end of a pipe to close. If we finish
    normally we say so first, and it exits without touching the terminal."""

    def __init__(self, console):
        self.pid = 0
        self.write_fd = -1
        if console.saved is None:
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(write_fd)
                os.setpgid(0, 0)
                import signal
                for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGHUP, signal.SIGTERM):
                    signal.signal(sig, signal.SIG_IGN)
                word = os.read(read_fd, 1)
                if not word:
                    console.restore()
            finally:
                os._exit(0)
        os.close(read_fd)
        self.pid, self.write_fd = pid, write_fd

    def done(self) -> None:
        if self.pid:
            os.write(self.write_fd, b"x")
            os.close(self.write_fd)
            os.waitpid(self.pid, 0)
            self.pid = 0
