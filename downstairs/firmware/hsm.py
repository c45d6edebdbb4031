"""The harts as SBI sees them: the state machine of the HSM extension (SBI spec v2.0, chapter 9)
and the calls about other harts: HSM, IPI (chapter 7) and RFENCE (chapter 8).

                 hart_start (another hart)            the hart wakes in the firmware
      STOPPED ----------------------------> START_PENDING -------------------------> STARTED
         ^                                                                            |  |
         +---------------------------- hart_stop (the hart itself) -------------------+  |
                     SUSPENDED <-- hart_suspend (itself) --------------------------------+
                         +------ an interrupt: back to STARTED (non-retentive: at resume_addr)

A hart not in the device tree is ABSENT: every call about it is SBI_ERR_INVALID_PARAM. The
state word changes by compare-and-swap, so two harts starting the same one cannot both win.
A stopped hart waits here in M-mode (wfi, woken by the CLINT's software interrupt), serving
its IPI mailbox (ipi.py), until its state says START_PENDING; then it enters S-mode at the
address given, with a0 = its hart id and a1 = the opaque value.

IPI and RFENCE name harts by a mask and a base: bit i of hart_mask is hart hart_mask_base + i,
a base of -1 every hart. A hart that is not running (stopped, starting) is skipped. send_ipi
raises mip.SSIP on each; the remote fence.i and sfence.vma (with or without an ASID: a range
or an ASID is honoured by flushing the whole TLB) are done on every target before the call
returns. The hypervisor fences (RFENCE functions 3-6) need the H extension: not here.
"""

from downstairs.compiler.runtime import u32, u64, i64, array, record, addr, cas32, load32, store32, fence, wfi
from downstairs.compiler.runtime import TrapFrame, csr_read, hart_id, image_start
from board import MAX_HARTS, MIP, MIE, MSIP, SSIP, STIP, SEIP, PRV_S
from sbi_spec import SUCCESS, FAILED, NOT_SUPPORTED, INVALID_PARAM, INVALID_ADDRESS, ALREADY_AVAILABLE, EXT_IPI
import hart
import ipi

STARTED = 0
STOPPED = 1
START_PENDING = 2
SUSPENDED = 4
CLAIMED = 0x10                # ours: a hart_start is writing the start address (reads as START_PENDING)
ABSENT = 0xFF
RETENTIVE = 0
NON_RETENTIVE = 0x80000000
S_INTERRUPTS = SSIP | STIP | SEIP
INVALID_MASK = 1 << 63
ALL_HARTS = 0xFFFFFFFFFFFFFFFF


@record
class HartState:
    state: u32
    start_addr: u64
    opaque: u64


states = array(HartState, MAX_HARTS)
ram_start: u64 = 0            # where S-mode's memory begins: past the firmware's protected region
ram_end: u64 = 0


def init(boot_hart: u64, present: u64, memory_end: u64) -> None:
    """The boot hart runs, the others named in `present` (a bit per hart id) are stopped."""
    global ram_start, ram_end
    ram_start = image_start() + hart.protected_size()
    ram_end = memory_end
    for h in range(u64(MAX_HARTS)):
        states[h].state = STARTED if h == boot_hart else STOPPED if (present >> h) & 1 != 0 else ABSENT
    fence()


def valid(hartid: u64) -> bool:
    return hartid < MAX_HARTS and states[hartid].state != ABSENT


def state_of(hartid: u64) -> u32:
    return load32(addr(states[hartid]))


def usable_address(where: u64) -> bool:
    """Whether `where` is S-mode's memory: in RAM, outside the firmware."""
    return ram_start <= where < ram_end


def start(hartid: u64, start_addr: u64, opaque: u64) -> i64:
    if not valid(hartid):
        return INVALID_PARAM
    if not usable_address(start_addr):
        return INVALID_ADDRESS
    target = states[hartid]
    old = cas32(addr(target), STOPPED, CLAIMED)
    if old == STARTED:
        return ALREADY_AVAILABLE
    if old != STOPPED:
        return INVALID_PARAM                  # already starting, stopping or suspended
    target.start_addr = start_addr
    target.opaque = opaque
    fence()
    store32(addr(target), START_PENDING)
    ipi.send(hartid, 0)                        # wake it: its wait loop reads the state
    return SUCCESS


def stop() -> i64:
    """Stop the calling hart: only returns (with SBI_ERR_FAILED) if it was not started."""
    me = hart_id()
    if cas32(addr(states[me]), STARTED, STOPPED) != STARTED:
        return FAILED
    wait_for_start()
    return FAILED


def wait_for_start() -> None:
    """A stopped hart waits in M-mode until started, then enters S-mode (never returns)."""
    me = hart_id()
    while state_of(me) != START_PENDING:
        ipi.serve(me)
        if state_of(me) != START_PENDING:
            wfi()
    ipi.serve(me)
    fence()
    s = states[me]
    store32(addr(s), STARTED)
    hart.enter(s.start_addr, me, s.opaque, PRV_S)


def suspend(kind: u64, resume_addr: u64, opaque: u64) -> i64:
    """Wait for an interrupt S-mode has enabled. Retentive: return SUCCESS to the caller;
    non-retentive: resume in S-mode at resume_addr with a0 = hart id, a1 = opaque.
    Types: 0 and 0x80000000 are the defaults; the platform-specific ranges (0x10000000..,
    0x90000000..) are not supported here; the rest are reserved."""
    me = hart_id()
    if kind != RETENTIVE and kind != NON_RETENTIVE:
        if 0x10000000 <= kind < NON_RETENTIVE or 0x90000000 <= kind <= 0xFFFFFFFF:
            return NOT_SUPPORTED
        return INVALID_PARAM
    if kind == NON_RETENTIVE and not usable_address(resume_addr):
        return INVALID_ADDRESS
    store32(addr(states[me]), SUSPENDED)
    while csr_read(MIP) & csr_read(MIE) & S_INTERRUPTS == 0:
        wfi()
        if csr_read(MIP) & MSIP != 0:
            ipi.serve(me)
    store32(addr(states[me]), STARTED)
    if kind == NON_RETENTIVE:
        hart.enter(resume_addr, me, opaque, PRV_S)
    return SUCCESS


def call(frame: TrapFrame, fid: u64) -> i64:
    """The HSM extension (EID "HSM", chapter 9): 0 hart_start, 1 hart_stop, 2 hart_get_status
    (the state in a1), 3 hart_suspend."""
    if fid == 0:
        return start(frame.regs[10], frame.regs[11], frame.regs[12])
    if fid == 1:
        return stop()
    if fid == 2:
        if not valid(frame.regs[10]):
            return INVALID_PARAM
        state = state_of(frame.regs[10])
        frame.regs[11] = u64(START_PENDING if state == CLAIMED else state)
        return SUCCESS
    if fid == 3:
        return suspend(frame.regs[10], frame.regs[11], frame.regs[12])
    return NOT_SUPPORTED


def harts_in(mask: u64, base: u64) -> u64:
    """The set of hart ids (a bit each) that mask and base name, or INVALID_MASK."""
    found: u64 = 0
    if base == ALL_HARTS:
        for h in range(u64(MAX_HARTS)):
            if valid(h):
                found |= u64(1) << h
        return found
    h = base
    while mask != 0:
        if mask & 1 != 0:
            if not valid(h):
                return INVALID_MASK
            found |= u64(1) << h
        mask = mask >> 1
        h += 1
    return found


def running(h: u64) -> bool:
    state = state_of(h)
    return state == STARTED or state == SUSPENDED


def request(targets: u64, bits: u64) -> None:
    """Ask every running target for `bits` (ipi.py), this hart too; for fences, wait until each
    has done it."""
    me = hart_id()
    tickets = array(u64, MAX_HARTS)
    for h in range(u64(MAX_HARTS)):
        if (targets >> h) & 1 != 0 and running(h):
            tickets[h] = ipi.send(h, bits)
    ipi.serve(me)
    for h in range(u64(MAX_HARTS)):
        if tickets[h] != 0 and bits != ipi.SUPERVISOR_IPI:
            ipi.wait(h, tickets[h], me)


def reach(frame: TrapFrame, eid: u64, fid: u64) -> i64:
    """IPI send_ipi (0), or RFENCE remote fence.i (0), sfence.vma (1), sfence.vma_asid (2)."""
    if eid == EXT_IPI and fid == 0:
        bits: u64 = ipi.SUPERVISOR_IPI
    elif eid != EXT_IPI and fid <= 2:
        bits = ipi.FENCE_I if fid == 0 else ipi.SFENCE_VMA
    else:
        return NOT_SUPPORTED
    targets = harts_in(frame.regs[10], frame.regs[11])
    if targets == INVALID_MASK:
        return INVALID_PARAM
    request(targets, bits)
    return SUCCESS
