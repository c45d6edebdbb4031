"""CSR numbers and the bits of them the firmware touches (RISC-V privileged spec 1.12: the CSR
map in 2.2, M-mode in chapter 3, S-mode in chapter 4; Sstc for stimecmp and menvcfg.STCE).

    mstatus   63 SD | 22 TSR 21 TW 20 TVM 19 MXR 18 SUM 17 MPRV | 12:11 MPP | 8 SPP
              7 MPIE | 5 SPIE | 3 MIE | 1 SIE
    mip/mie   11 MEI | 9 SEI | 7 MTI | 5 STI | 3 MSI | 1 SSI   (pending / enabled)
    mcause    63 interrupt | code
"""

MSTATUS = 0x300
MEDELEG = 0x302
MIDELEG = 0x303
MIE = 0x304
MCOUNTEREN = 0x306
MENVCFG = 0x30A
MIP = 0x344
PMPCFG0 = 0x3A0
PMPADDR0 = 0x3B0
PMPADDR1 = 0x3B1
MVENDORID = 0xF11
MARCHID = 0xF12
MIMPID = 0xF13
STVEC = 0x105
SCOUNTEREN = 0x106
SEPC = 0x141
SCAUSE = 0x142
STVAL = 0x143
SATP = 0x180
STIMECMP = 0x14D

# mstatus
SIE = 1 << 1
SPIE = 1 << 5
MPIE = 1 << 7
SPP = 1 << 8
MPP_SHIFT = 11
MPP = 3 << 11

# mip / mie
SSIP = 1 << 1
MSIP = 1 << 3
STIP = 1 << 5
MTIP = 1 << 7
SEIP = 1 << 9

MENVCFG_STCE = 1 << 63

# mcause (exception codes; interrupts have bit 63 set)
INTERRUPT = 1 << 63
LOAD_MISALIGNED = 4
STORE_MISALIGNED = 6
ECALL_S = 9
INSN_PAGE_FAULT = 12
LOAD_PAGE_FAULT = 13
IRQ_MSI = 3
IRQ_MTI = 7

PRV_U = 0
PRV_S = 1
PRV_M = 3
