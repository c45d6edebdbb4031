# C types of memory.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport mmu, physmem, pmp, trap, trigger

cdef int ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, PRV_M, TLB_INDEX_MASK
cdef unsigned long long EXC_INSN_ACCESS, EXC_LOAD_ACCESS, EXC_STORE_ACCESS, MASK64, MSTATUS_MPRV, NO_ADDRESS

cpdef int access_priv(Hart h, int access)
cpdef unsigned long long to_physical(Hart h, unsigned long long vaddr, int size, int access)
cpdef bint split_faults(Hart h, unsigned long long vaddr, int size, int access)
cpdef unsigned long long load(Hart h, unsigned long long vaddr, int size)
cpdef void store(Hart h, unsigned long long vaddr, int size, unsigned long long value)
cpdef unsigned long long fetch_parcel(Hart h, unsigned long long vaddr)
cpdef unsigned long long fetch(Hart h, unsigned long long pc)
