"""System calls, as a kernel takes them (docs/compiler-language.md, "System calls"): an S-mode
program, started by SBI firmware (OpenSBI) at 0x80200000, runs two U-mode tasks whose records
begin with their TrapFrames. Their ecalls go to the @supervisor_syscall handler, which gets the
task's record itself; returning from it resumes the task after its ecall; trap_return into the
other task's frame switches tasks. The values a task keeps across its calls (in callee-saved
registers) survive them. Another trap from U-mode (an illegal instruction: reading sstatus)
goes to the @supervisor_trap handler. The sifive_test device powers the machine off.
Compiled with --base 0x80200000."""

from downstairs.compiler.runtime import u64, Array, array, record, entry, supervisor_trap, supervisor_syscall, \
    TrapFrame, trap_return, addr, csr_read, ecall, ecall_regs, store32
from uart import puts, put_u64, newline

SSTATUS = 0x100
SSTATUS_SPP = 1 << 8
CAUSE_ILLEGAL = 2
ADD = 1
DONE = 2
FINISHER = 0x100000
PASS = 0x5555


@record
class Task:
    frame: TrapFrame
    number: u64
    calls: u64
    stack: Array[u64, 256]


tasks = array(Task, 2)


def work(seed: u64) -> None:
    """U-mode: three values kept across system calls, and the sums the kernel makes."""
    a = seed * 3 + 1
    b = seed * 5 + 2
    c = seed * 7 + 3
    total: u64 = 0
    for k in range(4):
        total += ecall(ADD, u64(k), a, b)                     # the kernel adds its a0, a1, a2
        total += c
    csr_read(SSTATUS)                                     # an S-mode CSR: illegal in U-mode
    regs = array(u64, 8)
    regs[0] = total
    regs[1] = a + b + c
    regs[7] = DONE
    ecall_regs(regs)


@supervisor_syscall
def system_call(t: Task) -> None:
    t.calls += 1
    if t.frame.regs[17] == ADD:
        t.frame.regs[10] = t.frame.regs[10] + t.frame.regs[11] + t.frame.regs[12]
        return                                            # back to the task, after its ecall
    puts(b"task ")
    put_u64(t.number)
    puts(b": total ")
    put_u64(t.frame.regs[10])
    puts(b", kept ")
    put_u64(t.frame.regs[11])
    puts(b", calls ")
    put_u64(t.calls)
    newline()
    if t.number == 0:
        trap_return(tasks[1].frame)                       # the other task's turn
    store32(FINISHER, PASS)


@supervisor_trap
def trap(frame: TrapFrame) -> None:
    puts(b"trap: cause ")
    put_u64(frame.cause)
    puts(b" from U-mode ")
    put_u64(u64(frame.status & SSTATUS_SPP == 0))
    newline()
    if frame.cause != CAUSE_ILLEGAL:
        store32(FINISHER, PASS + 1)
    frame.pc += 4                                         # step over the csrr


@entry(harts=1, stack=0x2000)
def main(hartid: u64, fdt: u64, info: u64) -> None:
    puts(b"kernel on hart ")
    put_u64(hartid)
    newline()
    for i in range(2):
        t = tasks[i]
        t.number = u64(i)
        t.frame.pc = addr(work)
        t.frame.status = csr_read(SSTATUS) & ~u64(SSTATUS_SPP)       # sret to U-mode
        t.frame.regs[2] = addr(t.stack) + 8 * 256
        t.frame.regs[10] = u64(10 + i)
    trap_return(tasks[0].frame)
