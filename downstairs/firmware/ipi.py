"""Requests between harts in M-mode, what IPI, RFENCE and HSM are made of: the sender sets bits
in the target's mailbox and raises its M software interrupt (the CLINT, board.py); the target,
trapped or waiting in the firmware, serves it (mip.SSIP, fence.i, sfence.vma: the whole TLB,
a superset of any range). A sender that must know the work is done takes a ticket:

    sender:  amoor pending |= bits;  ticket = amoadd requests + 1;  msip[target] = 1
    target:  msip = 0;  fence;  seen = requests;  bits = amoswap pending <- 0;  do bits;
             fence;  completed = seen
    sender:  wait until completed >= ticket (serving its own mailbox meanwhile, so two harts
             fencing each other cannot wait for ever)

If the target read `requests` after the sender's increment, the bits were set before it (the
AMOs are ordered), so the swap took them or an earlier serve already did the work.
"""

from downstairs.compiler.runtime import u64, array, record, addr, amoor64, amoadd64, amoswap64, fence, fence_i
from downstairs.compiler.runtime import sfence_vma, csr_set, load64
from board import MAX_HARTS, raise_software_interrupt, MIP, SSIP

SUPERVISOR_IPI = 1
FENCE_I = 2
SFENCE_VMA = 4


@record
class Mailbox:
    pending: u64              # request bits (amoor by senders, amoswap by the owner)
    requests: u64             # tickets handed out
    completed: u64            # the last ticket the owner has served


mailboxes = array(Mailbox, MAX_HARTS)


def send(target: u64, bits: u64) -> u64:
    """Ask `target` for `bits`; returns the ticket to wait for."""
    box = addr(mailboxes[target])
    amoor64(box, bits)
    ticket = amoadd64(box + 8, 1) + 1
    raise_software_interrupt(target, 1)
    return ticket


def serve(me: u64) -> None:
    """Do what other harts asked of this one (from the M software interrupt, or a wait loop)."""
    raise_software_interrupt(me, 0)
    box = mailboxes[me]
    fence()
    seen = load64(addr(box) + 8)
    bits = amoswap64(addr(box), 0)
    if bits & SUPERVISOR_IPI != 0:
        csr_set(MIP, SSIP)
    if bits & FENCE_I != 0:
        fence_i()
    if bits & SFENCE_VMA != 0:
        sfence_vma()
    fence()
    box.completed = seen


def wait(target: u64, ticket: u64, me: u64) -> None:
    """Until `target` has served `ticket`; meanwhile serve this hart's own mailbox."""
    while load64(addr(mailboxes[target]) + 16) < ticket:
        if load64(addr(mailboxes[me])) != 0:
            serve(me)
