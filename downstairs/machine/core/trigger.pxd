# C types of trigger.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport trap

cdef int ACCESS_LOAD, BREAKPOINT_COUNT, CSR_TDATA1, CSR_TDATA2, CSR_TINFO, CSR_TSELECT
cdef int HALT_BREAKPOINT, HALT_TRIGGER, HALT_WATCH, TRIGGER_COUNT, TRIGGER_ACTION_SHIFT
cdef int TRIGGER_MATCH_SHIFT, TRIGGER_TYPE_SHIFT, FETCH_FREE, FETCH_WATCHED, FETCH_STOPPED
cdef unsigned long long EXC_BREAKPOINT, MASK64, SIGN64, TRIGGER_DMODE, TRIGGER_EXECUTE, TRIGGER_INFO
cdef unsigned long long TRIGGER_LOAD, TRIGGER_M, TRIGGER_MCONTROL, TRIGGER_MCONTROL6, TRIGGER_S
cdef unsigned long long TRIGGER_STORE, TRIGGER_U, TRIGGER_VS, TRIGGER_VU
cdef unsigned long long MODES, KINDS, SIZE_LO, SIZE_HI, SIZE6

cpdef unsigned long long read(Hart h, int number) noexcept
cpdef void write(Hart h, int number, unsigned long long value) noexcept
cpdef int size_code(unsigned long long value) noexcept
cpdef unsigned long long legal_tdata1(unsigned long long value, bint debugger) noexcept
cpdef unsigned long long span(Hart h, int index) noexcept
cpdef unsigned long long base(Hart h, int index) noexcept
cpdef void update(Hart h) noexcept
cpdef bint page_watched(Hart h, unsigned long long vpage) noexcept
cpdef bint hits(Hart h, int index, unsigned long long addr, unsigned long long size, unsigned long long kind) noexcept
cpdef void fire(Hart h, int index) noexcept
cpdef int fetch_check(Hart h, unsigned long long pc) noexcept
cpdef bint watches(Hart h, unsigned long long pc) noexcept
cpdef bint data_check(Hart h, unsigned long long vaddr, int size, int access) noexcept
cpdef bint insert_breakpoint(Hart h, unsigned long long pc) noexcept
cpdef void remove_breakpoint(Hart h, unsigned long long pc) noexcept
cpdef unsigned long long debugger_control(unsigned long long kind, unsigned long long length) noexcept
cpdef unsigned long long napot_address(unsigned long long addr, unsigned long long length) noexcept
cpdef bint insert_trigger(Hart h, unsigned long long kind, unsigned long long addr, unsigned long long length) noexcept
cpdef void remove_trigger(Hart h, unsigned long long kind, unsigned long long addr, unsigned long long length) noexcept
