# C types of mmu.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport physmem, pmp, trap

cdef int ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, PRV_M, PRV_S, PRV_U
cdef unsigned long long EXC_INSN_ACCESS, EXC_INSN_PAGE_FAULT, EXC_LOAD_ACCESS, EXC_LOAD_PAGE_FAULT
cdef unsigned long long EXC_STORE_ACCESS, EXC_STORE_PAGE_FAULT, MSTATUS_MXR, MSTATUS_SUM, NO_ADDRESS
cdef unsigned long long PTE_A, PTE_D, PTE_PPN_MASK, PTE_R, PTE_RESERVED, PTE_U, PTE_V, PTE_W, PTE_X
cdef unsigned long long SATP_MODE_SV39, SATP_PPN_MASK
cdef int WALK_PAGE_FAULT, WALK_ACCESS_FAULT

cpdef unsigned long long page_fault(int access) noexcept
cpdef unsigned long long access_fault(int access) noexcept
cpdef int walk(Hart h, unsigned long long vaddr)
cpdef unsigned long long leaf_address(Hart h, unsigned long long vaddr, int level) noexcept
cpdef unsigned long long translate(Hart h, unsigned long long vaddr, int access, int priv)
cpdef unsigned long long debug_translate(Hart h, unsigned long long vaddr, int priv)
cpdef bint leaf_allows(Hart h, unsigned long long pte, int access, int priv) noexcept
cpdef bint read_pte(Hart h, unsigned long long paddr)
cpdef bint write_pte(Hart h, unsigned long long paddr, unsigned long long pte)
