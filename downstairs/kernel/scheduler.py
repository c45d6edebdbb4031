"""The scheduler: which task runs next (docs/kernel.md, "Scheduling").

Strict priorities, as in Hubris: the most urgent RUNNABLE task runs (priority 0 first), and a
task that becomes runnable preempts a less urgent one at once, since every trap ends here.
Tasks of the same priority share the hart: the one running keeps it until it blocks or its
time slice ends (SLICE, armed by the timer only while another task of its priority is ready,
notify.py), then the next of that priority after it in table order runs (round robin). With
nothing to run, the kernel waits in `wfi` (trap.py).

`task.ready` has bit i set while task i is RUNNABLE, so the common cases need no scan: nothing
ready, or exactly one task ready.
"""

from downstairs.compiler.runtime import u8, u32, u64, array
import task
from task import RUNNABLE

IDLE = 0xFF
SLICE = 100000          # time CSR ticks (10 ms at virt's 10 MHz)

current: u32 = IDLE     # the task that runs (or ran last)
bit_index = array(u8, 37)   # bit_index[(1 << i) % 37] = i: 37 is prime and 2 has order 36 mod 37


def init() -> None:
    for i in range(32):
        bit_index[(u64(1) << u64(i)) % 37] = u8(i)


def lowest_bit(mask: u32) -> u32:
    """The index of the lowest bit set in `mask` (not 0)."""
    return u32(bit_index[u64(mask & (~mask + 1)) % 37])


def pick(rotate: bool) -> u32:
    """The task to run next, or IDLE. The most urgent RUNNABLE task; among several of the same
    priority the current one stays, unless `rotate` (its slice is over): then the next one
    after it in table order."""
    ready = task.ready
    if ready == 0:
        return IDLE
    if ready & (ready - 1) == 0:
        return lowest_bit(ready)
    best: u32 = IDLE
    for k in range(task.count):
        i = (current + 1 + k) % task.count        # current last: after it, the others in order
        if (ready >> i) & 1 != 0 and (best == IDLE or task.tasks[i].priority < task.tasks[best].priority):
            best = i
    if not rotate and current != IDLE and task.tasks[current].state == RUNNABLE \
            and task.tasks[current].priority == task.tasks[best].priority:
        return current
    return best


def contended() -> bool:
    """Whether another ready task has the current one's priority (so its slice matters)."""
    ready = task.ready
    if current == IDLE or ready & (ready - 1) == 0:
        return False
    for i in range(task.count):
        if i != current and (ready >> i) & 1 != 0 and task.tasks[i].priority == task.tasks[current].priority:
            return True
    return False
