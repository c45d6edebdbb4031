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
cdef enum:                       # why run's inner loop ends early
    RESYNC = 1
    STOP = 2
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
cdef int BRANCH_OPS[8]

# What a decoded instruction is (execute.decode). Numbers matter where decode adds funct3:
# I_ADDI + funct3 gives the OP-IMM operations, I_ADD + funct3 and I_MUL + funct3 the OP ones.
cdef enum:
    I_ILLEGAL = 0
    I_ADDI = 1
    I_SLLI = 2
    I_SLTI = 3
    I_SLTIU = 4
    I_XORI = 5
    I_SRLI = 6
    I_ORI = 7
    I_ANDI = 8
    I_SRAI = 9
    I_ADD = 10
    I_SLL = 11
    I_SLT = 12
    I_SLTU = 13
    I_XOR = 14
    I_SRL = 15
    I_OR = 16
    I_AND = 17
    I_MUL = 18
    I_MULH = 19
    I_MULHSU = 20
    I_MULHU = 21
    I_DIV = 22
    I_DIVU = 23
    I_REM = 24
    I_REMU = 25
    I_SUB = 26
    I_SRA = 27
    I_LOAD = 28
    I_STORE = 29
    I_LUI = 30
    I_AUIPC = 31
    I_JAL = 32
    I_JALR = 33
    I_BEQ = 34
    I_ADDIW = 35
    I_SLLIW = 36
    I_SRLIW = 37
    I_SRAIW = 38
    I_ADDW = 39
    I_SUBW = 40
    I_SLLW = 41
    I_SRLW = 42
    I_SRAW = 43
    I_MULW = 44
    I_DIVW = 45
    I_AMO = 46
    I_FENCE = 47
    I_FENCE_I = 48
    I_SYSTEM = 49
    I_FP = 50
    I_BNE = 51
    I_BLT = 52
    I_BGE = 53
    I_BLTU = 54
    I_BGEU = 55
    DC_SIZE = 65536
    DC_MASK = 65535
cdef extern from *:
    const unsigned long long DC_UNCACHED "0xFFFFFFFFFFFFFFFFULL"
cdef unsigned long long RVC_ILLEGAL

cdef inline unsigned long long ram_load(Hart h, unsigned long long offset, int size) noexcept
cdef unsigned long long ram_load_extend(Hart h, unsigned long long offset, int spare, int zero_extend) noexcept
cdef inline void ram_store(Hart h, unsigned long long offset, int size, unsigned long long value) noexcept
cdef unsigned long long sext(unsigned long long value, int bits) noexcept
cdef unsigned long long sra(unsigned long long value, int shamt) noexcept
cdef bint lt(unsigned long long a, unsigned long long b) noexcept
cdef void illegal(Hart h, unsigned long long bits)
cpdef void decode(Hart h, int slot, unsigned long long tag, unsigned long long offset, unsigned long long raw) noexcept
cpdef int fetch(Hart h, unsigned long long pc, int slot)
cpdef unsigned long long run(Hart h, unsigned long long budget)
cpdef unsigned long long system(Hart h, unsigned long long insn, unsigned long long raw, unsigned long long npc)
