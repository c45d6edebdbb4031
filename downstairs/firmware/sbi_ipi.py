"""SBI IPI extension (EID "sPI", chapter 7): a supervisor software interrupt on other harts.

Harts are named by a mask and a base: bit i of hart_mask is hart hart_mask_base + i, and a base
of -1 means every hart. A hart id that is not in the device tree is SBI_ERR_INVALID_PARAM
(v2.0); a valid hart that is not running (stopped, starting) is skipped.
"""

from downstairs.compiler.runtime import u64, i64, TrapFrame, csr_set, hart_id
from board import MAX_HARTS
from csr import MIP, SSIP
from sbi_spec import SUCCESS, NOT_SUPPORTED, INVALID_PARAM
import hsm
import ipi

INVALID_MASK = 1 << 63
ALL_HARTS = 0xFFFFFFFFFFFFFFFF


def harts_in(mask: u64, base: u64) -> u64:
    """The set of hart ids (a bit each) that mask and base name, or INVALID_MASK."""
    found: u64 = 0
    if base == ALL_HARTS:
        for h in range(u64(MAX_HARTS)):
            if hsm.valid(h):
                found |= u64(1) << h
        return found
    h = base
    while mask != 0:
        if mask & 1 != 0:
            if not hsm.valid(h):
                return INVALID_MASK
            found |= u64(1) << h
        mask = mask >> 1
        h += 1
    return found


def running(h: u64) -> bool:
    state = hsm.state_of(h)
    return state == hsm.STARTED or state == hsm.SUSPENDED


def send_ipi(targets: u64) -> None:
    for h in range(u64(MAX_HARTS)):
        if (targets >> h) & 1 != 0 and running(h):
            if h == hart_id():
                csr_set(MIP, SSIP)
            else:
                ipi.send(h, ipi.SUPERVISOR_IPI)


def call(frame: TrapFrame, fid: u64) -> i64:
    if fid != 0:
        return NOT_SUPPORTED
    targets = harts_in(frame.regs[10], frame.regs[11])
    if targets == INVALID_MASK:
        return INVALID_PARAM
    send_ipi(targets)
    frame.regs[11] = 0
    return SUCCESS
