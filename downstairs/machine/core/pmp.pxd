# C types of pmp.py for the compiled engine.
from downstairs.machine.core.state cimport Hart

cdef int ACCESS_FETCH, ACCESS_LOAD, PMP_A_SHIFT, PMP_COUNT, PMP_L, PMP_NA4, PMP_NAPOT, PMP_OFF
cdef int PMP_R, PMP_TOR, PMP_W, PMP_X, PRV_M

cpdef tuple entry_range(Hart h, int i)
cpdef int check(Hart h, unsigned long long paddr, unsigned long long size, int access, int priv)
cpdef void write_cfg(Hart h, int index, unsigned int value)
cpdef void write_addr(Hart h, int index, unsigned long long value)
cpdef void count_entries(Hart h)
