"""The state of one RISC-V hart: what a snapshot of the processor would have to save.

The integer registers and pc (Unprivileged ISA 2.1), the f registers (64 bits wide, for D)
and fcsr (11.1-11.2), the current privilege level and the machine- and supervisor-level
CSRs (privileged spec chapters 3 and 4), the PMP entries
(3.7), the LR/SC reservation (Unprivileged 8.2), and two things a real core keeps in
hardware structures: the TLBs and a pointer to the RAM it is wired to.

The other core modules are functions over a `Hart`: execute.py runs instructions, csr.py
reads and writes CSRs, trap.py takes traps, mmu.py translates addresses, pmp.py checks
physical accesses. Types for the compiled engine are in state.pxd beside this file.
"""

import cython

from downstairs.machine.core.consts import (
    HALT_NONE, MISA_RV64IMAFDCSU, MSTATUS_MPRV, MSTATUS_SXL, MSTATUS_UXL, NO_ADDRESS, PRV_M,
    TRIGGER_DMODE, TRIGGER_MCONTROL, TRIGGER_TYPE_SHIFT,
)

# Array sizes: C constants in the compiled engine (ops.pxi, generated from ops.py).
if not cython.compiled:
    from downstairs.machine.core.ops import (
        BK_MASK, BK_PAGE, BK_SIZE, BREAKPOINT_COUNT, DC_SIZE, HPM_COUNTERS, PMP_COUNT, TLB_EMPTY,
        TLB_INDEX_MASK, TLB_SIZE, TRIGGER_COUNT,
    )


class Hart:
    def __init__(self, hartid, ram, ram_base, ram_size, bus, timer):
        """`ram` is the board's RAM, any writable buffer (with 8 spare bytes at the end, so that a 4-byte fetch
        of a 2-byte instruction at the very end stays inside the buffer). `bus` answers
        physical accesses outside RAM; `timer.mtime()` gives the current `time`."""
        if not cython.compiled:
            self.x = [0] * 33
            self.f = [0] * 32
            self.pmpcfg = [0] * PMP_COUNT
            self.pmpaddr = [0] * PMP_COUNT
            self.pmp_lo = [0] * PMP_COUNT
            self.pmp_hi = [0] * PMP_COUNT
            self.mhpmcounter = [0] * HPM_COUNTERS
            self.tdata1 = [0] * TRIGGER_COUNT
            self.tdata2 = [0] * TRIGGER_COUNT
            self.breakpoints = [0] * BREAKPOINT_COUNT
            self.tlb_vpn = [[TLB_EMPTY] * TLB_SIZE for _ in range(3)]
            self.tlb_add = [[0] * TLB_SIZE for _ in range(3)]
            self.dc_op = [0] * (DC_SIZE + 2)
            self.dc_rd = [0] * (DC_SIZE + 2)
            self.dc_rs1 = [0] * (DC_SIZE + 2)
            self.dc_rs2 = [0] * (DC_SIZE + 2)
            self.dc_funct3 = [0] * (DC_SIZE + 2)
            self.dc_off = [0] * (DC_SIZE + 2)
            self.dc_after = [0] * (DC_SIZE + 2)
            self.dc_imm = [0] * (DC_SIZE + 2)
            self.dc_insn = [0] * (DC_SIZE + 2)
            self.dc_raw = [0] * (DC_SIZE + 2)
            self.bk_tag = [TLB_EMPTY] * (BK_SIZE + 1)
            self.bk_first = [0] * (BK_SIZE + 1)
            self.bk_count = [0] * (BK_SIZE + 1)
            self.bk_offset = [0] * (BK_SIZE + 1)
            self.bk_bytes = [0] * (BK_SIZE + 1)
        self.ram = ram
        if cython.compiled:
            view: cython.uchar[::1] = ram
            self.ram_ptr = cython.address(view[0])
        self.ram_base = ram_base
        self.ram_size = ram_size
        self.hole_start = 0
        self.hole_end = 0
        self.fetch_watch_start = 0
        self.fetch_watch_end = 0
        self.stop_on_system = 0
        self.observer = None                 # a tracer told of traps, xRETs and CSR writes ...
        self.observing = 0                   # ... while this is set (observe.py)
        # The debugger's side of the triggers (trigger.py): its breakpoints, what is armed,
        # and why the hart stopped for it. Kept across a reset (the guest does not own them).
        self.breakpoint_count = 0
        self.debug_fetch = 0
        self.debug_data = 0
        self.watch_lo = 0
        self.watch_hi = 0
        self.hold_interrupts = 0
        i: cython.int
        for i in range(TRIGGER_COUNT):
            self.tdata1[i] = 0
        self.bus = bus
        self.timer = timer
        self.mhartid = hartid
        self.reset(0x1000)

    def reset(self, pc) -> None:
        """The reset state (privileged spec 3.4): M-mode, MIE and MPRV clear, misa at its
        widest, everything else zero; execution starts at the board's reset vector."""
        i: cython.int
        for i in range(32):
            self.x[i] = 0
            self.f[i] = 0
        self.fflags = 0
        self.frm = 0
        self.pc = pc
        self.priv = PRV_M
        self.mstatus = MSTATUS_UXL & (2 << 32) | MSTATUS_SXL & (2 << 34)
        self.misa = MISA_RV64IMAFDCSU
        self.medeleg = self.mideleg = 0
        self.mie = self.mip = 0
        self.mtvec = self.stvec = 0
        self.mepc = self.sepc = 0
        self.mcause = self.scause = 0
        self.mtval = self.stval = 0
        self.mscratch = self.sscratch = 0
        self.mcounteren = self.scounteren = 0
        self.menvcfg = self.senvcfg = 0
        self.satp = 0
        self.stimecmp = 0
        self.instret = 0
        self.cycle_delta = 0
        for i in range(PMP_COUNT):
            self.pmpcfg[i] = 0
            self.pmpaddr[i] = 0
            self.pmp_lo[i] = 0
            self.pmp_hi[i] = 0
        for i in range(HPM_COUNTERS):
            self.mhpmcounter[i] = 0
        self.pmp_entries = 0
        self.reserve_addr = NO_ADDRESS
        self.reserve_value = 0
        self.trapped = 0
        self.bus_error = 0
        self.device_access = 0
        self.walk_pte = 0
        self.walk_pte_addr = 0
        self.waiting = 0
        self.tselect = 0
        for i in range(TRIGGER_COUNT):           # the guest's triggers, not the debugger's
            if not self.tdata1[i] & TRIGGER_DMODE:
                self.tdata1[i] = cython.cast(cython.ulonglong, TRIGGER_MCONTROL) << TRIGGER_TYPE_SHIFT
                self.tdata2[i] = 0
        self.halt = HALT_NONE
        self.halt_addr = 0
        self.dc_generation = 1023            # the flush below wraps it to 0: tags cleared
        self.flush_tlb()

    def flush_decoded(self) -> None:
        """Forget every decoded instruction: fence.i (Zifencei), reset, any change of
        translation (the cache is reached by virtual address, see execute.py), and a full
        record store. A new generation number in the fetch context (bits 54-63 of every block
        tag) makes all older blocks miss at once; only when the number wraps around are the
        tags cleared. The records are then free: new blocks fill them from the start."""
        i: cython.int
        self.dc_generation = (self.dc_generation + 1) & 1023
        if self.dc_generation == 0:
            if cython.compiled:
                for i in range(BK_SIZE + 1):
                    self.bk_tag[i] = TLB_EMPTY
            else:
                self.bk_tag = [TLB_EMPTY] * (BK_SIZE + 1)
        self.dc_next = 0
        self.code_lo = TLB_EMPTY
        self.code_hi = 0
        self.update_context()

    def update_context(self) -> None:
        """Recompute the TLB context: what, besides the page, decides a translation's
        outcome. A fetch is checked at the current privilege; a load or store at the
        privilege MPRV selects (3.1.6.3), with SUM and MXR (4.1.1.2). The context sits in the
        top bits of every TLB tag (a virtual page number has at most 52 bits), so entries
        made under another context simply miss: a trap, an xRET or an sstatus write needs no
        flush. The fetch context also carries the decoded-instruction cache's generation
        (flush_decoded). Call after any change of the privilege level or of mstatus."""
        data_priv: cython.ulonglong = self.priv
        if self.priv == PRV_M and self.mstatus & MSTATUS_MPRV:
            data_priv = (self.mstatus >> 11) & 3
        self.ctx_fetch = (cython.cast(cython.ulonglong, self.priv) << 52) | (self.dc_generation << 54)
        self.ctx_data = (data_priv | (((self.mstatus >> 18) & 3) << 2)) << 52   # SUM, MXR

    def flush_decoded_range(self, start_offset, end_offset) -> None:
        """Forget the blocks that overlap RAM offsets [start_offset, end_offset): a device wrote
        there (DMA), and like QEMU the harts must see the new bytes. Nothing to do when the
        range misses every RAM offset decoded from since the last flush (most DMA: data)."""
        block: cython.int
        if end_offset <= start_offset or end_offset <= self.code_lo or start_offset >= self.code_hi:
            return
        for block in range(BK_SIZE):
            if (self.bk_tag[block] != TLB_EMPTY and self.bk_offset[block] < end_offset
                    and start_offset < self.bk_offset[block] + self.bk_bytes[block]):
                self.bk_tag[block] = TLB_EMPTY

    def flush_tlb(self) -> None:
        """Forget every cached translation (sfence.vma, and any change of satp or PMP), and
        so the instructions decoded through them."""
        kind: cython.int
        i: cython.int
        if cython.compiled:
            for kind in range(3):
                for i in range(TLB_SIZE):
                    self.tlb_vpn[kind][i] = TLB_EMPTY
        else:
            self.tlb_vpn = [[TLB_EMPTY] * TLB_SIZE for _ in range(3)]
        self.flush_decoded()

    def flush_tlb_page(self, vaddr: cython.ulonglong) -> None:
        """Forget what was cached through the translation of the one page at `vaddr`
        (sfence.vma with rs1, privileged spec 4.2.1): its TLB entries, in any context, and
        the blocks decoded from it, which sit in the page's BK_PAGE block-table entries
        (blocks of pages BK_SIZE * 2 bytes apart share them and are forgotten too)."""
        kind: cython.int
        block: cython.int
        first: cython.int = ((vaddr >> 1) & BK_MASK) & ~(BK_PAGE - 1)
        for kind in range(3):
            self.tlb_vpn[kind][(vaddr >> 12) & TLB_INDEX_MASK] = TLB_EMPTY
        for block in range(first, first + BK_PAGE):
            self.bk_tag[block] = TLB_EMPTY

    def set_hole(self, start: int, end: int) -> None:
        """Part of RAM's address range that a device answers instead (HTIF's tohost on
        Spike). Its pages never enter the TLB, so every access reaches the bus."""
        self.hole_start = start
        self.hole_end = end
        self.flush_tlb()

    def set_fetch_watch(self, start: int, end: int) -> None:
        """Physical addresses whose instruction fetches go to the bus (a debugger's or
        tracer's watch on where code starts running); loads and stores there stay plain RAM.
        Pages in the range never enter the fetch TLB, so every fetch there is seen."""
        self.fetch_watch_start = start
        self.fetch_watch_end = end
        self.flush_tlb()

    def set_pending(self, mask: int, level: bool) -> None:
        """An interrupt wire from a device (CLINT, PLIC) sets or clears bits of mip."""
        if level:
            self.mip |= mask
        else:
            self.mip &= ~mask

    def reg(self, n: int) -> int:
        """x[n] (for tests and debuggers: the run loop reads the array itself)."""
        return self.x[n]

    def set_reg(self, n: int, value: int) -> None:
        """Set x[n] from outside the hart (x0 stays zero)."""
        if n:
            self.x[n] = value & 0xFFFFFFFFFFFFFFFF

    def freg(self, n: int) -> int:
        """f[n], as its 64-bit pattern (a single is NaN-boxed)."""
        return self.f[n]

    def set_freg(self, n: int, value: int) -> None:
        """Set f[n] to a 64-bit pattern from outside the hart."""
        self.f[n] = value & 0xFFFFFFFFFFFFFFFF

    def registers(self) -> list:
        """x0..x31, as a list."""
        return [self.x[i] for i in range(32)]
