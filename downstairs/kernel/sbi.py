"""Calls down to the SBI firmware (the RISC-V SBI specification v2.0): the only things the kernel
asks of OpenSBI or of our own firmware. An SBI call is an `ecall` from S-mode with the
extension in a7, the function in a6, arguments in a0.. and (error, value) back in a0, a1.

    TIME    0x54494D45 "TIME"  set_timer(when)           only where the hart lacks Sstc
    SRST    0x53525354 "SRST"  system_reset(type, reason) power off
    legacy  0x01               console_putchar(c)         the kernel's last words (panic.py)
"""

from downstairs.compiler.runtime import u64, array, ecall_regs

EXT_TIME = 0x54494D45
EXT_SRST = 0x53525354
EXT_PUTCHAR = 0x01
SHUTDOWN = 0
REASON_NONE = 0
REASON_FAILURE = 1

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
