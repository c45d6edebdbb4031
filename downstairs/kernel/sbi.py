"""Calls down to the SBI firmware (the RISC-V SBI specification v2.0): the only things the kernel
asks of OpenSBI or of our own firmware. An SBI call is an `ecall` from S-mode with the
extension in a7, the function in a6, arguments in a0.. and (error, value) back in a0, a1.

    TIME    0x54494D45 "TIME"  set_timer(when)           only where the hart lacks Sstc
    SRST    0x53525354 "SRST"  system_reset(type, reason) power off
    legacy  0x01               console_putchar(c)         the kernel's last words (panic.py)

The boot loader (downstairs/image/bootloader) is an S-mode program too and makes the same calls
through this file: the console helpers and fail() are for both.
"""

from downstairs.compiler.runtime import u32, u64, array, ecall_regs, store32, wfi

EXT_TIME = 0x54494D45
EXT_SRST = 0x53525354
EXT_PUTCHAR = 0x01
SHUTDOWN = 0
REASON_NONE = 0
REASON_FAILURE = 1
FINISHER_FAIL = 0x3333      # sifive_test: 0x3333 | status << 16 ends the run with that status

regs = array(u64, 8)


def call(ext: u64, fid: u64, a0: u64, a1: u64) -> u64:
    """One SBI call; the error code (0: success) comes back."""
    for k in range(8):
        regs[k] = 0
    regs[0] = a0
    regs[1] = a1
    regs[6] = fid
    regs[7] = ext
    ecall_regs(regs)
    return regs[0]


def set_timer(when: u64) -> None:
    call(EXT_TIME, 0, when, 0)


def putchar(c: u64) -> None:
    call(EXT_PUTCHAR, 0, c, 0)


def shutdown(failure: bool) -> None:
    """Power the machine off (SRST); with `failure`, reason "system failure"."""
    call(EXT_SRST, 0, SHUTDOWN, REASON_FAILURE if failure else REASON_NONE)


def puts(text: bytes) -> None:
    for k in range(len(text)):
        putchar(u64(text[k]))


def put_dec(value: u64) -> None:
    """`value` in decimal."""
    if value >= 10:
        put_dec(value // 10)
    putchar(48 + value % 10)


def put_hex(value: u64) -> None:
    puts(b"0x")
    started = False
    for k in range(16):
        digit = (value >> u64(60 - 4 * k)) & 15
        if digit != 0 or started or k == 15:
            started = True
            putchar(digit + 48 if digit < 10 else digit + 87)


def fail(finisher: u64, status: u32) -> None:
    """Power off with a non-zero `status`, and never return: FAIL to the board's test finisher
    at `finisher` (0: none), since OpenSBI 1.1's SRST shuts down with status 0 whatever the
    reason; then SRST with reason "system failure" (our firmware exits 1 for it)."""
    if finisher != 0:
        store32(finisher, FINISHER_FAIL | (status << 16))
    shutdown(True)
    while True:
        wfi()
