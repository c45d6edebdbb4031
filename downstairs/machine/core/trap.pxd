# C types of trap.py for the compiled engine.
from downstairs.machine.core.state cimport Hart

cdef unsigned long long INTERRUPT_FLAG, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPRV
cdef unsigned long long MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, NO_ADDRESS
cdef int IRQ_M_EXT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER, PRV_M, PRV_S, PRV_U

cpdef void enter(Hart h, unsigned long long cause, unsigned long long tval) noexcept
cpdef void exception(Hart h, unsigned long long cause, unsigned long long tval) noexcept
cpdef int pending(Hart h) noexcept
cpdef bint take_interrupt(Hart h) noexcept
cpdef void mret(Hart h) noexcept
cpdef void sret(Hart h) noexcept
