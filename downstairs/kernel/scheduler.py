"""The scheduler: which task runs next (docs/kernel.md, "Scheduling").

Strict priorities, as in Hubris: the most urgent RUNNABLE task runs (priority 0 first), and a
task that becomes runnable preempts a less urgent one at once, since every trap ends here.
Tasks of the same priority share the hart by time slices: the one whose turn it is keeps the
hart until it blocks or its SLICE is used up, then the next ready one of that priority after it
in table order has a turn (round robin). A more urgent task that preempts it in between does
not end its turn: it resumes with what was left. The timer is armed for the end of a turn only
while another task of the same priority is ready (notify.arm). With nothing ready, the kernel
waits in `wfi` (trap.py).

`task.hart.ready` has bit i set while task i is RUNNABLE, so the common cases need no scan: nothing
ready, or exactly one task ready.
"""

from downstairs.compiler.runtime import u8, u32, u64, array
import task
import notify

IDLE = 0xFF
SLICE = 100000              # time CSR ticks (10 ms at virt's 10 MHz)

turn: u32 = IDLE            # the task whose time slice is running, among tasks of equal priority
turn_end: u64 = notify.NEVER
bit_index = array(u8, 37)   # bit_index[(1 << i) % 37] = i: 37 is prime and 2 has order 36 mod 37


def init() -> None:
    for i in range(32):
        bit_index[(u64(1) << u64(i)) % 37] = u8(i)


def lowest_bit(mask: u32) -> u32:
    """The index of the lowest bit set in `mask` (not 0)."""
    return u32(bit_index[u64(mask & (~mask + 1)) % 37])


def pick() -> u32:
    """The task to run next, or IDLE: the most urgent RUNNABLE task; among several of the same
    priority the one whose turn it is, else the first after it in table order."""
    ready = task.hart.ready
    if ready == 0:
        return IDLE
    if ready & (ready - 1) == 0:
        return lowest_bit(ready)
    return most_urgent_after(turn if turn != IDLE else task.hart.current, ready)


def most_urgent_after(anchor: u32, ready: u32) -> u32:
    """The most urgent task in `ready`, `anchor` if it is one of them, else the first after it."""
    best: u32 = IDLE
    for k in range(task.count):
        i = (anchor + 1 + k) % task.count           # the anchor last: after it, the others in order
        if (ready >> i) & 1 != 0 and (best == IDLE or task.tasks[i].priority < task.tasks[best].priority):
            best = i
    if anchor < task.count and (ready >> anchor) & 1 != 0 and task.tasks[anchor].priority == task.tasks[best].priority:
        return anchor
    return best


def contended(chosen: u32) -> bool:
    """Whether another ready task has `chosen`'s priority (so turns matter)."""
    ready = task.hart.ready & ~(u32(1) << chosen)
    if ready == 0:
        return False
    for i in range(task.count):
        if (ready >> i) & 1 != 0 and task.tasks[i].priority == task.tasks[chosen].priority:
            return True
    return False


def take_turn(chosen: u32) -> u32:
    """Keep the turns of equal tasks: `chosen` (from pick) runs, unless its turn is over, when
    the next one of its priority does. Returns who runs; turn_end says when its turn ends
    (NEVER while it has no rival)."""
    global turn, turn_end
    if not contended(chosen):
        if chosen == turn:
            turn = IDLE
            turn_end = notify.NEVER
        return chosen
    time = notify.now()
    if chosen == turn and time < turn_end:
        return chosen
    if chosen == turn:
        ready = task.hart.ready & ~(u32(1) << chosen)
        chosen = most_urgent_after(chosen, ready)
    turn = chosen
    turn_end = time + SLICE
    return chosen


def timer_wanted(chosen: u32) -> u64:
    """When the timer must interrupt `chosen` for the scheduler: the end of its turn, or NEVER."""
    return turn_end if chosen == turn else notify.NEVER
