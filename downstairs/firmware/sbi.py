"""SBI dispatch (SBI spec v2.0, chapter 3): an ecall from S-mode lands in dispatch() with
a7 = extension id, a6 = function id; the error code goes to a0, a value to a1. Here too the
three small extensions: BASE (chapter 4), TIME (6) and SRST (10). The others: hsm.py (HSM,
IPI, RFENCE), console.py (DBCN, the legacy console calls).
"""

from downstairs.compiler.runtime import u32, u64, i64, TrapFrame, csr_read, csr_write, csr_set, csr_clear, hart_id
from board import (power_off, reset, set_timer as clint_set_timer, MVENDORID, MARCHID, MIMPID, MIP, MIE, STIP, MTIP,
                   STIMECMP)
from sbi_spec import (SUCCESS, FAILED, NOT_SUPPORTED, INVALID_PARAM, SPEC_VERSION, IMPL_ID, IMPL_VERSION,
                      EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN,
                      LEGACY_PUTCHAR, LEGACY_GETCHAR)
import console
import hart
import hsm


def dispatch(frame: TrapFrame) -> None:
    eid = frame.regs[17]
    fid = frame.regs[16]
    if eid == EXT_BASE:
        error = base(frame, fid)
    elif eid == EXT_TIME and fid == 0:
        set_timer(frame.regs[10])
        error = SUCCESS
    elif eid == EXT_IPI or eid == EXT_RFENCE:
        error = hsm.reach(frame, eid, fid)
    elif eid == EXT_HSM:
        error = hsm.call(frame, fid)
    elif eid == EXT_SRST and fid == 0:
        error = system_reset(frame.regs[10], frame.regs[11])
    elif eid == EXT_DBCN or eid == LEGACY_PUTCHAR or eid == LEGACY_GETCHAR:
        error = console.call(frame, eid, fid)
    else:
        error = NOT_SUPPORTED
    if eid == EXT_TIME or eid == EXT_IPI or eid == EXT_RFENCE or (eid == EXT_HSM and fid != 2):
        frame.regs[11] = 0                    # the calls without a value: a1 = 0
    frame.regs[10] = u64(error)


def base(frame: TrapFrame, fid: u64) -> i64:
    """What the firmware is and implements: Linux's sbi_init() asks for the spec version and
    the implementation, then probes the extensions it uses."""
    if fid == 0:
        value: u64 = SPEC_VERSION
    elif fid == 1:
        value = IMPL_ID
    elif fid == 2:
        value = IMPL_VERSION
    elif fid == 3:                            # probe: 1 for an extension implemented here
        eid = frame.regs[10]
        value = u64(eid == EXT_BASE or eid == EXT_TIME or eid == EXT_IPI or eid == EXT_RFENCE or eid == EXT_HSM
                    or eid == EXT_SRST or eid == EXT_DBCN or eid == LEGACY_PUTCHAR or eid == LEGACY_GETCHAR)
    elif fid == 4:
        value = csr_read(MVENDORID)
    elif fid == 5:
        value = csr_read(MARCHID)
    elif fid == 6:
        value = csr_read(MIMPID)
    else:
        return NOT_SUPPORTED
    frame.regs[11] = value
    return SUCCESS


def set_timer(when: u64) -> None:
    """S-mode's next timer interrupt. With Sstc S-mode has stimecmp (Linux 6.1 then writes it
    itself). Without, the firmware lends it the M timer: mtimecmp in the CLINT, and MTIE."""
    if hart.has_sstc != 0:
        csr_write(STIMECMP, when)
    else:
        clint_set_timer(hart_id(), when)
        csr_clear(MIP, STIP)
        csr_set(MIE, MTIP)


def timer_interrupt() -> None:
    """The M timer interrupt (no Sstc): S-mode's deadline passed: mip.STIP, and MTIE off until
    the next set_timer."""
    csr_set(MIP, STIP)
    csr_clear(MIE, MTIP)


def system_reset(kind: u64, reason: u64) -> i64:
    """Types 0 shutdown, 1 cold and 2 warm reboot; reasons 0 none, 1 system failure (shutdown
    then exits with status 1, so a script sees it). Through sifive_test: on success the call
    does not return."""
    if kind > 2:
        return NOT_SUPPORTED if 0xF0000000 <= kind <= 0xFFFFFFFF else INVALID_PARAM
    if reason > 1:
        return NOT_SUPPORTED if 0xF0000000 <= reason <= 0xFFFFFFFF else INVALID_PARAM
    if kind == 0:
        power_off(u32(reason))
    else:
        reset()
    return FAILED                             # the device did not act
