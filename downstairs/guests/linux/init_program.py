"""The guest's /init (init.c): the lines it prints, and how it is compiled.

The strings live here and reach the C program as -D definitions, so the tests and the
boot-to-marker benchmark search the console for exactly what the guest prints.
The program is compiled with Debian's riscv64-linux-gnu-gcc, freestanding and static, against
the kernel tree's nolibc (tools/include/nolibc: a header-only C library of system-call
wrappers), with the kernel's ISA: no libc, so no instruction the kernel config left out.
"""

import pathlib
import subprocess

from downstairs.errors import UsageError
from downstairs.guests.linux import tools

SOURCE = pathlib.Path(__file__).resolve().parent / "init.c"

MARKER = "downstairs-linux: init running"        # first line /init prints
FINAL = "downstairs-linux: powering off"          # last line, then " (N failures)"
NO_DISK = "downstairs-linux: no disk (/dev/vda absent)"
FAIL_PREFIX = "downstairs-linux: FAIL"
DISK_FILE = "/hello.txt"                          # read from the disk (disk.py puts it there)
GUEST_FILE = "/from-guest.txt"                    # written to the disk by the guest
GUEST_TEXT = "written by the downstairs-linux guest\n"

DEFINES = {"MARKER": MARKER, "FINAL": FINAL, "NO_DISK": NO_DISK, "FAIL_PREFIX": FAIL_PREFIX,
           "DISK_FILE": DISK_FILE, "GUEST_FILE": GUEST_FILE, "GUEST_TEXT": GUEST_TEXT}

CFLAGS = ["-Os", "-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector",
          "-fno-asynchronous-unwind-tables", "-fno-ident", "-Wall", "-Wl,--build-id=none"]


def final_line(failures: int = 0) -> str:
    """The init's last line, which counts the checks that failed."""
    return f"{FINAL} ({failures} failures)"


def c_string(text: str) -> str:
    """`text` as a C string literal, for -DNAME=literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def flags(march: str, mabi: str) -> list[str]:
    """The cross compiler's flags for the init: the shared CFLAGS, the ISA and ABI, and the
    strings the C program prints, as -D defines (one source for both sides)."""
    defines = [f"-D{name}={c_string(value)}" for name, value in DEFINES.items()]
    return [*CFLAGS, f"-march={march}", f"-mabi={mabi}", *defines]


def compile_init(tree: pathlib.Path, march: str, mabi: str, out: pathlib.Path) -> None:
    """Compile init.c into the static executable `out`."""
    nolibc = tree / "tools" / "include" / "nolibc" / "nolibc.h"
    cmd = [f"{tools.CROSS}gcc", *flags(march, mabi), "-include", str(nolibc), "-o", str(out), str(SOURCE)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise UsageError(f"compiling /init failed:\n{result.stderr.strip()}")
