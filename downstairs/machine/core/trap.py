"""Traps: how an exception or interrupt moves the hart to a handler, and how xRET returns.

Privileged spec 3.1.6.1 (the xIE/xPIE/xPP stack in mstatus), 3.1.7 (mtvec: direct and
vectored), 3.1.8 (medeleg/mideleg: delegating a trap from M to S), 3.1.9 (which interrupts
are enabled in which mode, and their fixed priority: MEI, MSI, MTI, SEI, SSI, STI), 3.3.2
(mret/sret) and 4.1 (the supervisor's view).

A synchronous exception raised while an instruction executes calls `exception`, which
enters the handler at once and sets `h.trapped` so the run loop abandons the instruction.
"""

import cython

from downstairs.machine.core.consts import (
    INTERRUPT_FLAG, IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER,
    MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPRV, MSTATUS_SIE, MSTATUS_SPIE,
    MSTATUS_SPP, NO_ADDRESS, PRV_M, PRV_S, PRV_U,
)
from downstairs.machine.core.state import Hart

def enter(h: Hart, cause: cython.ulonglong, tval: cython.ulonglong) -> None:
    """Take a trap at the current pc. `cause` has bit 63 set for an interrupt. A tracer
    watching the hart hears of it once the hart is in the handler."""
    interrupt: cython.bint = (cause & INTERRUPT_FLAG) != 0
    was: cython.int = h.priv
    code: cython.ulonglong = cause & ~INTERRUPT_FLAG
    delegated: cython.ulonglong = h.mideleg if interrupt else h.medeleg
    vector: cython.ulonglong
    if h.priv <= PRV_S and (delegated >> code) & 1:
        h.scause = cause
        h.sepc = h.pc
        h.stval = tval
        status: cython.ulonglong = h.mstatus & ~(MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE)
        if h.mstatus & MSTATUS_SIE:
            status |= MSTATUS_SPIE
        if h.priv == PRV_S:
            status |= MSTATUS_SPP
        h.mstatus = status
        vector = h.stvec
        h.priv = PRV_S
    else:
        h.mcause = cause
        h.mepc = h.pc
        h.mtval = tval
        status = h.mstatus & ~(MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE)
        if h.mstatus & MSTATUS_MIE:
            status |= MSTATUS_MPIE
        status |= cython.cast(cython.ulonglong, h.priv) << 11
        h.mstatus = status
        vector = h.mtvec
        h.priv = PRV_M
    base: cython.ulonglong = vector & ~cython.cast(cython.ulonglong, 3)
    if interrupt and vector & 1:
        h.pc = base + 4 * code               # vectored mode: one entry per interrupt cause
    else:
        h.pc = base
    h.reserve_addr = NO_ADDRESS
    h.waiting = 0
    h.update_context()
    if h.observing:
        h.observer.trap(h, cause, tval, was)


def exception(h: Hart, cause: cython.ulonglong, tval: cython.ulonglong) -> None:
    """Raise a synchronous exception for the instruction at h.pc."""
    enter(h, cause, tval)
    h.trapped = 1


def pending(h: Hart) -> cython.int:
    """The interrupt the hart would take now, or -1. An interrupt for M-mode is enabled
    below M, or in M with mstatus.MIE; one delegated to S is enabled below S, or in S with
    mstatus.SIE, and never interrupts M-mode."""
    ready: cython.ulonglong = h.mip & h.mie
    if ready == 0:
        return -1
    m_on: cython.bint = h.priv < PRV_M or (h.mstatus & MSTATUS_MIE) != 0
    s_on: cython.bint = h.priv < PRV_S or (h.priv == PRV_S and (h.mstatus & MSTATUS_SIE) != 0)
    m_ready: cython.ulonglong = (ready & ~h.mideleg) if m_on else 0
    s_ready: cython.ulonglong = (ready & h.mideleg) if s_on else 0
    chosen: cython.ulonglong = m_ready if m_ready else s_ready
    if chosen == 0:
        return -1
    if (chosen >> IRQ_M_EXT) & 1:                    # the fixed priority order of 3.1.9
        return IRQ_M_EXT
    if (chosen >> IRQ_M_SOFT) & 1:
        return IRQ_M_SOFT
    if (chosen >> IRQ_M_TIMER) & 1:
        return IRQ_M_TIMER
    if (chosen >> IRQ_S_EXT) & 1:
        return IRQ_S_EXT
    if (chosen >> IRQ_S_SOFT) & 1:
        return IRQ_S_SOFT
    if (chosen >> IRQ_S_TIMER) & 1:
        return IRQ_S_TIMER
    return -1


def take_interrupt(h: Hart) -> cython.bint:
    """Take the interrupt `pending` chooses, if any: True when the hart is now in its handler.
    None while the debugger steps the hart (hold_interrupts), as QEMU's gdb stub steps."""
    if h.hold_interrupts:
        return False
    irq: cython.int = pending(h)
    if irq < 0:
        return False
    enter(h, INTERRUPT_FLAG | cython.cast(cython.ulonglong, irq), 0)
    return True


def mret(h: Hart) -> None:
    """Return from an M-mode trap: privilege from MPP, MIE from MPIE; MPP becomes U, and
    leaving M-mode clears MPRV (privileged spec 3.1.6.1, 3.1.6.3)."""
    status: cython.ulonglong = h.mstatus
    target: cython.int = (status >> 11) & 3
    status &= ~(MSTATUS_MIE | MSTATUS_MPP)
    if h.mstatus & MSTATUS_MPIE:
        status |= MSTATUS_MIE
    status |= MSTATUS_MPIE
    if target != PRV_M:
        status &= ~MSTATUS_MPRV
    h.mstatus = status
    h.priv = target
    h.pc = h.mepc
    h.update_context()
    if h.observing:
        h.observer.xret(h, PRV_M)


def sret(h: Hart) -> None:
    """Return from an S-mode trap: privilege from SPP, SIE from SPIE; SPP becomes U, and
    MPRV is cleared, as sret never returns to M-mode (privileged spec 3.1.6.1, 3.3.2)."""
    status: cython.ulonglong = h.mstatus
    target: cython.int = PRV_S if status & MSTATUS_SPP else PRV_U
    status &= ~(MSTATUS_SIE | MSTATUS_SPP)
    if h.mstatus & MSTATUS_SPIE:
        status |= MSTATUS_SIE
    status |= MSTATUS_SPIE
    status &= ~MSTATUS_MPRV
    h.mstatus = status
    h.priv = target
    h.pc = h.sepc
    h.update_context()
    if h.observing:
        h.observer.xret(h, PRV_S)
