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

from downstairs.compiler.runtime import u16, u32, u64, load16, load32, load64, load8, store32, wfi, image_start
import table
import sbi

FINISHER_FAIL = 0x3333
CAUSE_BREAKPOINT = 3

panicking: bool = False


def puts(text: bytes) -> None:
    for k in range(len(text)):
        sbi.putchar(u64(text[k]))


def put_dec(value: u64) -> None:
    """`value` in decimal."""
    if value >= 10:
        put_dec(value // 10)
    sbi.putchar(48 + value % 10)


def put_hex(value: u64) -> None:
    puts(b"0x")
    started = False
    for k in range(16):
        digit = (value >> u64(60 - 4 * k)) & 15
        if digit != 0 or started or k == 15:
            started = True
            sbi.putchar(digit + 48 if digit < 10 else digit + 87)


def put_place(pc: u64) -> None:
    """The source line of kernel address `pc` as FILE:LINE (or the bare address)."""
    lines = table.lines()
    start = image_start()
    if lines == 0 or pc < start:
        put_hex(pc)
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
        put_hex(pc)
        return
    name = lines + table.L_ENTRIES + n * 8 + u64(load16(entry + 4)) * table.FILE_NAME
    for k in range(table.FILE_NAME):
        c = load8(name + u64(k))
        if c == 0:
            break
        sbi.putchar(u64(c))
    puts(b":")
    put_dec(u64(load16(entry + 6)))


def power_off_failed() -> None:
    """Power off reporting a failure, and never return."""
    lines = table.lines()
    if lines != 0 and load64(lines + table.L_FINISHER) != 0:
        store32(load64(lines + table.L_FINISHER), FINISHER_FAIL | (1 << 16))
    sbi.shutdown(True)
    while True:
        wfi()


def kernel_trap(cause: u64, pc: u64, tval: u64) -> None:
    """A trap from S-mode: the kernel broke one of its own checks. (A trap while saying so
    powers off at once.)"""
    global panicking
    if panicking:
        power_off_failed()
    panicking = True
    puts(b"\nkernel panic at ")
    put_place(pc)
    if cause == CAUSE_BREAKPOINT:
        puts(b": a check failed (assert, array index or division by zero)\n")
    else:
        puts(b": scause ")
        put_hex(cause)
        puts(b", stval ")
        put_hex(tval)
        puts(b"\n")
    power_off_failed()


def task_died(index: u32, cause: u64, pc: u64, tval: u64) -> None:
    """The supervisor faulted: nobody is left to restart tasks."""
    puts(b"\nkernel panic: the supervisor (task ")
    put_dec(u64(index))
    puts(b") faulted: cause ")
    put_hex(cause)
    puts(b" at pc ")
    put_hex(pc)
    puts(b", tval ")
    put_hex(tval)
    puts(b"\n")
    power_off_failed()
