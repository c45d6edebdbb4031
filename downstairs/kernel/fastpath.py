"""System calls come here first: the fast path of a client/server round trip (seL4's
fastpath.c; docs/kernel.md, "Costs").

An ecall from U-mode enters through the compiler's system-call entry (docs/compiler-
language.md, "System calls"): it saves what the system-call ABI keeps (ra, sp, gp, tp,
s0..s11) and the arguments a0..a7, steps the pc over the ecall, and calls `system_call` with
the running task itself, whose record begins with the frame sscratch named. The two calls of
a round trip are then done here, on the task's page table (the kernel's image is mapped
there), when nothing else is going on:

    SEND  with no leases, to a task it may send to that is at least as urgent and waits in
          an open RECV                    -> the message into the server's registers, the
                                             client WAITING, the server runs
    RECV  with a reply, to a caller waiting for this task, when no notification in the
          mask and no message is waiting  -> the reply into the caller's registers, this
                                             task RECEIVING, the caller runs

In both, the caller is the only ready task before and the other one is the only one after, so
the other one is what the scheduler would pick, and no turns are kept: it becomes the current
task, and task.switch_to enters it. Each check and each
change is one of ipc.send's, ipc.recv's or ipc.reply's, written out over what the tasks keep
ready for it (Task.bit, fast_sends, caller_id); anything else goes to trap.system_call. (One
thing is left out: the RECV's own a0, REPLY's status OK, is not written. The task waits in
RECEIVING, and whatever wakes it, a message or a notification, writes its a0.)
"""

from downstairs.compiler.runtime import u32, supervisor_syscall
import abi
import table
import task
from task import Task, RUNNABLE, WAITING, RECEIVING
import trap

A0 = 10
A6 = 16
A7 = 17


@supervisor_syscall
def system_call(t: Task) -> None:
    """Task `t` made an ecall (its frame holds a0..a7, its pc is past the ecall). Enters the
    other task of a round trip at once when the fast path applies, else trap.system_call.
    (Registers are written t.frame.regs[k] each time: a name for them would cost a copy.)"""
    h = task.hart
    if h.ready == t.bit:
        number = t.frame.regs[A7]
        if number == abi.SEND:
            target = t.frame.regs[A0]
            if t.frame.regs[A6] == 0 and target < table.MAX_TASKS and (t.fast_sends >> target) & 1 != 0:
                server = task.tasks[target & task.INDEX]
                if server.state == RECEIVING and (server.frame.regs[A6] >> abi.CLOSED_BIT) & 1 == 0:
                    server.frame.regs[A0] = t.caller_id         # ipc.deliver, with no leases
                    server.frame.regs[11] = t.frame.regs[11]
                    server.frame.regs[12] = t.frame.regs[12]
                    server.frame.regs[13] = t.frame.regs[13]
                    server.frame.regs[14] = t.frame.regs[14]
                    server.frame.regs[15] = t.frame.regs[15]
                    server.frame.regs[A6] = 0
                    t.peer = u32(target)
                    t.state = WAITING
                    server.state = RUNNABLE
                    h.ready = server.bit
                    h.current = server.index
                    task.switch_to(server)
        elif number == abi.RECV:
            caller = t.frame.regs[A0]                   # ipc.waiting_caller: the id names it exactly
            c = task.tasks[caller & task.INDEX]         # (ids have bits 4..7 clear: NONE names nobody)
            mask = u32(t.frame.regs[A6])
            if c.caller_id == caller and c.state == WAITING and c.peer == t.index and t.pending & mask == 0 \
                    and (t.callers == 0 or (t.frame.regs[A6] >> abi.CLOSED_BIT) & 1 != 0):
                c.frame.regs[A0] = abi.OK               # ipc.answer
                c.frame.regs[11] = t.frame.regs[11]
                c.frame.regs[12] = t.frame.regs[12]
                c.frame.regs[13] = t.frame.regs[13]
                c.frame.regs[14] = t.frame.regs[14]
                c.frame.regs[15] = t.frame.regs[15]
                c.leases = 0                            # lease.end: its call is over
                t.mask = mask
                t.state = RECEIVING
                c.state = RUNNABLE
                h.ready = c.bit
                h.current = c.index
                task.switch_to(c)
    trap.system_call(t)
