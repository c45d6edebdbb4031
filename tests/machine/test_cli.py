"""`downstairs run` with bad input: one line on stderr, a non-zero exit, never a traceback;
and `--help` on every command."""

import glob
import resource
import struct
import subprocess
import sys

import pytest

from downstairs.cli import COMMAND_MODULES, build_parser
from downstairs.guests.baremetal import build as bm

RUN = [sys.executable, "-m", "downstairs", "run"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_line_error(proc: subprocess.CompletedProcess, words: str) -> None:
    assert proc.returncode == 2, proc
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], proc.stderr


@pytest.fixture(scope="module")
def hello() -> str:
    return str(bm.build("hello", "virt"))


def test_missing_file():
    assert_one_line_error(run(*RUN, "-bios", "none", "-kernel", "/nonexistent/prog.elf"), "no such file")


def test_elf_for_another_architecture():
    assert_one_line_error(run(*RUN, "-bios", "none", "-kernel", sys.executable), "not RISC-V")


def test_x86_bzimage_refused():
    kernels = glob.glob("/boot/vmlinuz-*")
    assert kernels, "linux-image-cloud-amd64 provides /boot/vmlinuz-* (.ci/run installs it)"
    assert_one_line_error(run(*RUN, "-bios", "none", "-kernel", kernels[0]), "bzImage")


def test_truncated_elf(tmp_path, hello):
    cut = tmp_path / "cut.elf"
    cut.write_bytes(open(hello, "rb").read()[:200])
    assert_one_line_error(run(*RUN, "-bios", "none", "-kernel", str(cut)), "not a usable ELF")


def test_corrupt_elf(tmp_path):
    bad = tmp_path / "bad.elf"
    bad.write_bytes(b"\x7fELF" + bytes(range(256)) * 4)
    assert_one_line_error(run(*RUN, "-bios", "none", "-kernel", str(bad)), str(bad))


def test_kernel_larger_than_ram(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(3 << 20))
    assert_one_line_error(run(*RUN, "-m", "2M", "-bios", "none", "-kernel", str(big)), "do not fit in 2 MiB")
    small = tmp_path / "small.bin"
    small.write_bytes(bytes(1 << 20))                 # fits in RAM, but not at 0x80000000 + 2 MiB
    assert_one_line_error(run(*RUN, "-m", "2M", "-bios", str(small), "-kernel", str(small)), "outside RAM")


def test_kernel_below_ram_gets_no_advice_about_memory(tmp_path, hello):
    """An ELF linked below RAM (a Linux program at 0x10000, say): no -m can help it, so
    the message does not suggest a larger one, as it does for an image past RAM's end."""
    elf = bytearray(open(hello, "rb").read())
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for k in range(phnum):
        at = phoff + k * phentsize
        vaddr, paddr = struct.unpack_from("<QQ", elf, at + 16)
        if struct.unpack_from("<I", elf, at)[0] == 1:                 # PT_LOAD: moved down
            struct.pack_into("<QQ", elf, at + 16, vaddr - 0x80000000 + 0x10000, paddr - 0x80000000 + 0x10000)
    low = tmp_path / "low.elf"
    low.write_bytes(bytes(elf))
    result = run(*RUN, "-bios", "none", "-kernel", str(low))
    assert_one_line_error(result, "outside RAM")
    assert "larger -m" not in result.stderr
    small = tmp_path / "small.bin"
    small.write_bytes(bytes(1 << 20))
    assert "(try a larger -m)" in run(*RUN, "-m", "2M", "-bios", str(small), "-kernel", str(small)).stderr


def test_overlapping_images(hello):
    assert_one_line_error(run(*RUN, "-bios", hello, "-kernel", hello), "overlaps")


@pytest.mark.parametrize("args,words", [
    (["-M", "pc"], "unknown machine"),
    (["-m", "lots"], "invalid memory size"),
    (["-smp", "0"], "invalid -smp"),
    (["--engine", "turbo"], "invalid choice"),
    (["-frobnicate"], "downstairs run: error: -frobnicate: invalid option"),
    (["-nogr"], "downstairs run: error: -nogr: invalid option"),          # no abbreviations
    (["-kernel"], "downstairs run: error: -kernel: requires an argument"),
    (["disk.img"], "downstairs run: error: disk.img: not an option"),
    (["-serial", "vc"], "downstairs run: error: -serial vc: the UART is this terminal"),
    (["-monitor", "stdio"], "downstairs run: error: -monitor stdio: there is no monitor"),
    (["-snapshot"], "downstairs run: error: -snapshot: not on this machine"),       # not -s napshot
    (["-mem-path", "/dev/hugepages"], "downstairs run: error: -mem-path: not on this machine"),
])
def test_bad_options(args, words):
    proc = run(*RUN, *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert words in proc.stderr


def limited_to(gib: float):
    """A preexec_fn that caps the child's address space, as a host with less memory would."""
    def limit():
        size = int(gib * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return limit


def test_memory_the_host_cannot_give_is_one_line():
    """-m more than the host can map is QEMU's "cannot set up guest memory", not a traceback;
    and an image is read without a buffer the size of RAM (-m 2G fits in 3 GiB)."""
    exitcode = str(bm.build("exitcode", "virt"))
    command = [*RUN, "-bios", "none", "-kernel", exitcode, "-nographic"]
    too_much = subprocess.run(command + ["-m", "4G"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, preexec_fn=limited_to(3))
    assert_one_line_error(too_much, "cannot set up 4096 MiB of guest memory")
    fits = subprocess.run(command + ["-m", "2G"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, preexec_fn=limited_to(3))
    assert fits.returncode == 42, fits.stderr


def test_guest_exit_status_is_the_process_status():
    exitcode = str(bm.build("exitcode", "virt"))
    assert run(*RUN, "-bios", "none", "-kernel", exitcode, "-nographic").returncode == 42


def test_qemu_console_options_that_describe_this_machine_are_taken():
    """`-serial mon:stdio -monitor none`, as QEMU command lines often say, is what this
    machine has anyway: the same run."""
    exitcode = str(bm.build("exitcode", "virt"))
    for console in (["-serial", "mon:stdio"], ["-serial", "stdio", "-monitor", "none"]):
        assert run(*RUN, "-bios", "none", "-kernel", exitcode, "-nographic", *console).returncode == 42


def test_every_command_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert len(commands) >= len(COMMAND_MODULES)
    for name in [None, *commands]:
        proc = run(sys.executable, "-m", "downstairs", *([name] if name else []), "--help")
        assert proc.returncode == 0 and "usage:" in proc.stdout, (name, proc.stderr)


def test_each_module_registers_exactly_the_commands_listed_for_it():
    """cli.py imports only the module of the command given (start-up time): its list of
    names per module must match what the module really registers."""
    for module, names in COMMAND_MODULES:
        parser = build_parser(names[0])
        registered = sorted(parser._subparsers._group_actions[0].choices)
        assert registered == sorted(names), module



def test_the_demo_runs_the_same_here_and_on_qemu(tmp_path):
    """`downstairs demo --write` gives the firmware `run` boots by default; QEMU prints the same."""
    demo = tmp_path / "demo.bin"
    written = run(sys.executable, "-m", "downstairs", "demo", "--write", str(demo))
    assert written.returncode == 0 and "load at 0x80000000" in written.stdout
    ours = run(*RUN, "-nographic")
    qemu = run("qemu-system-riscv64", "-M", "virt", "-nographic", "-bios", str(demo))
    assert ours.returncode == qemu.returncode == 0 and "Powering off" in ours.stdout
    ours_lines, qemu_lines = ours.stdout.replace("\r", "").splitlines(), qemu.stdout.replace("\r", "").splitlines()
    # misa differs by design: QEMU 7.2's hart also has H (the hypervisor extension)
    assert [l for l in ours_lines if "misa" not in l] == [l for l in qemu_lines if "misa" not in l]
    ours_isa = next(l for l in ours_lines if "misa" in l).split()[-1]
    qemu_isa = next(l for l in qemu_lines if "misa" in l).split()[-1]
    assert set(ours_isa) <= set(qemu_isa) and set(qemu_isa) - set(ours_isa) == {"h"}
