"""SBI RFENCE extension (EID "RFNC", chapter 8): fence.i and sfence.vma on other harts, done
before the call returns (ipi.py's tickets). Ranges and ASIDs are honoured by flushing more:
the target's whole TLB. The hypervisor fences (functions 3-6) need the H extension: not here.
"""

from downstairs.compiler.runtime import u64, i64, TrapFrame, array, hart_id, fence_i, sfence_vma
from board import MAX_HARTS
from sbi_spec import SUCCESS, NOT_SUPPORTED, INVALID_PARAM
from sbi_ipi import harts_in, running, INVALID_MASK
import ipi


def remote(targets: u64, bits: u64) -> None:
    """Ask every running target for `bits` and wait until each has done it."""
    me = hart_id()
    tickets = array(u64, MAX_HARTS)
    for h in range(u64(MAX_HARTS)):
        if (targets >> h) & 1 != 0 and running(h) and h != me:
            tickets[h] = ipi.send(h, bits)
    if (targets >> me) & 1 != 0:
        if bits & ipi.FENCE_I != 0:
            fence_i()
        else:
            sfence_vma()
    for h in range(u64(MAX_HARTS)):
        if tickets[h] != 0:
            ipi.wait(h, tickets[h], me)


def call(frame: TrapFrame, fid: u64) -> i64:
    if fid > 2:
        return NOT_SUPPORTED
    targets = harts_in(frame.regs[10], frame.regs[11])
    if targets == INVALID_MASK:
        return INVALID_PARAM
    remote(targets, ipi.FENCE_I if fid == 0 else ipi.SFENCE_VMA)
    frame.regs[11] = 0
    return SUCCESS
