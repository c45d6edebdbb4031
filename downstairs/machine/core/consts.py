"""Numbers the RISC-V privileged architecture (version 1.12) defines, in one place.

Privilege levels (1.2), mstatus fields (3.1.6), interrupt bits of mip/mie (3.1.9),
exception and interrupt causes (table 3.6), the CSR address map (chapter 2, tables 2.2-2.6),
PMP configuration bits (3.7.1) and page-table-entry bits (4.3.1). Each core module declares
in its .pxd the names it uses, so the compiled engine sees them as C constants.
"""

MASK64 = 0xFFFFFFFFFFFFFFFF
MASK32 = 0xFFFFFFFF
SIGN64 = 0x8000000000000000
SIGN32 = 0x80000000
NO_ADDRESS = 0xFFFFFFFFFFFFFFFF   # "no physical address": translation failed, or no reservation

# Privilege levels
PRV_U, PRV_S, PRV_M = 0, 1, 3

# mstatus (3.1.6); sstatus is the same register seen through SSTATUS_MASK. The fields this
# hart implements (the rest read as zero):
#
#    63  62     36 35  34 33  32 31     23  22  21  20  19  18   17  16 15 14 13 12 11 10   9  8
#   +----+--------+------+------+--------+---+---+---+---+---+----+-----+-----+-----+-----+---+
#   | SD |   0    | SXL  | UXL  |   0    |TSR|TW |TVM|MXR|SUM|MPRV| XS  | FS  | MPP | VS  |SPP|
#   +----+--------+------+------+--------+---+---+---+---+---+----+-----+-----+-----+-----+---+
#      7     6     5     4    3    2    1    0
#   +-----+-----+-----+----+-----+----+-----+----+
#   |MPIE | UBE |SPIE | 0  | MIE | 0  | SIE | 0  |      SXL = UXL = 2: S and U are 64-bit
#   +-----+-----+-----+----+-----+----+-----+----+
MSTATUS_SIE = 1 << 1
MSTATUS_MIE = 1 << 3
MSTATUS_SPIE = 1 << 5
MSTATUS_MPIE = 1 << 7
MSTATUS_SPP = 1 << 8
MSTATUS_MPP = 3 << 11
MSTATUS_FS = 3 << 13
MSTATUS_MPRV = 1 << 17
MSTATUS_SUM = 1 << 18
MSTATUS_MXR = 1 << 19
MSTATUS_TVM = 1 << 20
MSTATUS_TW = 1 << 21
MSTATUS_TSR = 1 << 22
MSTATUS_UXL = 3 << 32
MSTATUS_SXL = 3 << 34
MSTATUS_SD = 1 << 63
MSTATUS_WRITABLE = (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP
                    | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR
                    | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
SSTATUS_MASK = (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM
                | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)

# misa (3.1.1): MXL = 2 (64-bit) and one bit per extension letter: A, C, D, F, I, M, S, U.
#    63 62 61                 26 25                                      0
#   +-----+---------------------+-----------------------------------------+
#   | MXL |          0          |  one bit per letter: bit 0 A ... 25 Z   |
#   +-----+---------------------+-----------------------------------------+
MISA_RV64IMAFDCSU = ((2 << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8)
                     | (1 << 12) | (1 << 18) | (1 << 20))

# Interrupt bits of mip/mie, which are also the interrupt cause numbers (3.1.9):
#     11    10    9     8     7     6     5     4     3     2     1     0
#   +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+
#   |MEIP |  0  |SEIP |  0  |MTIP |  0  |STIP |  0  |MSIP |  0  |SSIP |  0  |
#   +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+
#     external      timer           software         (M: machine, S: supervisor)
IRQ_S_SOFT, IRQ_M_SOFT = 1, 3
IRQ_S_TIMER, IRQ_M_TIMER = 5, 7
IRQ_S_EXT, IRQ_M_EXT = 9, 11
MIP_SSIP, MIP_MSIP = 1 << 1, 1 << 3
MIP_STIP, MIP_MTIP = 1 << 5, 1 << 7
MIP_SEIP, MIP_MEIP = 1 << 9, 1 << 11
S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP
M_INTERRUPTS = MIP_MSIP | MIP_MTIP | MIP_MEIP
ALL_INTERRUPTS = S_INTERRUPTS | M_INTERRUPTS
INTERRUPT_FLAG = SIGN64            # mcause bit 63: "this trap is an interrupt"

# Exception causes (table 3.6)
EXC_INSN_MISALIGNED = 0
EXC_INSN_ACCESS = 1
EXC_ILLEGAL_INSN = 2
EXC_BREAKPOINT = 3
EXC_LOAD_MISALIGNED = 4
EXC_LOAD_ACCESS = 5
EXC_STORE_MISALIGNED = 6
EXC_STORE_ACCESS = 7
EXC_ECALL_U = 8
EXC_ECALL_S = 9
EXC_ECALL_M = 11
EXC_INSN_PAGE_FAULT = 12
EXC_LOAD_PAGE_FAULT = 13
EXC_STORE_PAGE_FAULT = 15
MEDELEG_WRITABLE = 0xB3FF            # every exception but ecall-from-M and the reserved ones

# Kinds of memory access; also the index of each access's TLB
ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE = 0, 1, 2

# Page-table entry bits (4.4.1, the same low bits for Sv39 and Sv48) and satp (4.1.11):
#
#   PTE   63  62 61 60    54 53                      10 9   8  7   6   5   4   3   2   1   0
#       +---+-----+--------+--------------------------+-----+---+---+---+---+---+---+---+---+
#       | N |PBMT |   0    |           PPN            | RSW | D | A | G | U | X | W | R | V |
#       +---+-----+--------+--------------------------+-----+---+---+---+---+---+---+---+---+
#         (N, PBMT: Svnapot, Svpbmt, not implemented: a PTE with any of 63:54 set faults)
#
#   satp   63    60 59            44 43                                      0
#        +--------+----------------+-----------------------------------------+
#        |  MODE  |      ASID      |         PPN of the root table           |
#        +--------+----------------+-----------------------------------------+
#          0 Bare, 8 Sv39, 9 Sv48    (ASIDs are accepted and ignored: every flush is total)
PTE_V, PTE_R, PTE_W, PTE_X = 1 << 0, 1 << 1, 1 << 2, 1 << 3
PTE_U, PTE_G, PTE_A, PTE_D = 1 << 4, 1 << 5, 1 << 6, 1 << 7
PTE_PPN_MASK = (1 << 44) - 1          # bits 53:10 hold the physical page number
PTE_RESERVED = 0xFFC0000000000000     # bits 63:54: Svnapot, Svpbmt and reserved, all unsupported
SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48 = 0, 8, 9
SATP_PPN_MASK = (1 << 44) - 1
SATP_ASID_MASK = 0xFFFF << 44

# PMP configuration bits (3.7.1), one byte per entry in pmpcfg0/2:
#      7     6   5     4   3     2     1     0
#   +-----+---------+---------+-----+-----+-----+
#   |  L  |    0    |    A    |  X  |  W  |  R  |     A: OFF, TOR, NA4, NAPOT
#   +-----+---------+---------+-----+-----+-----+
PMP_R, PMP_W, PMP_X, PMP_L = 1, 2, 4, 0x80
PMP_A_SHIFT = 3
PMP_OFF, PMP_TOR, PMP_NA4, PMP_NAPOT = 0, 1, 2, 3
PMP_COUNT = 16

# The software TLB: direct-mapped, one per access kind
TLB_SIZE = 1024
TLB_INDEX_MASK = TLB_SIZE - 1
TLB_EMPTY = 0xFFFFFFFFFFFFFFFF        # no virtual page number is this large

# CSR addresses (chapter 2)
CSR_FFLAGS, CSR_FRM, CSR_FCSR = 0x001, 0x002, 0x003
CSR_CYCLE, CSR_TIME, CSR_INSTRET = 0xC00, 0xC01, 0xC02
CSR_HPMCOUNTER3, CSR_HPMCOUNTER31 = 0xC03, 0xC1F
CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SCOUNTEREN = 0x100, 0x104, 0x105, 0x106
CSR_SENVCFG = 0x10A
CSR_SSCRATCH, CSR_SEPC, CSR_SCAUSE, CSR_STVAL, CSR_SIP = 0x140, 0x141, 0x142, 0x143, 0x144
CSR_SATP = 0x180
CSR_STIMECMP = 0x14D                   # Sstc
CSR_MVENDORID, CSR_MARCHID, CSR_MIMPID, CSR_MHARTID, CSR_MCONFIGPTR = 0xF11, 0xF12, 0xF13, 0xF14, 0xF15
CSR_MSTATUS, CSR_MISA, CSR_MEDELEG, CSR_MIDELEG = 0x300, 0x301, 0x302, 0x303
CSR_MIE, CSR_MTVEC, CSR_MCOUNTEREN = 0x304, 0x305, 0x306
CSR_MENVCFG = 0x30A
# menvcfg (3.1.18): FIOM, and STCE (Sstc: S-mode owns stimecmp, which drives mip.STIP)
MENVCFG_FIOM = 1
MENVCFG_STCE = 1 << 63
CSR_MCOUNTINHIBIT = 0x320
CSR_MHPMEVENT3, CSR_MHPMEVENT31 = 0x323, 0x33F
CSR_MSCRATCH, CSR_MEPC, CSR_MCAUSE, CSR_MTVAL, CSR_MIP = 0x340, 0x341, 0x342, 0x343, 0x344
CSR_PMPCFG0, CSR_PMPCFG2 = 0x3A0, 0x3A2
CSR_PMPADDR0, CSR_PMPADDR15 = 0x3B0, 0x3BF
CSR_MCYCLE, CSR_MINSTRET = 0xB00, 0xB02
CSR_MHPMCOUNTER3, CSR_MHPMCOUNTER31 = 0xB03, 0xB1F
# The debug triggers (Sdtrig, RISC-V Debug Specification 1.0 chapter 5): tselect picks one,
# tdata1-3 configure it, tinfo lists the types it supports. (tcontrol, mcontext and scontext
# are not implemented: like QEMU 7.2, reading them is an illegal instruction.)
CSR_TSELECT, CSR_TDATA1, CSR_TDATA2, CSR_TDATA3, CSR_TINFO = 0x7A0, 0x7A1, 0x7A2, 0x7A3, 0x7A4
# mhpmcounter3..18 hold what software writes (as QEMU's 16); no event is implemented, so they
# never count on their own (mhpmevent reads 0, "no event"). 19..31 are hardwired to zero.
HPM_COUNTERS = 16

# Debug triggers (Sdtrig 5.2): as many as QEMU 7.2's harts have, and the types they can be:
# type 2 (mcontrol, the address/data match trigger) and type 6 (mcontrol6, its successor).
#
#  tdata1 as mcontrol (type 2), RV64:
#    63  60 59  58   53 52  23 22 21 20  19    18   17 16 15  12 11   10  7  6  5  4  3  2  1  0
#   +------+----+-------+------+-----+---+------+------+-----+------+-----+------+--+--+--+--+--+--+--+
#   | type |dmode|maskmax|  0  |sizehi|hit|select|timing|sizelo|action|chain|match|M |0 |S |U |X |St|Ld|
#   +------+----+-------+------+-----+---+------+------+-----+------+-----+------+--+--+--+--+--+--+--+
#  tdata1 as mcontrol6 (type 6): the same low 16 bits (load, store, execute, U, S, M, match,
#  chain, action), then size in 19:16, select 21, hit0 22, VU 23, VS 24, hit1 25.
#  tdata2 holds the address to match. dmode = 1: only the debugger may change the trigger.
TRIGGER_COUNT = 2
TRIGGER_TYPE_SHIFT = 60
TRIGGER_MCONTROL, TRIGGER_MCONTROL6 = 2, 6
TRIGGER_LOAD, TRIGGER_STORE, TRIGGER_EXECUTE = 1 << 0, 1 << 1, 1 << 2
TRIGGER_U, TRIGGER_S, TRIGGER_M = 1 << 3, 1 << 4, 1 << 6
TRIGGER_MATCH_SHIFT = 7                # 0: equal; 1: NAPOT (the debugger's watchpoints only)
TRIGGER_ACTION_SHIFT = 12              # 0: breakpoint exception; 1: enter Debug Mode
TRIGGER_DMODE = 1 << 59
TRIGGER_VU, TRIGGER_VS = 1 << 23, 1 << 24
TRIGGER_INFO = (1 << TRIGGER_MCONTROL) | (1 << TRIGGER_MCONTROL6)   # tinfo: 0x44, as QEMU 7.2

# The debugger's software breakpoints (gdb's Z0), kept by the hart beside its triggers, and why
# a hart stopped for the debugger (Hart.halt): the run loop ends and the board pauses.
BREAKPOINT_COUNT = 64
HALT_NONE, HALT_BREAKPOINT, HALT_TRIGGER, HALT_WATCH = 0, 1, 2, 3
