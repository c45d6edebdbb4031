"""The numbers the instruction cycle dispatches on, written once: the decoded ops, the major
opcodes they come from, and the constants of the hot loop.

execute.py decodes each instruction into one of the ops below (I_ADDI, I_LW, ...) and its
run loop dispatches on it. CPython reads the values from this file. The compiled engine needs
them as C compile-time constants instead: an enum for the ops and opcodes (so Cython turns
the dispatch into a C switch, a jump table) and C literals for the masks (so `& MASK64`
costs nothing). `cdefs()` writes those declarations; the build (setup.py) puts them in
ops.pxi, which execute.pxd and state.pxd include, and tests/machine/test_ops.py checks that
the file on disk says what this table says.
"""

from downstairs.isa.encode import (        # the major opcodes (Unprivileged ISA table 24.1)
    AMO, AUIPC, BRANCH, JAL, JALR, LOAD, LUI, MISC_MEM, OP, OP_32, OP_IMM, OP_IMM_32,
    STORE, SYSTEM,
)
from downstairs.machine.core.consts import (   # what the hot loop and state.pxd use from there
    ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, BREAKPOINT_COUNT, HPM_COUNTERS, MASK32, MASK64,
    PMP_COUNT, SIGN64, TLB_EMPTY, TLB_INDEX_MASK, TLB_SIZE, TRIGGER_COUNT,
)

# What a decoded instruction is (execute.decode). The numbers matter where decode adds
# funct3: I_ADDI + funct3 gives the OP-IMM operations, I_ADD + funct3 and I_MUL + funct3 the
# OP ones (funct3 order: ADD SLL SLT SLTU XOR SRL OR AND; MUL MULH MULHSU MULHU DIV DIVU REM
# REMU), I_LB + funct3 the loads and I_SB + funct3 the stores (one op per width, so the hot
# loop's access has a constant size).
# Elsewhere the order is history, but it is not free: it is the order of the compiled
# switch, and gcc lays out the hot loop by it (moving the branches next to BEQ cost the
# ADDI/ADD path about a third of its speed).
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
I_LB = 28                                   # LOAD: I_LB + funct3 (LB LH LW LD LBU LHU LWU)
I_LH = 29
I_LW = 30
I_LD = 31
I_LBU = 32
I_LHU = 33
I_LWU = 34
I_SB = 35                                   # STORE: I_SB + funct3 (SB SH SW SD)
I_SH = 36
I_SW = 37
I_SD = 38
I_LUI = 39
I_AUIPC = 40
I_JAL = 41
I_JALR = 42
I_BEQ = 43
I_ADDIW = 44
I_SLLIW = 45
I_SRLIW = 46
I_SRAIW = 47
I_ADDW = 48
I_SUBW = 49
I_SLLW = 50
I_SRLW = 51
I_SRAW = 52
I_MULW = 53
I_DIVW = 54
I_AMO = 55
I_FENCE = 56
I_FENCE_I = 57
I_SYSTEM = 58
I_FP = 59
I_BNE = 60
I_BLT = 61
I_BGE = 62
I_BLTU = 63
I_BGEU = 64
I_BITMANIP = 65                             # Zba Zbb Zbc Zbs: which one is in funct3 (bitmanip.py)
I_NEXT = 66                                 # no instruction: a block's end that is no jump
I_STOP = 67                                 # no instruction: where a block cut to the budget stops (run)

# Why the run loop's records stopped before a block's end (execute.run): a load or store the
# TLB did not answer (its slow path runs, then the block goes on), or straight-line execution
# ends after this record.
EXIT_NONE = 0
EXIT_MEMORY = 1
EXIT_LEAVE = 2

# The decoded-instruction cache (state.py), in two parts. Decoded instructions are records
# in DC_SIZE slots, filled in order a block at a time, plus the spare block's two records,
# DC_SIZE and DC_SIZE + 1, for an instruction that cannot be cached. A block (a straight run
# of at most BLOCK_MAX instructions in one page, ended by a jump, branch or SYSTEM
# instruction) is its instructions' records and, when the last one is no jump, an I_NEXT
# record after them. It is found by its first pc in the block table: BK_SIZE entries indexed
# by (pc >> 1) & BK_MASK, so the blocks of one 4 KiB page sit in 2048 consecutive entries;
# entry BK_SIZE is the spare's block.
DC_SIZE = 65536
BK_SIZE = 65536
BK_MASK = BK_SIZE - 1
BLOCK_MAX = 64
BK_PAGE = 2048                              # block-table entries per 4 KiB page
UPPER20 = 0xFFFFF000                        # the U-type immediate field, insn[31:12]

# Which names become which C declaration. Enums must fit a C int; literals are 64-bit.
ENUM = (
    [name for name in list(globals()) if name.startswith("I_")]
    + ["EXIT_NONE", "EXIT_MEMORY", "EXIT_LEAVE"]
    + ["LOAD", "MISC_MEM", "OP_IMM", "AUIPC", "OP_IMM_32", "STORE", "AMO", "OP", "LUI",
       "OP_32", "BRANCH", "JALR", "JAL", "SYSTEM", "DC_SIZE", "BK_SIZE", "BK_MASK",
       "BLOCK_MAX", "BK_PAGE"]
    + ["TLB_SIZE", "PMP_COUNT", "HPM_COUNTERS", "TRIGGER_COUNT", "BREAKPOINT_COUNT"]   # array sizes
)
INT_LITERALS = ["ACCESS_FETCH", "ACCESS_LOAD", "ACCESS_STORE", "TLB_INDEX_MASK"]
U64_LITERALS = ["MASK32", "MASK64", "SIGN64", "TLB_EMPTY", "UPPER20"]
__all__ = ENUM + INT_LITERALS + U64_LITERALS      # what execute.py's CPython import takes


def cdefs() -> str:
    """The text of ops.pxi: every name in __all__ as the C constant the compiled engine uses."""
    table = globals()
    lines = ["# Generated from downstairs/machine/core/ops.py by setup.py: edit ops.py, not this.",
             "cdef enum:"]
    lines += [f"    {name} = {table[name]}" for name in ENUM]
    lines.append("cdef extern from *:")
    lines += [f'    const int {name} "{table[name]}"' for name in INT_LITERALS]
    lines += [f'    const unsigned long long {name} "{table[name]:#x}ULL"' for name in U64_LITERALS]
    return "\n".join(lines) + "\n"
