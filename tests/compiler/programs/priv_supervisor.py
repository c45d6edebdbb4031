"""An S-mode program, as a kernel is one: started by SBI firmware (OpenSBI here) at 0x80200000,
it runs a U-mode task through a @supervisor_trap handler (trap_return enters U-mode with sret;
the task's ecalls come back into its TrapFrame), turns on Sv39 paging with page tables at
fixed addresses, changes a mapping and flushes it with sfence_vma_page, and powers off with
an SBI call made through ecall_regs. Compiled with --base 0x80200000."""

from downstairs.compiler.runtime import u64, u32, Array, array, record, entry, supervisor_trap, TrapFrame, trap_return
from downstairs.compiler.runtime import addr, at, hart_id, csr_read, csr_write, ecall, ecall_regs, load64, store64
from downstairs.compiler.runtime import sfence_vma, sfence_vma_page, sfence_vma_asid
from uart import puts, put_u64, put_hex, newline

SSTATUS = 0x100
SATP = 0x180
SSTATUS_SPP = 1 << 8
CAUSE_ECALL_U = 8
SBI_SRST = 0x53525354
TASK_PRINT = 1
TASK_EXIT = 2
PTE_V = 1
KERNEL_RWX = 0xCF          # V, R, W, X, A, D
WINDOW = 0xC0000000                  # a virtual page the test maps to one page, then another


@record
class Task:
    frame: TrapFrame
    stack: Array[u64, 256]
    calls: u64


task = Task()
root = at(0x80300000, array(u64, 512))         # Sv39 tables: 4 KiB aligned, so at fixed addresses
middle = at(0x80301000, array(u64, 512))
leaves = at(0x80302000, array(u64, 512))
pages = at(0x80303000, array(u64, 1024))       # two data pages the window shows in turn


def user_task(count: u64) -> None:
    """U-mode: asks the kernel to print its numbers, then to end it."""
    for k in range(count):
        ecall(TASK_PRINT, k * 11, 0, 0)
    ecall(TASK_EXIT, 0, 0, 0)


@supervisor_trap
def trap(frame: TrapFrame) -> None:
    if frame.cause != CAUSE_ECALL_U:
        puts(b"unexpected scause ")
        put_u64(frame.cause)
        newline()
        power_off()
    task.calls += 1
    frame.pc += 4
    if frame.regs[17] == TASK_PRINT:
        puts(b"task says ")
        put_u64(frame.regs[10])
        newline()
    else:
        puts(b"task done after ")
        put_u64(task.calls)
        puts(b" calls, sp kept: ")
        put_u64(u64(frame.regs[2] <= addr(task.stack) + 8 * 256 and frame.regs[2] >= addr(task.stack)))
        newline()
        paging()


def pte(physical: u64, flags: u64) -> u64:
    return ((physical >> 12) << 10) | flags


def paging() -> None:
    """Sv39: RAM and the devices identity-mapped by gigapages; WINDOW through two more levels
    to a 4 KiB page; the same virtual address shows the second page after the change."""
    root[0] = pte(0, KERNEL_RWX)                          # devices (UART, sifive_test)
    root[2] = pte(0x80000000, KERNEL_RWX)                 # RAM
    root[3] = pte(addr(middle), PTE_V)                    # WINDOW's gigabyte: a table
    middle[0] = pte(addr(leaves), PTE_V)
    leaves[0] = pte(addr(pages), KERNEL_RWX)
    pages[0] = 1111
    pages[512] = 2222
    csr_write(SATP, (u64(8) << 60) | (addr(root) >> 12))
    sfence_vma()
    puts(b"paging on, window shows ")
    put_u64(load64(WINDOW))
    leaves[0] = pte(addr(pages) + 4096, KERNEL_RWX)
    sfence_vma_page(WINDOW)
    puts(b", then ")
    put_u64(load64(WINDOW))
    store64(WINDOW + 8, 3333)
    sfence_vma_asid(0)
    puts(b", wrote through it: ")
    put_u64(pages[513])
    newline()
    power_off()


def power_off() -> None:
    regs = array(u64, 8)
    regs[7] = SBI_SRST                                    # a7 = extension, a6 = function 0
    ecall_regs(regs)                                      # a0 = 0: shutdown, a1 = 0: no reason
    puts(b"still here\n")


@entry(harts=1, stack=0x2000)
def main(hartid: u64, fdt: u64, info: u64) -> None:
    puts(b"S-mode on hart ")
    put_u64(hartid)
    puts(b", sstatus.SPP ")
    put_u64((csr_read(SSTATUS) >> 8) & 1)
    newline()
    task.frame.pc = addr(user_task)
    task.frame.status = csr_read(SSTATUS) & ~u64(SSTATUS_SPP)      # sret to U-mode
    task.frame.regs[2] = addr(task.stack) + 8 * 256
    task.frame.regs[10] = 3
    trap_return(task.frame)
