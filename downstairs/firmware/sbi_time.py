"""SBI Timer extension (EID "TIME", chapter 6): S-mode's next timer interrupt.

With Sstc (menvcfg.STCE set at boot) S-mode has stimecmp: set_timer writes it and the
hardware raises STIP when time passes it (Linux 6.1 then writes stimecmp itself). Without,
the firmware lends S-mode its own timer: mtimecmp in the CLINT and MTIE; when the M timer
interrupt comes, it sets mip.STIP for S-mode and masks MTIE until the next set_timer.
"""

from downstairs.compiler.runtime import u64, i64, TrapFrame, csr_write, csr_set, csr_clear, hart_id
from board import set_timer as clint_set_timer
from csr import MIP, MIE, STIP, MTIP, STIMECMP
from sbi_spec import SUCCESS, NOT_SUPPORTED
import hart


def set_timer(when: u64) -> None:
    if hart.has_sstc != 0:
        csr_write(STIMECMP, when)
    else:
        clint_set_timer(hart_id(), when)
        csr_clear(MIP, STIP)
        csr_set(MIE, MTIP)


def interrupt() -> None:
    """The M timer interrupt: S-mode's deadline passed."""
    csr_set(MIP, STIP)
    csr_clear(MIE, MTIP)


def call(frame: TrapFrame, fid: u64) -> i64:
    if fid != 0:
        return NOT_SUPPORTED
    set_timer(frame.regs[10])
    frame.regs[11] = 0
    return SUCCESS
