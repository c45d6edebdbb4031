"""Control and status registers: the Zicsr instructions and every CSR this hart has.

Zicsr is Unprivileged ISA chapter 9: csrrw/csrrs/csrrc and their immediate forms, where
csrrs/csrrc with x0 (or a zero immediate) read without writing and csrrw to x0 writes
without reading. Which CSRs exist, who may touch them and what each bit does is the
privileged spec: the address map with its access rules (2.1: bits 11:10 = 0b11 is read-only,
bits 9:8 are the lowest privilege allowed), then chapter 3 for M-mode and chapter 4 for
S-mode. The F extension's fcsr and its fflags and frm views (Unprivileged 11.2) are
here too: inaccessible while mstatus.FS is Off, and a write makes FS Dirty. Registers are WARL ("write any, read legal"): a write of an unsupported value is
turned into a supported one, never an error. Touching a CSR that does not exist, or one the
current mode may not, is an illegal-instruction exception whose tval is the instruction
(firmware such as OpenSBI probes for CSRs this way).
"""

import cython

from downstairs.machine.core import pmp, trap, trigger
from downstairs.machine.core.consts import (
    ALL_INTERRUPTS, CSR_CYCLE, CSR_FCSR, CSR_FFLAGS, CSR_FRM, CSR_HPMCOUNTER3, CSR_HPMCOUNTER31, CSR_INSTRET, CSR_MARCHID,
    CSR_MCAUSE, CSR_MCONFIGPTR, CSR_MCOUNTEREN, CSR_MCOUNTINHIBIT, CSR_MCYCLE, CSR_MEDELEG,
    CSR_MENVCFG, CSR_MEPC, CSR_MHARTID, CSR_MHPMCOUNTER3, CSR_MHPMCOUNTER31, CSR_MHPMEVENT3,
    CSR_MHPMEVENT31, CSR_MIDELEG, CSR_MIE, CSR_MIMPID, CSR_MINSTRET, CSR_MIP, CSR_MISA,
    CSR_MSCRATCH, CSR_MSTATUS, CSR_MTVAL, CSR_MTVEC, CSR_MVENDORID, CSR_PMPADDR0,
    CSR_PMPADDR15, CSR_PMPCFG0, CSR_PMPCFG2, CSR_SATP, CSR_SCAUSE, CSR_SCOUNTEREN,
    CSR_SENVCFG, CSR_SEPC, CSR_SIE, CSR_SIP, CSR_SSCRATCH, CSR_SSTATUS, CSR_STVAL, CSR_STVEC,
    CSR_STIMECMP, CSR_TIME, CSR_TINFO, CSR_TSELECT, EXC_ILLEGAL_INSN, HPM_COUNTERS, MASK64, MEDELEG_WRITABLE,
    MENVCFG_FIOM, MENVCFG_STCE, MIP_SEIP, MIP_SSIP, MIP_STIP,
    MSTATUS_FS, MSTATUS_MPP, MSTATUS_SD, MSTATUS_TVM, MSTATUS_WRITABLE,
    PRV_M, PRV_S, PRV_U, S_INTERRUPTS, SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48,
    SSTATUS_MASK,
)
from downstairs.machine.core.state import Hart

# Bits software may write in mip: the S-level pending bits (M-level ones are wires from
# the CLINT and PLIC). Through sip, only SSIP, and only when delegated.
MIP_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP
COUNTER_BITS = 0xFFFFFFFF        # one bit per counter: CY, TM, IR, HPM3..HPM31


def execute(h: Hart, insn: cython.ulonglong) -> None:
    """Run one Zicsr instruction (funct3 = 1, 2, 3, 5, 6, 7 of the SYSTEM opcode)."""
    funct3: cython.int = (insn >> 12) & 7
    rd: cython.int = (insn >> 7) & 31
    rs1: cython.int = (insn >> 15) & 31
    number: cython.int = insn >> 20
    operand: cython.ulonglong = rs1 if funct3 & 4 else h.x[rs1]
    op: cython.int = funct3 & 3                          # 1 = write, 2 = set, 3 = clear
    writes: cython.bint = op == 1 or rs1 != 0
    if not allowed(h, number, writes):
        trap.exception(h, EXC_ILLEGAL_INSN, insn)
        return
    h.bus_error = 0
    old: cython.ulonglong = read(h, number)
    if h.bus_error:
        trap.exception(h, EXC_ILLEGAL_INSN, insn)
        return
    if writes:
        if op == 1:
            new: cython.ulonglong = operand
        elif op == 2:
            new = old | operand
        else:
            new = old & ~operand
        write(h, number, new)
    if rd:
        h.x[rd] = old


def allowed(h: Hart, number: cython.int, writes: cython.bint) -> cython.bint:
    """Whether the current privilege may access CSR `number` (writing it if `writes`): the
    address says its lowest privilege (bits 9:8) and read-only (11:10 = 3); the FPU CSRs need
    mstatus.FS on; counters need mcounteren/scounteren; satp in S needs TVM clear."""
    if CSR_FFLAGS <= number <= CSR_FCSR and h.mstatus & MSTATUS_FS == 0:
        return False                                     # the FPU is switched off
    if writes and (number >> 10) & 3 == 3:
        return False                                     # a read-only CSR
    if h.priv < (number >> 8) & 3:
        return False                                     # needs more privilege
    if CSR_CYCLE <= number <= CSR_HPMCOUNTER31 and h.priv != PRV_M:
        bit: cython.ulonglong = cython.cast(cython.ulonglong, 1) << (number - CSR_CYCLE)
        if not h.mcounteren & bit:
            return False
        if h.priv == PRV_U and not h.scounteren & bit:
            return False
    if number == CSR_SATP and h.priv == PRV_S and h.mstatus & MSTATUS_TVM:
        return False                                     # TVM traps S-mode satp accesses
    if number == CSR_STIMECMP and h.priv != PRV_M:
        # Sstc: below M, stimecmp exists only with menvcfg.STCE and mcounteren.TM set
        if not h.menvcfg & MENVCFG_STCE or not h.mcounteren & 2:
            return False
    return True


def status_read(h: Hart) -> cython.ulonglong:
    """mstatus with SD computed: set when FS (or XS/VS) says some state is dirty."""
    value: cython.ulonglong = h.mstatus
    if (value & MSTATUS_FS) == MSTATUS_FS:
        value |= MSTATUS_SD
    return value


def read(h: Hart, number: cython.int) -> cython.ulonglong:
    """The value software reads; sets h.bus_error when there is no such CSR."""
    if number == CSR_MSTATUS:
        return status_read(h)
    if number == CSR_FFLAGS:
        return h.fflags
    if number == CSR_FRM:
        return h.frm
    if number == CSR_FCSR:
        return (h.frm << 5) | h.fflags
    if number == CSR_SSTATUS:
        return status_read(h) & SSTATUS_MASK
    if number == CSR_MISA:
        return h.misa
    if number == CSR_MEDELEG:
        return h.medeleg
    if number == CSR_MIDELEG:
        return h.mideleg
    if number == CSR_MIE:
        return h.mie
    if number == CSR_SIE:
        return h.mie & h.mideleg
    if number == CSR_MIP:
        return h.mip
    if number == CSR_SIP:
        return h.mip & h.mideleg
    if number == CSR_MTVEC:
        return h.mtvec
    if number == CSR_STVEC:
        return h.stvec
    if number == CSR_MEPC:
        return h.mepc
    if number == CSR_SEPC:
        return h.sepc
    if number == CSR_MCAUSE:
        return h.mcause
    if number == CSR_SCAUSE:
        return h.scause
    if number == CSR_MTVAL:
        return h.mtval
    if number == CSR_STVAL:
        return h.stval
    if number == CSR_MSCRATCH:
        return h.mscratch
    if number == CSR_SSCRATCH:
        return h.sscratch
    if number == CSR_SATP:
        return h.satp
    if number == CSR_MCOUNTEREN:
        return h.mcounteren
    if number == CSR_SCOUNTEREN:
        return h.scounteren
    if number == CSR_MENVCFG:
        return h.menvcfg
    if number == CSR_SENVCFG:
        return h.senvcfg
    if number == CSR_STIMECMP:
        return h.stimecmp
    if number == CSR_MHARTID:
        return h.mhartid
    if number in (CSR_MVENDORID, CSR_MARCHID, CSR_MIMPID, CSR_MCONFIGPTR, CSR_MCOUNTINHIBIT):
        return 0
    if number == CSR_CYCLE or number == CSR_MCYCLE:
        return (h.instret + h.cycle_delta) & MASK64      # one instruction per cycle
    if number == CSR_INSTRET or number == CSR_MINSTRET:
        return h.instret
    if number == CSR_TIME:
        if h.timer is None:                              # a board without a time source (Spike)
            h.bus_error = 1
            return 0
        return h.timer.mtime()
    if CSR_HPMCOUNTER3 <= number <= CSR_HPMCOUNTER31 or CSR_MHPMCOUNTER3 <= number <= CSR_MHPMCOUNTER31:
        index: cython.int = (number & 0x1F) - 3
        return h.mhpmcounter[index] if index < HPM_COUNTERS else 0
    if CSR_MHPMEVENT3 <= number <= CSR_MHPMEVENT31:
        return 0                                         # no events: "count nothing"
    if number == CSR_PMPCFG0 or number == CSR_PMPCFG2:
        first: cython.int = (number - CSR_PMPCFG0) * 4   # pmpcfg2 holds entries 8..15 on RV64
        value: cython.ulonglong = 0
        i: cython.int
        for i in range(8):
            value |= cython.cast(cython.ulonglong, h.pmpcfg[first + i]) << (8 * i)
        return value
    if CSR_PMPADDR0 <= number <= CSR_PMPADDR15:
        return h.pmpaddr[number - CSR_PMPADDR0]
    if CSR_TSELECT <= number <= CSR_TINFO:
        return trigger.read(h, number)                   # the debug triggers (Sdtrig)
    h.bus_error = 1
    return 0


def write(h: Hart, number: cython.int, value: cython.ulonglong) -> None:
    """Store a written value, legalised (WARL), and tell a tracer watching the hart. Only
    called for CSRs that exist."""
    store(h, number, value)
    if h.observing:
        h.observer.csr_write(h, number, read(h, number))


def store(h: Hart, number: cython.int, value: cython.ulonglong) -> None:
    """The heart of write(): the WARL rules of each CSR."""
    i: cython.int
    if number == CSR_MSTATUS:
        write_status(h, (h.mstatus & ~MSTATUS_WRITABLE) | (value & MSTATUS_WRITABLE))
    elif number == CSR_SSTATUS:
        mask: cython.ulonglong = SSTATUS_MASK & MSTATUS_WRITABLE
        write_status(h, (h.mstatus & ~mask) | (value & mask))
    elif number == CSR_FFLAGS:
        h.fflags = value & 0x1F
        h.mstatus |= MSTATUS_FS
    elif number == CSR_FRM:
        h.frm = value & 7                                # 5-7 are kept; using them is illegal
        h.mstatus |= MSTATUS_FS
    elif number == CSR_FCSR:
        h.fflags = value & 0x1F
        h.frm = (value >> 5) & 7
        h.mstatus |= MSTATUS_FS
    elif number == CSR_MEDELEG:
        h.medeleg = value & MEDELEG_WRITABLE
    elif number == CSR_MIDELEG:
        h.mideleg = value & S_INTERRUPTS
    elif number == CSR_MIE:
        h.mie = value & ALL_INTERRUPTS
    elif number == CSR_SIE:
        h.mie = (h.mie & ~h.mideleg) | (value & h.mideleg)
    elif number == CSR_MIP:
        mask = MIP_WRITABLE
        if h.menvcfg & MENVCFG_STCE:
            mask &= ~MIP_STIP                            # Sstc drives STIP: read-only
        h.mip = (h.mip & ~mask) | (value & mask)
    elif number == CSR_SIP:
        mask = MIP_SSIP & h.mideleg
        h.mip = (h.mip & ~mask) | (value & mask)
    elif number == CSR_MTVEC:
        if value & 3 < 2:                                # modes 2 and 3 are reserved
            h.mtvec = value
    elif number == CSR_STVEC:
        if value & 3 < 2:
            h.stvec = value
    elif number == CSR_MEPC:
        h.mepc = value & ~cython.cast(cython.ulonglong, 1)
    elif number == CSR_SEPC:
        h.sepc = value & ~cython.cast(cython.ulonglong, 1)
    elif number == CSR_MCAUSE:
        h.mcause = value
    elif number == CSR_SCAUSE:
        h.scause = value
    elif number == CSR_MTVAL:
        h.mtval = value
    elif number == CSR_STVAL:
        h.stval = value
    elif number == CSR_MSCRATCH:
        h.mscratch = value
    elif number == CSR_SSCRATCH:
        h.sscratch = value
    elif number == CSR_SATP:
        mode: cython.ulonglong = value >> 60
        if mode == SATP_MODE_BARE or mode == SATP_MODE_SV39 or mode == SATP_MODE_SV48:
            h.satp = value                               # any other mode: the write is ignored
            h.flush_tlb()
    elif number == CSR_MCOUNTEREN:
        h.mcounteren = value & COUNTER_BITS
    elif number == CSR_SCOUNTEREN:
        h.scounteren = value & COUNTER_BITS
    elif number == CSR_MENVCFG:
        h.menvcfg = value & (MENVCFG_FIOM | MENVCFG_STCE)   # no CBO or PBMT
    elif number == CSR_STIMECMP:
        h.stimecmp = value
        # Sstc: STIP is pending exactly while time >= stimecmp. The board re-evaluates it
        # between runs; a handler that just pushed stimecmp ahead must see STIP drop now.
        if h.timer is not None and h.menvcfg & MENVCFG_STCE:
            if h.timer.mtime() >= value:
                h.mip |= MIP_STIP
            else:
                h.mip &= ~MIP_STIP
    elif number == CSR_SENVCFG:
        h.senvcfg = value & 1
    elif number == CSR_MCYCLE:
        h.cycle_delta = (value - h.instret - 1) & MASK64  # the writing instruction still retires
    elif number == CSR_MINSTRET:
        h.cycle_delta = (h.cycle_delta + h.instret + 1 - value) & MASK64
        h.instret = (value - 1) & MASK64
    elif number == CSR_PMPCFG0 or number == CSR_PMPCFG2:
        first: cython.int = (number - CSR_PMPCFG0) * 4
        for i in range(8):
            pmp.write_cfg(h, first + i, (value >> (8 * i)) & 0xFF)
    elif CSR_MHPMCOUNTER3 <= number <= CSR_MHPMCOUNTER31:
        i = number - CSR_MHPMCOUNTER3
        if i < HPM_COUNTERS:
            h.mhpmcounter[i] = value
    elif CSR_PMPADDR0 <= number <= CSR_PMPADDR15:
        pmp.write_addr(h, number - CSR_PMPADDR0, value)
        h.flush_tlb()
    elif CSR_TSELECT <= number <= CSR_TINFO:
        trigger.write(h, number, value)


def write_status(h: Hart, value: cython.ulonglong) -> None:
    """mstatus.MPP is WARL over the modes that exist (U, S, M): 2 keeps the old value.
    MPRV, MPP, SUM and MXR decide how loads and stores are checked: a new TLB context."""
    if (value & MSTATUS_MPP) >> 11 == 2:
        value = (value & ~MSTATUS_MPP) | (h.mstatus & MSTATUS_MPP)
    h.mstatus = value
    h.update_context()
