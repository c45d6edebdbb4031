# C types of execute.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport alu, atomic, csr, fpu, memory, physmem, trap

cdef int ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, PRV_M, PRV_S, PRV_U, TLB_INDEX_MASK
cdef unsigned long long EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN, MASK32, MASK64
cdef unsigned long long MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, SIGN64
cdef int LOAD, MISC_MEM, OP_IMM, AUIPC, OP_IMM_32, STORE, AMO, OP, LUI, OP_32
cdef int BRANCH, JALR, JAL, SYSTEM
cdef unsigned long long UPPER20
cdef unsigned int RVC[65536]
cdef unsigned long long RVC_ILLEGAL

cdef inline unsigned long long ram_load(Hart h, unsigned long long offset, int size) noexcept
cdef inline void ram_store(Hart h, unsigned long long offset, int size, unsigned long long value) noexcept
cdef unsigned long long sext(unsigned long long value, int bits) noexcept
cdef unsigned long long sra(unsigned long long value, int shamt) noexcept
cdef bint lt(unsigned long long a, unsigned long long b) noexcept
cdef void illegal(Hart h, unsigned long long bits)
cpdef unsigned long long run(Hart h, unsigned long long budget)
cpdef unsigned long long system(Hart h, unsigned long long insn, unsigned long long raw, unsigned long long npc)
