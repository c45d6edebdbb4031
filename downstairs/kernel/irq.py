"""Interrupts: a device's interrupt becomes notification bits of the task that owns the device
(the task table says which bits). The kernel never touches the device itself.

The PLIC (RISC-V PLIC specification 1.0.0), as on QEMU's virt board, for hart h's S-mode,
context c = 2h + 1:

    base + 4 * source                 priority of a source (0 = never)
    base + 0x2000 + 0x80 * c          enable bits, one per source
    base + 0x200000 + 0x1000 * c      priority threshold
    base + 0x200004 + 0x1000 * c      claim (read: the source, now in service) / complete (write it)

An external interrupt: the kernel claims every pending source and posts the owner's bits, and
does not complete the claim, so the source stays quiet while the driver works. When the driver
has dealt with its device it sends K_IRQ with those bits; then the kernel completes the claim,
and the device may interrupt again (at once, if it still wants attention).
"""

from downstairs.compiler.runtime import u8, u32, u64, array, load32, store32, csr_set
import table
import task
from task import Task
import notify

SOURCES = 128
NOBODY = 0xFF
CSR_SIE = 0x104
SIE_SEIE = 1 << 9
CONTEXT = 1                         # hart 0, S-mode

plic: u64 = 0
owner = array(u8, SOURCES)          # owner[source]: the task, or NOBODY
bits = array(u32, SOURCES)          # what source posts to its owner
claimed = array(u8, SOURCES)        # 1 while a claim waits for K_IRQ


def enable_register() -> u64:
    return plic + 0x2000 + 0x80 * CONTEXT


def claim_register() -> u64:
    return plic + 0x200004 + 0x1000 * CONTEXT


def setup(base: u64) -> None:
    """At boot: every interrupt of the task table at priority 1, enabled for this hart's S-mode,
    threshold 0; external interrupts on in sie."""
    global plic
    plic = base
    for s in range(SOURCES):
        owner[s] = NOBODY
    for i in range(task.count):
        for k in range(table.MAX_IRQS):
            source = table.irq(i, u32(k))
            if source != 0 and source < SOURCES:
                owner[source] = u8(i)
                bits[source] = table.irq_bits(i, u32(k))
                store32(plic + 4 * u64(source), 1)
                word = enable_register() + u64(source // 32) * 4
                store32(word, load32(word) | (u32(1) << (source % 32)))
    store32(plic + 0x200000 + 0x1000 * CONTEXT, 0)
    csr_set(CSR_SIE, SIE_SEIE)


def external() -> None:
    """An external interrupt: claim each pending source and notify its owner."""
    source = load32(claim_register())
    while source != 0:
        arrived(source)
        source = load32(claim_register())


def arrived(source: u32) -> None:
    """Source `source` was claimed: its owner gets its bits; the claim waits for K_IRQ."""
    if source < SOURCES and owner[source] != NOBODY:
        claimed[source] = 1
        notify.post(task.tasks[owner[source]], bits[source])
    else:
        store32(claim_register(), source)           # nobody's: complete it and forget it


def done(t: Task, mask: u32) -> None:
    """K_IRQ: task `t` has dealt with the interrupts behind `mask`: complete their claims."""
    for k in range(table.MAX_IRQS):
        source = table.irq(t.index, u32(k))
        if source != 0 and source < SOURCES and claimed[source] != 0 and bits[source] & mask != 0:
            claimed[source] = 0
            store32(claim_register(), source)
