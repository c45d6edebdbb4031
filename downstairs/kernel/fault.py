"""Faults, and the supervisor protocol that answers them (Hubris's jefe and its kernel calls).

A task faults when it traps with anything but an ecall (an illegal instruction, a page fault,
a misaligned access, an ebreak: scause's exception code) or makes a system call wrong (a bad
number or argument, a send the table does not allow: FAULT_SYSCALL, FAULT_SEND_DENIED). The
kernel does not crash and does not guess: the task stops (FAULTED), whoever waits on it gets
DEAD, and the supervisor task gets notification bit FAULT_BIT. The supervisor then asks

    SEND(KERNEL, K_FAULT)            -> w0 = the task, w1 = cause, w2 = pc, w3 = tval
    SEND(KERNEL, K_RESTART, task)    -> the task starts afresh, one generation on

and decides what to do: ours restarts every task that faults. Only the supervisor may ask;
a fault of the supervisor itself is the end of the system (a kernel panic).
"""

from downstairs.compiler.runtime import u8, u32, u64
import abi
import table
import task
from task import Task, FAULTED
import ipc
import notify
import panic


def fault(t: Task, cause: u64, pc: u64, tval: u64) -> None:
    """Stop task `t` for `cause` at `pc` and tell the supervisor."""
    if t.index == table.supervisor():
        panic.task_died(t.index, cause, pc, tval)
    ipc.abandon(t)
    t.fault_cause = cause
    t.fault_pc = pc
    t.fault_tval = tval
    t.reported = 0
    t.deadline = 0
    task.set_state(t, FAULTED)
    notify.post(task.tasks[table.supervisor()], abi.FAULT_BIT)


def next_fault(supervisor: Task) -> None:
    """K_FAULT: tell the supervisor of one faulted task it has not heard of yet, in its reply
    registers: code OK, w0..w3 = index, cause, pc, tval; or code NONE."""
    r = supervisor.frame.regs
    r[10] = abi.OK
    r[11] = abi.NONE
    for i in range(task.count):
        t = task.tasks[i]
        if t.state == FAULTED and t.reported == 0:
            t.reported = 1
            r[11] = abi.OK
            r[12] = u64(i)
            r[13] = t.fault_cause
            r[14] = t.fault_pc
            r[15] = t.fault_tval
            return


def restart(index: u32) -> None:
    """K_RESTART: task `index` starts again from its image, whatever it was doing; whoever
    waited on it gets DEAD."""
    t = task.tasks[index]
    if t.state != FAULTED:
        ipc.abandon(t)
    t.generation += 1
    task.start(index)
