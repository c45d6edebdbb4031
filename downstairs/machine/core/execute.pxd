# C types of execute.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport alu, atomic, bitmanip, csr, fpu, memory, physmem, trap, trigger

cdef int PRV_M, PRV_S, PRV_U
cdef unsigned long long EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN
cdef unsigned long long MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW

# The ops, opcodes, cache sizes and hot-loop masks as C constants, generated from ops.py
include "ops.pxi"

cdef unsigned int RVC[65536]
cdef int BRANCH_OPS[8]
cdef unsigned long long RVC_ILLEGAL

cdef inline unsigned long long ram_load(Hart h, unsigned long long offset, int size) noexcept
cdef inline int tlb_hit(Hart h, unsigned long long addr, int last, int access, unsigned long long ctx) noexcept
cdef inline unsigned long long ram_get(Hart h, unsigned long long offset, int size, bint signed) noexcept
cdef inline void ram_put(Hart h, unsigned long long offset, int size, unsigned long long value) noexcept
cdef bint access_slow(Hart h, Py_ssize_t record)
cdef inline unsigned long long word(unsigned long long value) noexcept
cdef inline unsigned long long sra(unsigned long long value, int shamt) noexcept
cdef inline bint lt(unsigned long long a, unsigned long long b) noexcept
cdef extern from *:
    """
    #define c_unreachable() __builtin_unreachable()
    """
    void c_unreachable() noexcept nogil
cdef inline void unreachable() noexcept
cdef void illegal(Hart h, unsigned long long bits)
cdef inline void slow_path(Hart h, unsigned long long pc, unsigned long long instret) noexcept
cpdef int decode(Hart h, int record, unsigned long long raw, int off) noexcept
cdef void block_end(Hart h, int record, int off) noexcept
cdef inline bint ends_block(int op) noexcept
cpdef int build_block(Hart h, unsigned long long pc, int block)
cpdef unsigned long long run(Hart h, unsigned long long budget)
cpdef unsigned long long system(Hart h, unsigned long long insn, unsigned long long raw, unsigned long long npc)
