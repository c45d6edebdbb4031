"""System call entry: an ecall from U-mode, its number in a7 (abi.py has every shape).

    number   abi name   handled by            Hubris's equivalent
    0        SEND       ipc.send / kernel()    Send
    1        RECV       ipc.recv               Recv (+ Reply first, as seL4's ReplyRecv)
    2        REPLY      ipc.reply              Reply
    3        BORROW     ipc.borrow             BorrowRead, BorrowWrite, BorrowInfo
    4        POST       ipc.post               Post

A SEND to KERNEL is one of the kernel's own operations (timer, interrupts, faults, restart,
power), answered at once in the caller's registers as any server would. A call made wrong
faults the caller (fault.py): a task is never told "bad argument", since a correct program
never makes such a call and a broken one should be stopped where it went wrong.
"""

from downstairs.compiler.runtime import u32, u64
import abi
import table
import task
from task import Task
import ipc
import irq
import fault
import notify
import sbi

A0 = 10
A7 = 17
ECALL_SIZE = 4


def dispatch(t: Task) -> None:
    """Task `t` made an ecall; its frame holds the arguments, and its pc is already the
    instruction after the ecall (the system-call entry put it there), where `t` resumes
    (whenever it runs again), unless it faulted."""
    number = t.frame.regs[A7]
    bad: u32 = 0
    if number == abi.SEND:
        if t.frame.regs[A0] == abi.KERNEL:
            bad = kernel(t)
        else:
            bad = ipc.send(t)
    elif number == abi.RECV:
        bad = ipc.recv(t)
    elif number == abi.REPLY:
        bad = ipc.reply(t)
    elif number == abi.BORROW:
        bad = ipc.borrow(t)
    elif number == abi.POST:
        bad = ipc.post(t)
    else:
        bad = abi.BAD_NUMBER
    if bad == abi.BAD_TARGET:
        fault.fault(t, abi.FAULT_SEND_DENIED, t.frame.pc - ECALL_SIZE, t.frame.regs[A0])
    elif bad != 0:
        fault.fault(t, abi.FAULT_SYSCALL, t.frame.pc - ECALL_SIZE, u64(bad))


def kernel(t: Task) -> u32:
    """SEND(KERNEL, op, w0..w3): the kernel's operations (abi.K_*). The reply goes straight into
    the caller's registers: a0 = OK, a1 = code (OK), a2.. = results."""
    r = t.frame.regs
    op = r[11]
    r[A0] = abi.OK
    r[11] = abi.OK
    if op == abi.K_TIMER:
        notify.set_timer(t, r[12], u32(r[13]))
        r[12] = notify.now()
    elif op == abi.K_NOW:
        r[12] = notify.now()
    elif op == abi.K_DEVICE and r[12] < table.MAX_DEVICES:
        k = u32(r[12])
        r[12] = table.device(t.index, k, False)
        r[13] = table.device(t.index, k, True)
        r[14] = u64(table.irq_bits(t.index, k)) if table.irq(t.index, k) != 0 else 0
    elif op == abi.K_IRQ:
        irq.done(t, u32(r[12]))
    elif op == abi.K_FAULT and t.index == table.supervisor():
        fault.next_fault(t)
    elif op == abi.K_RESTART and t.index == table.supervisor() and r[12] < u64(task.count) \
            and r[12] != u64(t.index):
        fault.restart(u32(r[12]))
    elif op == abi.K_POWER_OFF and table.may_power_off(t.index):
        sbi.shutdown(r[12] != 0)
        return abi.BAD_KERNEL_OP           # the firmware did not power off
    else:
        return abi.BAD_KERNEL_OP
    return 0
