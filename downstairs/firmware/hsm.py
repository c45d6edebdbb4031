"""Hart state management: the state machine of SBI's HSM extension (SBI spec v2.0, chapter 9).

                 hart_start (another hart)            the hart wakes in the firmware
      STOPPED ----------------------------> START_PENDING -------------------------> STARTED
         ^                                                                            |  |
         +---------------------------- hart_stop (the hart itself) -------------------+  |
                     SUSPENDED <-- hart_suspend (itself) --------------------------------+
                         +------ an interrupt: back to STARTED (non-retentive: at resume_addr)

A hart not in the device tree is ABSENT: every call about it is SBI_ERR_INVALID_PARAM. The
state word changes by compare-and-swap, so two harts starting the same one cannot both win.
A stopped hart waits here in M-mode (wfi, woken by the CLINT's software interrupt), serving
its IPI mailbox, until its state says START_PENDING; then it enters S-mode at the address
given, with a0 = its hart id and a1 = the opaque value.
"""

from downstairs.compiler.runtime import u32, u64, i64, array, record, addr, cas32, load32, store32, fence, wfi
from downstairs.compiler.runtime import csr_read, hart_id
from board import MAX_HARTS
from csr import MIP, MIE, MSIP, SSIP, STIP, SEIP, PRV_S
from sbi_spec import SUCCESS, FAILED, NOT_SUPPORTED, INVALID_PARAM, INVALID_ADDRESS, ALREADY_AVAILABLE
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


@record
class HartState:
    state: u32
    start_addr: u64
    opaque: u64


states = array(HartState, MAX_HARTS)
ram_end: u64 = 0


def init(boot_hart: u64, present: u64, memory_end: u64) -> None:
    """The boot hart runs, the others named in `present` (a bit per hart id) are stopped."""
    global ram_end
    ram_end = memory_end
    for h in range(u64(MAX_HARTS)):
        if h == boot_hart:
            states[h].state = STARTED
        elif (present >> u64(h)) & 1 != 0:
            states[h].state = STOPPED
        else:
            states[h].state = ABSENT
    fence()


def valid(hartid: u64) -> bool:
    return hartid < MAX_HARTS and states[hartid].state != ABSENT


def state_of(hartid: u64) -> u32:
    return load32(addr(states[hartid]))


def usable_address(where: u64) -> bool:
    """Whether S-mode may start at `where`: in RAM, outside the firmware."""
    return hart.firmware_end() <= where < ram_end


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


def status(hartid: u64) -> i64:
    if not valid(hartid):
        return INVALID_PARAM
    state = state_of(hartid)
    return i64(START_PENDING if state == CLAIMED else state)


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
