"""Running a program both ways: under CPython with the host shims, and compiled on a machine.

`run_host` is cpython.run_program: the program's checked tree run by CPython as the machine
code would run (wrap-around, ownership), the intrinsics acting on `runtime.host.MACHINE`.

`run_machine` boots a compiled ELF on a machine command line, by default
`qemu-system-riscv64 -M virt -bios none -kernel ELF -nographic`; any command that takes the
same arguments (such as `python3 -m downstairs run`) can be given instead. Both return a
`Result(output, status)`: status 0 for pass, the sifive_test code for fail, "timeout" if the
machine never stopped. A trap on the host (failed assert, bad index, division by zero) maps
to the status the corpus's trap handler reports for ebreak: 0x80 | 3; an ecall to 0x80 | 11.
"""

import subprocess

from downstairs.compiler.cpython import Result, TRAP_STATUS, run_program as run_host  # noqa: F401 (the tests' API)

QEMU = ["qemu-system-riscv64", "-M", "virt", "-bios", "none", "-kernel", "{elf}", "-nographic"]


def run_machine(elf_path: str, command=QEMU, timeout: float = 60) -> Result:
    """Boot `elf_path` with `command` ("{elf}" replaced): its console output and exit status."""
    argv = [a.replace("{elf}", elf_path) for a in command]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return Result(err.stdout or b"", "timeout")
    return Result(proc.stdout, proc.returncode)
