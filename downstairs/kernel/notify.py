"""Notifications and timers: bits posted to a task, delivered when it receives (Hubris's
notifications; seL4's are much the same). They are how a task hears of an interrupt
(irq.py), of its timer, of another task's POST, and the supervisor of a fault (fault.py).

A task has 32 notification bits. POST (or the kernel) ORs bits into `pending`; RECV with a
mask delivers the pending bits in the mask at once, before any message, as a message from
KERNEL with the bits in a1, and clears them. A bit posted twice before it is received arrives
once: notifications count nothing, they say "look".

Timers: each task has one deadline (K_TIMER), in units of the time CSR; when the time passes
it, its bits are posted. The hart has one timer: stimecmp (Sstc) when the hart has it, else the
SBI TIME extension (set_timer). It is armed for the earliest deadline, or the end of the
running task's time slice when another task of its priority is ready (scheduler.py).
"""

from downstairs.compiler.runtime import u32, u64, csr_read, csr_write
import abi
import task
from task import Task, RECEIVING, RUNNABLE
import sbi

CSR_TIME = 0xC01
CSR_STIMECMP = 0x14D
NEVER = 0xFFFFFFFFFFFFFFFF

sstc: bool = False          # set at boot when stimecmp works (boot.py probes it)
earliest: u64 = NEVER       # the earliest task deadline
armed: u64 = NEVER          # what the hart's timer is set to


def post(t: Task, bits: u32) -> None:
    """OR `bits` into task `t`'s pending notifications; if it waits in RECV for any of them,
    it gets them now."""
    t.pending |= bits
    if t.state == RECEIVING and t.pending & t.mask != 0:
        deliver(t)
        task.set_state(t, RUNNABLE)


def deliver(t: Task) -> None:
    """Hand task `t` (in RECV) its pending bits in its mask: a0 = KERNEL, a1 = the bits."""
    bits = t.pending & t.mask
    t.pending &= ~bits
    t.frame.regs[10] = abi.KERNEL
    t.frame.regs[11] = u64(bits)
    t.frame.regs[16] = 0


def now() -> u64:
    return csr_read(CSR_TIME)


def set_timer(t: Task, deadline: u64, bits: u32) -> None:
    """K_TIMER: task `t`'s timer posts `bits` when the time reaches `deadline` (0: no timer)."""
    global earliest
    t.deadline = deadline
    t.timer_bits = bits
    if deadline != 0 and deadline < earliest:
        earliest = deadline


def expire() -> None:
    """The timer fired (or the kernel looked): post the bits of every deadline that passed and
    find the next one."""
    global earliest
    time = now()
    earliest = NEVER
    for i in range(task.count):
        t = task.tasks[i]
        if t.deadline != 0 and t.deadline <= time:
            t.deadline = 0
            post(t, t.timer_bits)
        elif t.deadline != 0 and t.deadline < earliest:
            earliest = t.deadline


def arm(slice_end: u64) -> None:
    """Set the hart's timer for the earliest deadline or `slice_end` (NEVER: no slice)."""
    global armed
    when = earliest if earliest < slice_end else slice_end
    if when == armed:
        return
    armed = when
    if sstc:
        csr_write(CSR_STIMECMP, when)
    else:
        sbi.set_timer(when)
