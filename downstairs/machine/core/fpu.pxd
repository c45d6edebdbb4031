# C types of fpu.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport alu, memory, physmem, softfloat, trap

cdef int ACCESS_LOAD, ACCESS_STORE, TLB_INDEX_MASK
cdef unsigned long long EXC_ILLEGAL_INSN, MASK32, MASK64, MSTATUS_FS
cdef int LOAD_FP, STORE_FP, OP_FP, FMADD, FMSUB, FNMSUB, FNMADD
cdef unsigned long long BOX, CANONICAL_S, SIGN32, SIGN64

cpdef void execute(Hart h, unsigned long long insn, unsigned long long raw)
cpdef unsigned long long operand(Hart h, int n, bint d) noexcept
cpdef void set_f(Hart h, int n, unsigned long long value, bint d) noexcept
cpdef void accrue(Hart h) noexcept
cpdef int rounding(Hart h, unsigned long long insn) noexcept
cpdef void load(Hart h, unsigned long long insn, unsigned long long raw)
cpdef void store(Hart h, unsigned long long insn, unsigned long long raw)
cpdef void fused(Hart h, unsigned long long insn, unsigned long long raw)
cpdef void op_fp(Hart h, unsigned long long insn, unsigned long long raw)
