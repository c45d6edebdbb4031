"""One hart in M-mode: its TrapFrame, the CSRs the firmware sets before anything runs below it,
and the two ways of sending a hart down to S-mode (privileged spec 1.12, 3.1 and 3.7).

Each hart's frame holds the registers of the code running below it; mscratch names it (the
compiler's trap entry, docs/compiler-language.md). Entering the next stage is filling that
frame (pc, a0, a1, MPP) and trap_return. Redirecting a trap to S-mode is what the hardware
would have done had the trap been delegated: sepc/scause/stval, SPP/SPIE/SIE, pc = stvec.

PMP (3.7): entry 0 covers the firmware's own memory, a naturally aligned power of two, with no
permission for S and U (M ignores unlocked entries); entry 1 opens everything else:

    pmpcfg0   byte 1: A=NAPOT(3) X W R = 0x1f   byte 0: A=NAPOT(3), no RWX = 0x18
    pmpaddr   (base >> 2) | (size / 8 - 1)   for a NAPOT region of `size` bytes at `base`
"""

from downstairs.compiler.runtime import u64, array, noinit, record, TrapFrame, csr_read, csr_write, csr_set, trap_return
from downstairs.compiler.runtime import hart_id, image_start, image_end, load16
from board import (MAX_HARTS, MSTATUS, MEDELEG, MIDELEG, MIE, MCOUNTEREN, MENVCFG, MENVCFG_STCE, PMPCFG0, PMPADDR0,
                   PMPADDR1, SCOUNTEREN, SATP, STVEC, SEPC, SCAUSE, STVAL, STIMECMP, SIE, SPIE, SPP, MPP, MPP_SHIFT,
                   MPIE, MSIP, SSIP, STIP, SEIP, PRV_S)

# as OpenSBI delegates: misaligned fetch, breakpoint, ecall from U, the three page faults
DELEGATED_EXCEPTIONS = (1 << 0) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
DELEGATED_INTERRUPTS = SSIP | STIP | SEIP
PMP_NAPOT = 0x18
PMP_RWX = 0x07
ALL_MEMORY = 0x3FFFFFFFFFFFFF     # a NAPOT pmpaddr covering the whole physical address space

@record
class Probe:
    expected: u64             # an access that may fault is under way: a trap from M-mode is its fault
    cause: u64                # what that trap reported (0: none)
    tval: u64


frames = noinit(array(TrapFrame, MAX_HARTS))      # enter() fills what S-mode starts with
probes = noinit(array(Probe, MAX_HARTS))          # init() clears this hart's
has_sstc: u64 = 0
protected: u64 = 0                                # the firmware's region: protected_size()


def expect_fault() -> None:
    """The next instruction may trap (probing a CSR, reading lower-mode memory): if it does,
    trap.py gives the trap to fault_taken() and execution goes on after it."""
    p = probes[hart_id()]
    p.cause = 0
    p.expected = 1


def fault_taken(frame: TrapFrame) -> bool:
    """A trap from M-mode: if this hart expected a fault, note it and step over the instruction
    (True); otherwise it is a firmware bug (False)."""
    p = probes[hart_id()]
    if p.expected == 0:
        return False
    p.cause = frame.cause
    p.tval = frame.tval
    p.expected = 0
    frame.pc += 4 if load16(frame.pc) & 3 == 3 else 2
    return True


def faulted() -> u64:
    """The cause of the expected fault (0 if the access went through); ends the expectation."""
    p = probes[hart_id()]
    p.expected = 0
    return p.cause


def protected_size() -> u64:
    """The firmware's region: from image_start(), a power of two that covers image_end()."""
    size: u64 = 4096
    while image_start() + size < image_end():
        size = size << 1
    return size


def init() -> None:
    """Everything this hart needs before S-mode runs on it: PMP, delegation, counters, Sstc."""
    global has_sstc, protected
    probes[hart_id()].expected = 0
    protected = protected_size()
    csr_write(PMPADDR0, (image_start() >> 2) | (protected // 8 - 1))
    csr_write(PMPADDR1, ALL_MEMORY)
    csr_write(PMPCFG0, ((PMP_NAPOT | PMP_RWX) << 8) | PMP_NAPOT)
    csr_write(MEDELEG, DELEGATED_EXCEPTIONS)
    csr_write(MIDELEG, DELEGATED_INTERRUPTS)
    csr_write(MIE, MSIP)                    # IPIs wake a waiting hart; MTIE only while a timer runs
    csr_write(MCOUNTEREN, 0xFFFFFFFF)
    csr_write(SCOUNTEREN, 7)                # cycle, time, instret for U-mode too
    expect_fault()                          # Sstc: is there an stimecmp? (illegal instruction if not)
    csr_read(STIMECMP)
    has_sstc = u64(faulted() == 0)
    if has_sstc != 0:
        csr_set(MENVCFG, MENVCFG_STCE)      # S-mode then has its own timer compare


def enter(pc: u64, a0: u64, a1: u64, mode: u64) -> None:
    """Leave for `mode` (S or U) at pc with a0, a1 and satp = 0 (SBI's boot conventions).
    Never returns: the next trap from below comes back into this hart's frame."""
    frame = frames[hart_id()]
    frame.pc = pc
    frame.regs[10] = a0
    frame.regs[11] = a1
    frame.status = (csr_read(MSTATUS) & ~u64(MPP | MPIE | SIE | SPIE | SPP)) | (mode << MPP_SHIFT)
    csr_write(SATP, 0)
    trap_return(frame)


def redirect(frame: TrapFrame, cause: u64, tval: u64) -> None:
    """Hand a trap from S or U to S-mode's handler, as delegation would have: on return from
    this trap the code below resumes at stvec with sepc, scause, stval and sstatus set."""
    status = frame.status
    was_s = (status >> MPP_SHIFT) & 3 == PRV_S
    csr_write(SEPC, frame.pc)
    csr_write(SCAUSE, cause)
    csr_write(STVAL, tval)
    status = status & ~u64(MPP | SPP | SPIE | SIE)
    if was_s:
        status |= SPP
    if frame.status & SIE != 0:
        status |= SPIE
    frame.status = status | (PRV_S << MPP_SHIFT)
    frame.pc = csr_read(STVEC) & ~u64(3)
