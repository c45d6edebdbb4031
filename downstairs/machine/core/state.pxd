# C types of state.py for the compiled engine (Cython pure-Python mode).

ctypedef unsigned long long u64

cdef u64 MISA_RV64IMAFDCSU, MSTATUS_MPRV, MSTATUS_SXL, MSTATUS_UXL, NO_ADDRESS, TRIGGER_DMODE
cdef int PRV_M, HALT_NONE, TRIGGER_MCONTROL, TRIGGER_TYPE_SHIFT
include "ops.pxi"                    # the array sizes below, TLB_EMPTY (generated from ops.py)

cdef class Hart:
    # Unprivileged state
    cdef u64 x[33]                   # x0-x31, and 32: where decoded results for x0 go
    cdef public u64 pc
    cdef public int priv
    cdef public u64 instret          # instructions retired; cycle = instret + cycle_delta
    cdef public u64 cycle_delta
    cdef u64 f[32]                   # F and D registers; singles NaN-boxed
    cdef public unsigned int fflags, frm   # fcsr's two fields

    # Machine- and supervisor-level CSRs
    cdef public u64 mstatus, misa, medeleg, mideleg, mie, mip
    cdef public u64 mtvec, stvec, mepc, sepc, mcause, scause, mtval, stval
    cdef public u64 mscratch, sscratch, mcounteren, scounteren, menvcfg, senvcfg
    cdef public u64 satp, mhartid
    cdef public u64 stimecmp         # Sstc: STIP is pending while time >= stimecmp (menvcfg.STCE)
    cdef unsigned char pmpcfg[PMP_COUNT]
    cdef u64 pmpaddr[PMP_COUNT]
    cdef u64 pmp_lo[PMP_COUNT]              # each entry's byte range [lo, hi), decoded (pmp.update_ranges)
    cdef u64 pmp_hi[PMP_COUNT]
    cdef u64 mhpmcounter[HPM_COUNTERS]         # mhpmcounter3..18: writable, counting no event
    cdef public int pmp_entries      # how many entries are switched on (0: skip the checks)

    # Sdtrig debug triggers (trigger.py): tselect, and each trigger's tdata1 and tdata2
    cdef public int tselect
    cdef u64 tdata1[TRIGGER_COUNT]
    cdef u64 tdata2[TRIGGER_COUNT]
    # The debugger's software breakpoints (virtual pcs), and what trigger.update found armed:
    # a breakpoint or an execute trigger (fetches go through trigger.fetch_check), a load or
    # store trigger (pages in [watch_lo, watch_hi) stay out of the TLB, so accesses there
    # go through trigger.data_check)
    cdef u64 breakpoints[BREAKPOINT_COUNT]
    cdef public int breakpoint_count
    cdef public int debug_fetch, debug_data
    cdef public u64 watch_lo, watch_hi
    # Why the hart stopped for the debugger (HALT_*), a watchpoint's address; and the
    # debugger's single step, which takes no interrupt (as QEMU's gdb stub steps)
    cdef public int halt
    cdef public u64 halt_addr
    cdef public int hold_interrupts

    # LR/SC: the reserved physical address and the value LR read there
    cdef public u64 reserve_addr, reserve_value

    # Run-loop signals: a trap was taken mid-instruction; the hart sleeps in wfi
    cdef public int trapped, waiting
    # Scratch results of slow paths: a bus access nobody answered; the PTE just read
    cdef public int bus_error, device_access
    cdef public u64 walk_pte, walk_pte_addr

    # What the hart is wired to
    cdef public object ram
    cdef unsigned char *ram_ptr
    cdef public u64 ram_base, ram_size
    cdef public u64 hole_start, hole_end
    cdef public u64 fetch_watch_start, fetch_watch_end   # set_fetch_watch
    cdef public int stop_on_system   # end each run after a SYSTEM instruction (the stage tracer)
    # A tracer (machine/observe.py) with trap(), xret() and csr_write(), told while observing
    cdef public object observer
    cdef public int observing
    cdef public object bus, timer

    # TLBs: [ACCESS_FETCH/LOAD/STORE][index] -> the virtual page number, and what to add to a
    # virtual address in the page for its RAM offset (modulo 2^64, as QEMU's TLB addend).
    # Each tag is a virtual page number | a context (update_context): fetch, and load/store
    cdef public u64 ctx_fetch, ctx_data
    cdef u64 tlb_vpn[3][TLB_SIZE]
    cdef u64 tlb_add[3][TLB_SIZE]

    # Decoded instructions (execute.decode), grouped in blocks (ops.py): a block is found by
    # its first pc in the block table, entry (pc >> 1) & BK_MASK, tagged by virtual pc, so a
    # hit needs no translation; entry BK_SIZE is the spare's block
    cdef u64 bk_tag[BK_SIZE + 1]           # pc ^ ctx_fetch; all ones: empty
    cdef int bk_first[BK_SIZE + 1]         # its first record
    cdef int bk_count[BK_SIZE + 1]         # how many instructions it has
    cdef u64 bk_offset[BK_SIZE + 1]        # the RAM offset it was decoded from ...
    cdef int bk_bytes[BK_SIZE + 1]         # ... and how many bytes (flush_decoded_range)
    cdef public int dc_next          # the first free record
    # The records, one array per field (the hot loop reads each with one instruction): the
    # op, registers (rd 32: the result is dropped), funct3, the sign-extended immediate (for
    # a branch, JAL and AUIPC its target's or result's offset from the block's pc instead),
    # where the instruction and the next one start as offsets from the block's pc, and the
    # instruction's bits; records DC_SIZE and DC_SIZE + 1 are the spare block's
    cdef unsigned char dc_op[DC_SIZE + 2]
    cdef unsigned char dc_rd[DC_SIZE + 2]
    cdef unsigned char dc_rs1[DC_SIZE + 2]
    cdef unsigned char dc_rs2[DC_SIZE + 2]
    cdef unsigned char dc_funct3[DC_SIZE + 2]     # for I_BITMANIP: which operation (bitmanip.py)
    cdef unsigned short dc_off[DC_SIZE + 2]
    cdef unsigned short dc_after[DC_SIZE + 2]
    cdef int dc_imm[DC_SIZE + 2]
    cdef public u64 code_lo, code_hi  # the RAM offsets decoded from since the last flush
    cdef public u64 dc_generation    # bumped by every flush_decoded; part of ctx_fetch
    cdef unsigned int dc_insn[DC_SIZE + 2]
    cdef unsigned int dc_raw[DC_SIZE + 2]

    cpdef void reset(self, u64 pc) noexcept
    cpdef void update_context(self) noexcept
    cpdef void flush_tlb(self) noexcept
    cpdef void flush_decoded(self) noexcept
    cpdef void flush_decoded_range(self, u64 start_offset, u64 end_offset) noexcept
    cpdef void flush_tlb_page(self, u64 vaddr) noexcept
