"""Messages: SEND, RECV and REPLY, the kernel's one way for tasks to talk (docs/kernel.md, "One
message"; seL4's Call/ReplyRecv and Hubris's kernel/src/syscalls.rs are the models).

A message never rests in kernel memory. Until it is received it stays in the sender's saved
registers (a1 = op, a2..a5 = four words, in its TrapFrame); delivery copies those five
registers into the receiver's frame, and the reply copies five back the other way:

    client                    kernel                              server
    SEND(target, op, words)   target in RECV? deliver now:        RECV returns: a0 = caller id,
      state WAITING   ------>  frame -> frame, server RUNNABLE ->  a1 = op, a2..a5, a6 = leases
                               else: client SENDING, target's
                               `callers` bit set; the server's
                               next RECV takes it
      SEND returns    <------  REPLY / RECV(reply-to): frame ->  <- REPLY(caller id, code, words)
      a0 = OK, a1 = code,      frame, client RUNNABLE, its leases
      a2..a5                   end

A sender waits in SENDING until its message is taken, then in WAITING until the reply. A task
in RECV with no message or notification for it waits in RECEIVING. Which task runs next is the
scheduler's choice, after every system call.

Every function here takes the task making the call, its arguments already in its frame, and
returns 0 or the abi.BAD_* reason the caller should fault with (syscall.py faults it).
"""

from downstairs.compiler.runtime import u32, u64
import abi
import table
import task
from task import Task, RUNNABLE, SENDING, WAITING, RECEIVING, FAULTED
import lease
import notify
import scheduler

A0 = 10
A1 = 11
A6 = 16


def deliver(sender: Task, receiver: Task, leases: u32) -> None:
    """Move `sender`'s message into `receiver`'s registers: a0 = who sent it (its caller id),
    a1..a5 = op and words, a6 = how many leases came with it. (States are the caller's job.)"""
    r = receiver.frame.regs
    s = sender.frame.regs
    r[A0] = sender.caller_id
    r[11] = s[11]
    r[12] = s[12]
    r[13] = s[13]
    r[14] = s[14]
    r[15] = s[15]
    r[A6] = u64(leases)
    sender.peer = receiver.index


def send(caller: Task) -> u32:
    """SEND: a0 = target, a1 = op, a2..a5 = words, a6 = lease list (0: none)."""
    target = caller.frame.regs[A0]
    if target >= u64(task.count) or target == u64(caller.index) or not table.allowed(caller.index, u32(target)):
        return abi.BAD_TARGET
    if lease.lend(caller, caller.frame.regs[A6]) == lease.BAD:
        return abi.BAD_LEASE_LIST
    server = task.tasks[target]
    if server.state == FAULTED:
        lease.end(caller.index)
        caller.frame.regs[A0] = abi.DEAD
        return 0
    caller.peer = u32(target)
    if server.state == RECEIVING and server.frame.regs[A6] & abi.CLOSED == 0:
        deliver(caller, server, lease.count(caller.index))
        task.set_state(caller, WAITING)
        task.set_state(server, RUNNABLE)
    else:
        task.set_state(caller, SENDING)
        server.callers |= u32(1) << caller.index
    return 0


def recv(receiver: Task) -> u32:
    """RECV: first reply to a0 unless it is NONE (a1 = code, a2..a5 = words), then take
    the pending notifications in mask a6, else the most urgent waiting message (unless a6 has
    abi.CLOSED: notifications only), else wait."""
    if receiver.frame.regs[A0] != abi.NONE:
        bad = reply(receiver)
        if bad != 0:
            return bad
    receiver.mask = u32(receiver.frame.regs[A6])
    if receiver.pending & receiver.mask != 0:
        notify.deliver(receiver)
        return 0
    if receiver.callers != 0 and receiver.frame.regs[A6] & abi.CLOSED == 0:
        sender = most_urgent(receiver.callers)
        receiver.callers &= ~(u32(1) << sender)
        deliver(task.tasks[sender], receiver, lease.count(sender))
        task.set_state(task.tasks[sender], WAITING)
        return 0
    task.set_state(receiver, RECEIVING)
    return 0


def most_urgent(callers: u32) -> u32:
    """The most urgent task among the bits of `callers` (the lowest index among equals)."""
    if callers & (callers - 1) == 0:
        return scheduler.lowest_bit(callers)
    best: u32 = 0xFF
    for i in range(task.count):
        if (callers >> i) & 1 != 0 and (best == 0xFF or task.tasks[i].priority < task.tasks[best].priority):
            best = i
    return best


BAD_CALLER = 0x100
DEAD_CALLER = 0x101


def waiting_caller(server: Task, caller: u64) -> u32:
    """The task a REPLY or BORROW of `server` names by caller id: its index; DEAD_CALLER if it
    has been restarted since (or has died), BAD_CALLER if it is not waiting for `server`."""
    index = caller & abi.INDEX_MASK
    generation = caller >> abi.GENERATION_SHIFT
    if index < u64(task.count):
        c = task.tasks[index]
        if c.state == WAITING and c.peer == server.index and u64(c.generation & 0xFF) == generation:
            return u32(index)
        if generation <= 0xFF and (u64(c.generation & 0xFF) != generation or c.state == FAULTED):
            return DEAD_CALLER
    return BAD_CALLER


def reply(server: Task) -> u32:
    """REPLY (and RECV's reply-to): a0 = caller id, a1 = code, a2..a5 = words. The caller
    runs on with a0 = OK and the reply; the server's a0 = OK, or DEAD if the caller is gone."""
    index = waiting_caller(server, server.frame.regs[A0])
    if index == BAD_CALLER:
        return abi.BAD_CALLER
    if index == DEAD_CALLER:
        server.frame.regs[A0] = abi.DEAD
        return 0
    answer(server, task.tasks[index])
    lease.end(index)
    task.set_state(task.tasks[index], RUNNABLE)
    server.frame.regs[A0] = abi.OK
    return 0


def answer(server: Task, c: Task) -> None:
    """Move `server`'s reply (a1 = code, a2..a5) into waiting caller `c`'s registers, with
    a0 = OK. (Its leases and state are the caller's job.)"""
    r = c.frame.regs
    s = server.frame.regs
    r[A0] = abi.OK
    r[11] = s[11]
    r[12] = s[12]
    r[13] = s[13]
    r[14] = s[14]
    r[15] = s[15]


def borrow(server: Task) -> u32:
    """BORROW: a0 = caller id, a1 = lease index, a2 = offset, a3 = address, a4 = length,
    a5 = direction. Length 0 asks instead for the lease's length (a1) and flags (a2)."""
    s = server.frame.regs
    index = waiting_caller(server, s[A0])
    if index == BAD_CALLER:
        return abi.BAD_CALLER
    if index == DEAD_CALLER:
        s[A0] = abi.DEAD
        return 0
    lender = task.tasks[index]
    if s[11] >= abi.MAX_LEASES:
        return abi.BAD_LEASE
    if s[14] == 0:
        length = lease.info(lender, u32(s[11]), 0)
        if length == lease.BAD:
            return abi.BAD_LEASE
        s[12] = lease.info(lender, u32(s[11]), 1)
        s[11] = length
        s[A0] = abi.OK
        return 0
    bad = lease.borrow(lender, u32(s[11]), s[12], server, s[13], s[14], s[15])
    if bad != 0:
        return bad
    s[A0] = abi.OK
    return 0


def post(poster: Task) -> u32:
    """POST: a0 = task, a1 = bits."""
    target = poster.frame.regs[A0]
    if target >= u64(task.count) or not table.allowed(poster.index, u32(target)):
        return abi.BAD_TARGET
    notify.post(task.tasks[target], u32(poster.frame.regs[A1]))
    poster.frame.regs[A0] = abi.OK
    return 0


def abandon(t: Task) -> None:
    """Task `t` stops (a fault or a restart): whoever waits on it gets DEAD and runs on; a
    message it was sending is withdrawn. Its own leases end."""
    if t.state == SENDING:
        task.tasks[t.peer].callers &= ~(u32(1) << t.index)
    lease.end(t.index)
    for i in range(task.count):
        c = task.tasks[i]
        if (c.state == SENDING or c.state == WAITING) and c.peer == t.index and i != t.index:
            c.frame.regs[A0] = abi.DEAD
            lease.end(c.index)
            task.set_state(c, RUNNABLE)
    t.callers = 0


def prepare_fast(t: Task) -> None:
    """What fastpath.py knows of `t` before any call (priorities never change): the tasks it
    may SEND to that are at least as urgent as itself. (Every task's record is set up.)"""
    urgent: u32 = 0
    for i in range(task.count):
        if task.tasks[i].priority <= t.priority:
            urgent |= task.tasks[i].bit
    t.fast_sends = u64(table.rights[t.index].mask & urgent)
