# C types of csr.py for the compiled engine.
from downstairs.machine.core.state cimport Hart
from downstairs.machine.core cimport pmp, trap, trigger

cdef unsigned long long ALL_INTERRUPTS, EXC_ILLEGAL_INSN, MEDELEG_WRITABLE
cdef unsigned long long MIP_SEIP, MIP_SSIP, MIP_STIP, MSTATUS_FS, MSTATUS_MPP, MSTATUS_SD
cdef unsigned long long MSTATUS_TVM, MSTATUS_WRITABLE, S_INTERRUPTS, SSTATUS_MASK, MIP_WRITABLE
cdef unsigned long long MASK64, COUNTER_BITS, SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48
cdef int PRV_M, PRV_S, PRV_U
cdef int CSR_FCSR, CSR_FFLAGS, CSR_FRM
cdef int CSR_CYCLE, CSR_HPMCOUNTER3, CSR_HPMCOUNTER31, CSR_INSTRET, CSR_MARCHID, CSR_MCAUSE
cdef int CSR_MCONFIGPTR, CSR_MCOUNTEREN, CSR_MCOUNTINHIBIT, CSR_MCYCLE, CSR_MEDELEG, CSR_MENVCFG
cdef int CSR_MEPC, CSR_MHARTID, CSR_MHPMCOUNTER3, CSR_MHPMCOUNTER31, CSR_MHPMEVENT3, CSR_MHPMEVENT31
cdef int CSR_MIDELEG, CSR_MIE, CSR_MIMPID, CSR_MINSTRET, CSR_MIP, CSR_MISA, CSR_MSCRATCH, CSR_MSTATUS
cdef int CSR_MTVAL, CSR_MTVEC, CSR_MVENDORID, CSR_PMPADDR0, CSR_PMPADDR15, CSR_PMPCFG0, CSR_PMPCFG2
cdef int CSR_SATP, CSR_SCAUSE, CSR_SCOUNTEREN, CSR_SENVCFG, CSR_SEPC, CSR_SIE, CSR_SIP, CSR_SSCRATCH
cdef int CSR_SSTATUS, CSR_STVAL, CSR_STVEC, CSR_TIME, CSR_STIMECMP, CSR_TSELECT, CSR_TINFO
cdef unsigned long long MENVCFG_FIOM, MENVCFG_STCE
cdef int HPM_COUNTERS

cpdef void execute(Hart h, unsigned long long insn)
cpdef bint allowed(Hart h, int number, bint writes)
cpdef unsigned long long status_read(Hart h)
cpdef unsigned long long read(Hart h, int number)
cpdef void write(Hart h, int number, unsigned long long value)
cpdef void store(Hart h, int number, unsigned long long value)
cpdef void write_status(Hart h, unsigned long long value)
