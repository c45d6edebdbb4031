"""The kernel's entry: where SBI firmware (OpenSBI's fw_dynamic, or ours) jumps in S-mode, at
0x80200000 with a0 = the hart id and a1 = the device tree (xv6's main.c).

    1. the task table, at the first page after the kernel's image (table.py)
    2. what the hart offers: Sstc's stimecmp, and how many ASID bits satp keeps (probed)
    3. for each task: its record, its Sv39 address space, its memory from its image
    4. the PLIC for the tasks' interrupts, the timer and external interrupts on in sie
    5. the scheduler picks the first task, and the kernel is only ever entered by traps

One hart: the compiler's entry code parks any other (the kernel has one stack and one current
task). The kernel owns no device: even its own words at a panic go through the SBI console.
"""

from downstairs.compiler.runtime import u8, u32, u64, entry, image_end, csr_read, csr_write, csr_set, sfence_vma
import table
import task
import vm
import irq
import notify
import scheduler
import ipc
import trap
import fastpath

CSR_SIE = 0x104
CSR_SATP = 0x180
CSR_STIMECMP = 0x14D
CSR_SCOUNTEREN = 0x106
COUNTERS = 7                # U-mode may read cycle, time and instret (benchmarks count with instret)
SIE_STIE = 1 << 5
PAGE = 4096
ASID_ALL = 0xFFFF << 44


def probe_sstc() -> bool:
    """Whether stimecmp works in S-mode: the firmware allows it (menvcfg.STCE) only where the
    hart has Sstc; elsewhere the access is an illegal instruction, which trap.py steps over."""
    trap.probing = True
    trap.probe_failed = False
    csr_write(CSR_STIMECMP, notify.NEVER)
    trap.probing = False
    return not trap.probe_failed


def probe_asids(probe_satp: u64) -> bool:
    """Whether satp keeps ASID bits: write all ones with a real root table, read back (priv spec
    12.1.11), then go back to Bare."""
    csr_write(CSR_SATP, probe_satp | ASID_ALL)
    kept = csr_read(CSR_SATP) & ASID_ALL
    csr_write(CSR_SATP, 0)
    sfence_vma()
    return kept >= (u64(15) << 44)


def setup(where: u64) -> None:
    """Steps 1, 3 and 4 from the task table at `where`: every task ready to run (tests under
    CPython start here, with a table they place themselves)."""
    task.count = table.read_header(where)
    vm.add_frames(table.header(table.H_FRAMES), table.header(table.H_FRAMES_END))
    scheduler.init()
    for i in range(task.count):
        task.setup(i)
        task.tasks[i].satp = vm.build(i)
        task.start(i)
    for i in range(task.count):
        ipc.prepare_fast(task.tasks[i])
    irq.setup(table.header(table.H_PLIC))


@entry(harts=1, stack=0x2000)
def main(hartid: u64, fdt: u64) -> None:
    setup((image_end() + PAGE - 1) & ~u64(PAGE - 1))
    flush = u8(not probe_asids(task.tasks[0].satp))
    for i in range(task.count):
        task.tasks[i].flush = flush
    notify.sstc = probe_sstc()
    csr_write(CSR_SCOUNTEREN, COUNTERS)
    csr_set(CSR_SIE, SIE_STIE)
    sfence_vma()
    trap.run()
