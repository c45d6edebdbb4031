# C types of pmp.py for the compiled engine.
from downstairs.machine.core.state cimport Hart

cdef int ACCESS_FETCH, ACCESS_LOAD, PMP_A_SHIFT, PMP_COUNT, PMP_L, PMP_NA4, PMP_NAPOT, PMP_OFF
cdef int PMP_R, PMP_TOR, PMP_W, PMP_X, PRV_M

cpdef unsigned long long napot_size(unsigned long long addr) noexcept
cpdef unsigned long long entry_start(Hart h, int i) noexcept
cpdef unsigned long long entry_end(Hart h, int i) noexcept
cpdef int check(Hart h, unsigned long long paddr, unsigned long long size, int access, int priv) noexcept
cpdef void write_cfg(Hart h, int index, unsigned int value) noexcept
cpdef void write_addr(Hart h, int index, unsigned long long value) noexcept
cpdef void update_ranges(Hart h) noexcept
