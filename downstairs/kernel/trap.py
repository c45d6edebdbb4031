"""Every trap into the kernel, and the way out to a task (xv6's trap.c; RISC-V privileged spec
4.1: scause, sepc, stval, sstatus, sip/sie).

System calls (ecalls from U-mode) come through the compiler's system-call entry to
fastpath.system_call, and those it does not take to system_call here. Every other trap comes
through the compiler's trap entry (docs/compiler-language.md, "Traps"), which has saved every
register of the running task into its TrapFrame (sscratch named it) when `trap` runs, still
on the task's page table, where the kernel's image is mapped without U. The first thing both
do here is turn translation off: the kernel works on physical addresses (satp = Bare). Then:

    scause                         what it is                        who handles it
    exception 8  (ecall from U)    a system call                      fastpath, else syscall.dispatch
    interrupt 5  (STI)             the timer: deadlines, time slice   notify.expire, scheduler
    interrupt 9  (SEI)             a device, through the PLIC         irq.external
    any other exception from U     a fault of the task                fault.fault
    anything from S                a fault of the kernel itself       panic.kernel_trap

and always last run(): the scheduler picks a task, and task.enter switches to its address space
and restores its registers (trap_return: sret). With nothing to run the kernel waits in wfi,
with interrupts masked (sstatus.SIE = 0) so that they wake it without trapping.
"""

from downstairs.compiler.runtime import u32, u64, TrapFrame, supervisor_trap, csr_read, csr_write, wfi
import task
from task import Task
import scheduler
from scheduler import IDLE
import syscall
import fault
import irq
import notify
import panic

CSR_SATP = 0x180
CSR_SIP = 0x144
SSTATUS_SPP = 1 << 8
INTERRUPT = 1 << 63
IRQ_TIMER = 5
IRQ_EXTERNAL = 9
SIP_STIP = 1 << 5
SIP_SEIP = 1 << 9

probing: bool = False       # boot.py is trying a CSR that may not exist ...
probe_failed: bool = False  # ... and it did not
ILLEGAL_INSTRUCTION = 2
CSR_INSTRUCTION = 4


def system_call(t: Task) -> None:
    """A system call of task `t` the fast path (fastpath.py) does not take: off translation,
    the general dispatch, and whoever the scheduler picks runs next."""
    csr_write(CSR_SATP, 0)
    syscall.dispatch(t)
    run()


@supervisor_trap
def trap(frame: TrapFrame) -> None:
    """Every other trap. It ends by entering a task, except after a probe's expected fault:
    then it returns, and the trap entry goes back to the kernel's code."""
    global probe_failed
    csr_write(CSR_SATP, 0)
    if frame.status & SSTATUS_SPP != 0:
        if probing and frame.cause == ILLEGAL_INSTRUCTION:
            probe_failed = True
            frame.pc += CSR_INSTRUCTION
            return
        panic.kernel_trap(frame.cause, frame.pc, frame.tval)
    if frame.cause & INTERRUPT != 0:
        code = frame.cause & 0xFF
        if code == IRQ_TIMER:
            timer()
        elif code == IRQ_EXTERNAL:
            irq.external()
    else:
        fault.fault(task.tasks[task.hart.current], frame.cause, frame.pc, frame.tval)
    run()


def timer() -> None:
    """The timer fired: post expired deadlines (run() then sees whether a turn is over)."""
    notify.armed = 0                    # whatever happens, write the timer again
    notify.expire()


def idle() -> None:
    """Nothing to run: wait for an interrupt and handle it where the kernel is."""
    wfi()
    pending = csr_read(CSR_SIP)
    if pending & SIP_STIP != 0:
        timer()
        notify.arm(notify.NEVER)
    if pending & SIP_SEIP != 0:
        irq.external()


def run() -> None:
    """Enter the task the scheduler picks (waiting for one if none is ready). Does not return."""
    chosen = scheduler.pick()
    while chosen == IDLE:
        idle()
        chosen = scheduler.pick()
    chosen = scheduler.take_turn(chosen)
    notify.arm(scheduler.timer_wanted(chosen))
    task.enter(task.tasks[chosen])
