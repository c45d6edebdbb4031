"""Run a bare-metal program on an emulator and collect its console output and exit status.

Every emulator gets the same command line, QEMU's:

    EMULATOR -M BOARD -m 128M -bios none -kernel PROGRAM.elf -nographic

where EMULATOR is a command prefix such as ["qemu-system-riscv64"] or
[sys.executable, "-m", "downstairs", "run"].  The program prints to the board's console (the
UART on virt, HTIF on spike), which -nographic connects to stdout, and ends the run with its
exit status (sifive_test on virt, HTIF exit on spike).
"""

import pathlib
import subprocess

QEMU = ["qemu-system-riscv64"]


def command_line(emulator: list[str], elf: pathlib.Path, board: str = "virt",
                 extra: list[str] = ()) -> list[str]:
    """`extra`: more options for both emulators, such as a -drive and a -device."""
    return [*emulator, "-M", board, "-m", "128M", "-bios", "none", "-kernel", str(elf), "-nographic",
            *extra]


def run(emulator: list[str], elf: pathlib.Path, board: str = "virt", timeout: float = 60,
        extra: list[str] = ()) -> tuple[str, int | None]:
    """Run `elf` on `board`; return (console output, exit status), status None on a timeout.

    The output is stdout and stderr together: an emulator warning is a difference too.
    """
    proc = subprocess.Popen(command_line(emulator, elf, board, extra), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        status = None
    return out.decode("utf-8", errors="replace"), status
