"""SBI HSM extension (EID "HSM", chapter 9): start, stop, status and suspend of harts; the
state machine itself is hsm.py."""

from downstairs.compiler.runtime import u64, i64, TrapFrame
from sbi_spec import SUCCESS, NOT_SUPPORTED
import hsm


def call(frame: TrapFrame, fid: u64) -> i64:
    a0 = frame.regs[10]
    a1 = frame.regs[11]
    a2 = frame.regs[12]
    if fid == 0:
        error = hsm.start(a0, a1, a2)
    elif fid == 1:
        error = hsm.stop()
    elif fid == 2:
        error = hsm.status(a0)
        if error >= 0:
            frame.regs[11] = u64(error)
            return SUCCESS
    elif fid == 3:
        error = hsm.suspend(a0, a1, a2)
    else:
        return NOT_SUPPORTED
    frame.regs[11] = 0
    return error
