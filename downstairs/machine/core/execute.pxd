# C types of execute.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport alu, atomic, csr, fpu, memory, physmem, trap

cdef int PRV_M, PRV_S, PRV_U
cdef unsigned long long EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN
cdef unsigned long long MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW

# Hot-loop constants as C literals (same values as consts.py), so gcc folds them away.
cdef extern from *:
    const int ACCESS_FETCH "0"
    const int ACCESS_LOAD "1"
    const int ACCESS_STORE "2"
    const int TLB_INDEX_MASK "1023"
    const unsigned long long MASK32 "0xFFFFFFFFULL"
    const unsigned long long MASK64 "0xFFFFFFFFFFFFFFFFULL"
    const unsigned long long SIGN64 "0x8000000000000000ULL"
    const unsigned long long TLB_EMPTY "0xFFFFFFFFFFFFFFFFULL"
    const unsigned long long UPPER20 "0xFFFFF000ULL"
cdef enum:                       # major opcodes, as in execute.py
    LOAD = 0x03
    MISC_MEM = 0x0F
    OP_IMM = 0x13
    AUIPC = 0x17
    OP_IMM_32 = 0x1B
    STORE = 0x23
    AMO = 0x2F
    OP = 0x33
    LUI = 0x37
    OP_32 = 0x3B
    BRANCH = 0x63
    JALR = 0x67
    JAL = 0x6F
    SYSTEM = 0x73
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
