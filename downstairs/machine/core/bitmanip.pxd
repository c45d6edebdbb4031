# C types of bitmanip.py for the compiled engine.
cdef unsigned long long MASK32, MASK64, SIGN64
cdef int B_ADD_UW, B_SH1ADD, B_SH2ADD, B_SH3ADD, B_SH1ADD_UW, B_SH2ADD_UW, B_SH3ADD_UW, B_SLLI_UW
cdef int B_ANDN, B_ORN, B_XNOR, B_CLZ, B_CTZ, B_CPOP, B_CLZW, B_CTZW, B_CPOPW
cdef int B_MIN, B_MINU, B_MAX, B_MAXU, B_SEXT_B, B_SEXT_H, B_ZEXT_H
cdef int B_ROL, B_ROLW, B_ROR, B_RORI, B_RORIW, B_RORW, B_ORC_B, B_REV8
cdef int B_CLMUL, B_CLMULR, B_CLMULH
cdef int B_BCLR, B_BCLRI, B_BEXT, B_BEXTI, B_BINV, B_BINVI, B_BSET, B_BSETI, NOT_B
cdef int OP, OP_32, OP_IMM, OP_IMM_32

cpdef int decode(unsigned long long insn) noexcept
cpdef unsigned long long clz(unsigned long long value, int bits) noexcept
cpdef unsigned long long ctz(unsigned long long value, int bits) noexcept
cpdef unsigned long long cpop(unsigned long long value) noexcept
cpdef unsigned long long rotate_right(unsigned long long value, int amount, int bits) noexcept
cpdef unsigned long long sext32(unsigned long long value) noexcept
cpdef unsigned long long clmul_bits(unsigned long long a, unsigned long long b, int first) noexcept
cpdef unsigned long long orc_b(unsigned long long value) noexcept
cpdef unsigned long long rev8(unsigned long long value) noexcept
cpdef unsigned long long execute(int kind, unsigned long long a, unsigned long long b, unsigned long long shamt) noexcept
