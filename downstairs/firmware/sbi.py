"""SBI dispatch: an ecall from S-mode lands here with a7 = extension id, a6 = function id
(SBI spec v2.0, chapter 3). Each extension is one file, as in OpenSBI's lib/sbi/sbi_ecall_*.c;
its call() returns the error code for a0 and puts its value in the frame's a1."""

from downstairs.compiler.runtime import u64, TrapFrame
from sbi_spec import (NOT_SUPPORTED, EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN,
                      LEGACY_PUTCHAR, LEGACY_GETCHAR)
import sbi_base
import sbi_time
import sbi_ipi
import sbi_rfence
import sbi_hsm
import sbi_srst
import sbi_dbcn
import sbi_legacy


def dispatch(frame: TrapFrame) -> None:
    eid = frame.regs[17]
    fid = frame.regs[16]
    if eid == EXT_BASE:
        error = sbi_base.call(frame, fid)
    elif eid == EXT_TIME:
        error = sbi_time.call(frame, fid)
    elif eid == EXT_IPI:
        error = sbi_ipi.call(frame, fid)
    elif eid == EXT_RFENCE:
        error = sbi_rfence.call(frame, fid)
    elif eid == EXT_HSM:
        error = sbi_hsm.call(frame, fid)
    elif eid == EXT_SRST:
        error = sbi_srst.call(frame, fid)
    elif eid == EXT_DBCN:
        error = sbi_dbcn.call(frame, fid)
    elif eid == LEGACY_PUTCHAR or eid == LEGACY_GETCHAR:
        error = sbi_legacy.call(frame, eid)
    else:
        error = NOT_SUPPORTED
    frame.regs[10] = u64(error)
