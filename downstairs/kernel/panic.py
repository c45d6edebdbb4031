"""The kernel's last words: a trap inside the kernel itself (a failed `assert`, a bad index, a
division by zero, any fault) prints where it happened, as the subset source's file:line, and
powers the machine off with a non-zero status. So does a fault of the supervisor task, which
nothing could restart.

Where: the build puts a line table on the page after the task table's (tasktable.py writes it
from the compiler's line records; table.py has its layout): for each address where a source
line's code starts, the file and the line, sorted by address. It has its own magic number, so a
panic about a broken task table can still say where.

The words go out through the SBI console (legacy putchar), since the UART belongs to a task.
Power-off writes FAIL to the board's test finisher when the table names one (OpenSBI 1.1's
SRST shuts down with status 0 whatever the reason: measured on QEMU and on our machine), then
asks SBI SRST for a shutdown with reason "system failure" (our firmware exits 1 for it).
"""

from downstairs.compiler.runtime import u16, u32, u64, load16, load32, load64, load8, image_start
import table
import sbi

CAUSE_BREAKPOINT = 3

panicking: bool = False


def put_place(pc: u64) -> None:
    """The source line of kernel address `pc` as FILE:LINE (or the bare address)."""
    lines = table.lines()
    start = image_start()
    if lines == 0 or pc < start:
        sbi.put_hex(pc)
        return
    n = load64(lines + table.L_COUNT)
    files = load64(lines + table.L_FILES)
    offset = pc - start
    found = n
    for k in range(n):
        if u64(load32(lines + table.L_ENTRIES + k * 8)) > offset:
            break
        found = k
    entry = lines + table.L_ENTRIES + found * 8
    if found == n or u64(load16(entry + 4)) >= files:
        sbi.put_hex(pc)
        return
    name = lines + table.L_ENTRIES + n * 8 + u64(load16(entry + 4)) * table.FILE_NAME
    for k in range(table.FILE_NAME):
        c = load8(name + u64(k))
        if c == 0:
            break
        sbi.putchar(u64(c))
    sbi.puts(b":")
    sbi.put_dec(u64(load16(entry + 6)))


def power_off_failed() -> None:
    """Power off reporting a failure (status 1), and never return."""
    lines = table.lines()
    sbi.fail(load64(lines + table.L_FINISHER) if lines != 0 else 0, 1)


def kernel_trap(cause: u64, pc: u64, tval: u64) -> None:
    """A trap from S-mode: the kernel broke one of its own checks. (A trap while saying so
    powers off at once.)"""
    global panicking
    if panicking:
        power_off_failed()
    panicking = True
    sbi.puts(b"\nkernel panic at ")
    put_place(pc)
    if cause == CAUSE_BREAKPOINT:
        sbi.puts(b": a check failed (assert, array index or division by zero)\n")
    else:
        sbi.puts(b": scause ")
        sbi.put_hex(cause)
        sbi.puts(b", stval ")
        sbi.put_hex(tval)
        sbi.puts(b"\n")
    power_off_failed()


def task_died(index: u32, cause: u64, pc: u64, tval: u64) -> None:
    """The supervisor faulted: nobody is left to restart tasks."""
    sbi.puts(b"\nkernel panic: the supervisor (task ")
    sbi.put_dec(u64(index))
    sbi.puts(b") faulted: cause ")
    sbi.put_hex(cause)
    sbi.puts(b" at pc ")
    sbi.put_hex(pc)
    sbi.puts(b", tval ")
    sbi.put_hex(tval)
    sbi.puts(b"\n")
    power_off_failed()
