"""SBI System Reset extension (EID "SRST", chapter 10), on the board's sifive_test device:
shutdown powers off (with status 1 when the reason is a system failure, so a script sees it),
cold and warm reboot reset the board. On success the call does not return."""

from downstairs.compiler.runtime import u64, i64, TrapFrame
from board import power_off, reset
from sbi_spec import NOT_SUPPORTED, INVALID_PARAM, FAILED

SHUTDOWN = 0
COLD_REBOOT = 1
WARM_REBOOT = 2
REASON_NONE = 0
REASON_FAILURE = 1


def system_reset(kind: u64, reason: u64) -> i64:
    if kind > WARM_REBOOT:
        return NOT_SUPPORTED if 0xF0000000 <= kind <= 0xFFFFFFFF else INVALID_PARAM
    if reason > REASON_FAILURE:
        return NOT_SUPPORTED if 0xF0000000 <= reason <= 0xFFFFFFFF else INVALID_PARAM
    if kind == SHUTDOWN:
        power_off(0 if reason == REASON_NONE else 1)
    else:
        reset()
    return FAILED                             # the device did not act


def call(frame: TrapFrame, fid: u64) -> i64:
    if fid != 0:
        return NOT_SUPPORTED
    return system_reset(frame.regs[10], frame.regs[11])
