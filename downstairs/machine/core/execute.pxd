# C types of execute.py for the compiled engine.
from downstairs.machine.core.state cimport Hart

cdef int ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, PRV_M, PRV_S, PRV_U, TLB_INDEX_MASK
cdef unsigned long long EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN, MASK32, MASK64
cdef unsigned long long MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, SIGN64
cdef int LOAD, MISC_MEM, OP_IMM, AUIPC, OP_IMM_32, STORE, AMO, OP, LUI, OP_32
cdef int BRANCH, JALR, JAL, SYSTEM
cdef unsigned int RVC[65536]

cdef unsigned long long sext(unsigned long long value, int bits)
cdef unsigned long long sra(unsigned long long value, int shamt)
cdef bint lt(unsigned long long a, unsigned long long b)
cdef void illegal(Hart h, unsigned long long bits)
cpdef unsigned long long run(Hart h, unsigned long long budget)
cpdef unsigned long long system(Hart h, unsigned long long insn, unsigned long long raw, unsigned long long npc)
