# C types of atomic.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport alu, memory, physmem, trap, trigger

cdef int ACCESS_LOAD, ACCESS_STORE
cdef unsigned long long EXC_ILLEGAL_INSN, EXC_LOAD_ACCESS, EXC_LOAD_MISALIGNED, EXC_STORE_ACCESS
cdef unsigned long long EXC_STORE_MISALIGNED, MASK64, NO_ADDRESS, SIGN64
cdef int LR, SC, AMOSWAP, AMOADD, AMOXOR, AMOAND, AMOOR, AMOMIN, AMOMAX, AMOMINU, AMOMAXU

cpdef void execute(Hart h, unsigned long long insn)
cpdef unsigned long long store_conditional(Hart h, unsigned long long addr, int size, unsigned long long value)
cpdef bint known(int funct5)
cpdef unsigned long long combine(int funct5, unsigned long long old, unsigned long long operand, int size)
