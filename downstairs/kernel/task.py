"""Tasks: what the kernel keeps for each one, and starting one afresh (xv6's proc.c).

The tasks are fixed when the system is built (table.py reads them at boot); none is created at
run time. Each has a TrapFrame that holds its registers whenever it is not running: while it
runs, sscratch names that frame, so a trap saves the task's registers straight into it
(docs/compiler-language.md, "Traps"). A task is in one state:

    RUNNABLE   ready to run (or running)                 -> anything below, by a system call
    SENDING    its message waits for `peer` to RECV it  -> WAITING when it is received
    WAITING    received; waits for `peer` to REPLY      -> RUNNABLE with the reply
    RECEIVING  waits for a message or a notification in `mask`
    FAULTED    stopped; the supervisor was told         -> RUNNABLE when it restarts it

Its memory, one range of physical RAM from the task table, mapped at the same addresses in its
own address space (vm.py):

    base                                      base + size
    | text (read, execute) | data, bss (read, write) | unmapped ... | stack (read, write) |
    ^ image copied here at every start          zeroed ^                      sp starts ^
"""

from downstairs.compiler.runtime import u8, u32, u64, record, array, Array, TrapFrame, load64, store64, store8, \
    load8, fence_i, csr_write, sfence_vma, trap_return
import abi
import table

RUNNABLE = 0
SENDING = 1
WAITING = 2
RECEIVING = 3
FAULTED = 4

SSTATUS_SPIE = 1 << 5      # sret turns interrupts on for U-mode ...
SSTATUS_SPP = 1 << 8       # ... and returns to U-mode when this is clear
PAGE = 4096


@record
class Task:
    frame: TrapFrame        # its registers while it is not running
    satp: u64               # its address space (vm.py)
    base: u64               # its memory: [base, base + size)
    size: u64
    text_end: u64           # [base, text_end) read + execute
    data_end: u64           # [text_end, data_end) read + write
    stack_bottom: u64       # [stack_bottom, base + size) read + write
    deadline: u64           # its timer: post timer_bits when time >= deadline (0: none)
    fault_cause: u64        # why it stopped, for the supervisor (K_FAULT)
    fault_pc: u64
    fault_tval: u64
    caller_id: u64          # index | generation << 8, as RECV names it to a server (abi.py)
    index: u32              # its place in the task table
    bit: u32                # 1 << index: its bit in `hart.ready` and in callers masks
    fast_sends: u64         # the tasks it may SEND to that are at least as urgent (fastpath.py)
    generation: u32         # how many times it was restarted
    peer: u32               # SENDING / WAITING: the task it called
    mask: u32               # RECEIVING: the notification bits that wake it
    pending: u32            # notification bits posted and not yet received
    callers: u32            # the tasks SENDING to it: bit i for task i
    timer_bits: u32
    state: u8
    priority: u8
    reported: u8            # FAULTED: the supervisor has asked about it
    leases: u8              # how many leases it lent with the call it is in (lease.py)
    flush: u8               # entering it flushes the TLB first (the hart keeps no ASIDs: boot.py)
    spare: Array[u64, 9]    # to 512 bytes: tasks[i] is then a shift and an add away


tasks = array(Task, table.MAX_TASKS)
INDEX = table.MAX_TASKS - 1     # tasks[i & INDEX] for an i known to be a task's index: no bounds check
count: u32 = 0


@record
class Hart:
    """What the kernel keeps of the hart's work, together: one address for the fast path."""
    ready: u32              # bit i: task i is RUNNABLE (the scheduler's quick answer)
    current: u32            # the task that runs (or ran last; 0xFF before the first)


hart = Hart(0, 0xFF)
CSR_SATP = 0x180


def set_state(t: Task, state: u8) -> None:
    """Every change of a task's state goes through here, so `hart.ready` stays true (but for
    fastpath.py, which knows the whole ready set and writes it outright)."""
    t.state = state
    if state == RUNNABLE:
        hart.ready |= t.bit
    else:
        hart.ready &= ~t.bit


def enter(t: Task) -> None:
    """Run task `t` (does not return): it becomes the current task, then switch_to(t)."""
    hart.current = t.index
    switch_to(t)


def switch_to(t: Task) -> None:
    """Task `t`'s address space, then its registers (trap_return: does not return); the
    caller has made it current. Without ASIDs the hart cannot tell the spaces' translations
    apart: they are flushed at every entry (t.flush)."""
    csr_write(CSR_SATP, t.satp)
    if t.flush != 0:
        sfence_vma()
    trap_return(t.frame)


def setup(index: u32) -> None:
    """Fill task `index`'s record from the task table (once, at boot)."""
    t = tasks[index]
    t.index = index
    t.bit = u32(1) << index
    t.priority = table.priority(index)
    t.base = table.field(index, table.T_BASE)
    t.size = table.field(index, table.T_SIZE)
    t.text_end = t.base + table.field(index, table.T_TEXT)
    t.data_end = t.text_end + table.field(index, table.T_DATA)
    t.stack_bottom = t.base + t.size - table.field(index, table.T_STACK)


def start(index: u32) -> None:
    """Start task `index` afresh: its code and data copied from its image, its bss zeroed, its
    registers cleared, sp at the top of its memory, pc at its entry, in U-mode with interrupts on.
    Its notifications, timer and fault are forgotten; its generation moves on (restarts)."""
    t = tasks[index]
    image = table.field(index, table.T_IMAGE)
    size = table.field(index, table.T_IMAGE_SIZE)
    copy(t.base, image, size)
    zero(t.base + size, t.data_end - (t.base + size))
    fence_i()
    for r in range(32):
        t.frame.regs[r] = 0
    t.frame.regs[2] = t.base + t.size                       # sp
    t.frame.pc = table.field(index, table.T_ENTRY)
    t.frame.status = SSTATUS_SPIE                           # SPP = 0: U-mode
    t.caller_id = u64(index) | (u64(t.generation & 0xFF) << abi.GENERATION_SHIFT)
    set_state(t, RUNNABLE)
    t.pending = 0
    t.mask = 0
    t.callers = 0
    t.deadline = 0
    t.timer_bits = 0
    t.reported = 0
    t.fault_cause = 0
    t.fault_pc = 0
    t.fault_tval = 0


def copy(dst: u64, src: u64, length: u64) -> None:
    """Copy `length` bytes between physical addresses: 64 at a time while both are aligned,
    then bytes (images, leases and sectors are mostly whole pages)."""
    k: u64 = 0
    if (dst | src) & 7 == 0:
        while k + 64 <= length:
            a = src + k
            b = dst + k
            store64(b, load64(a))
            store64(b + 8, load64(a + 8))
            store64(b + 16, load64(a + 16))
            store64(b + 24, load64(a + 24))
            store64(b + 32, load64(a + 32))
            store64(b + 40, load64(a + 40))
            store64(b + 48, load64(a + 48))
            store64(b + 56, load64(a + 56))
            k += 64
    while k < length:
        store8(dst + k, load8(src + k))
        k += 1


def zero(dst: u64, length: u64) -> None:
    """Zero `length` bytes from physical address `dst` (64 at a time while aligned)."""
    k: u64 = 0
    if dst & 7 == 0:
        while k + 64 <= length:
            a = dst + k
            store64(a, 0)
            store64(a + 8, 0)
            store64(a + 16, 0)
            store64(a + 24, 0)
            store64(a + 32, 0)
            store64(a + 40, 0)
            store64(a + 48, 0)
            store64(a + 56, 0)
            k += 64
    while k < length:
        store8(dst + k, 0)
        k += 1


def readable(t: Task, address: u64, length: u64) -> bool:
    """Whether [address, address + length) lies inside memory task `t` may read (its text, its
    data or its stack: one range, no wrap-around)."""
    end = address + length
    if end < address:
        return False
    return (t.base <= address and end <= t.data_end) or (t.stack_bottom <= address and end <= t.base + t.size)


def writable(t: Task, address: u64, length: u64) -> bool:
    """Whether [address, address + length) lies inside memory task `t` may write (its data or
    its stack)."""
    end = address + length
    if end < address:
        return False
    return (t.text_end <= address and end <= t.data_end) or (t.stack_bottom <= address and end <= t.base + t.size)
