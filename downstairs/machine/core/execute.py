"""The instruction cycle: fetch, decode, execute, retire, one instruction at a time.

RV64I (Unprivileged ISA chapters 2 and 5), M (7), A (8, in atomic.py), C (16, expanded by
compressed.py), F and D (11, 12, in fpu.py over softfloat.py), B (Zba Zbb Zbc Zbs, in
bitmanip.py), Zicsr (9, in csr.py),
Zifencei (3) and the privileged instructions ecall, ebreak, mret, sret, wfi and sfence.vma
(privileged spec 3.3). Instruction fields follow the base formats of 2.2-2.3; the opcode map
is table 24.1.

This is the hot path. An instruction found in the decoded-instruction cache needs no fetch;
a load or store whose page is in the TLB goes straight to RAM here; anything else (a cache
or TLB miss, a device, a fault, an atomic, a SYSTEM instruction) is a slow path: it leaves
the straight-line loop after the instruction, so the loop re-reads the privilege and the
translation context and takes an interrupt that became enabled. When something raises an
exception, the trap has already been entered and `h.trapped` is set: the instruction is
abandoned without retiring. wfi and device accesses end the run, so the board looks at the
devices and interrupt wires before the next instruction.
"""

import cython

from downstairs.machine.core import alu, atomic, bitmanip, compressed, csr, fpu, memory, physmem, trap, trigger
from downstairs.machine.core.consts import (
    EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL_INSN, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW,
    PRV_M, PRV_S, PRV_U,
)
from downstairs.machine.core.state import Hart

# The ops, the major opcodes and the hot loop's masks (ops.py). The compiled engine has them as
# C constants (ops.pxi, included by execute.pxd): the dispatch below becomes a jump table and
# masks such as `& MASK64` cost nothing. CPython needs the same names as values.
if not cython.compiled:
    from downstairs.machine.core.ops import *  # noqa: F403 (ops.__all__)

# BRANCH's funct3 -> op (2 and 3 are not branches).
if cython.compiled:
    BRANCH_OPS[0], BRANCH_OPS[1], BRANCH_OPS[2], BRANCH_OPS[3] = I_BEQ, I_BNE, I_ILLEGAL, I_ILLEGAL
    BRANCH_OPS[4], BRANCH_OPS[5], BRANCH_OPS[6], BRANCH_OPS[7] = I_BLT, I_BGE, I_BLTU, I_BGEU
else:
    BRANCH_OPS = [I_BEQ, I_BNE, I_ILLEGAL, I_ILLEGAL, I_BLT, I_BGE, I_BLTU, I_BGEU]

# The expansion of every 16-bit parcel seen so far (0: not expanded yet). Compiled, RVC is a
# static C array (execute.pxd), zero when the module is loaded: no loop at import, where a
# loop over a module-level variable would cost a dictionary store per entry.
RVC_ILLEGAL = compressed.ILLEGAL
if not cython.compiled:
    RVC = [0] * 65536


def ram_load(h: Hart, offset: cython.ulonglong, size: cython.int) -> cython.ulonglong:
    """A TLB hit reads RAM in place: physmem.ram_read, inlined into the hot loop."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 4:
            return cython.cast(cython.p_uint, p)[0]
        if size == 8:
            return cython.cast(cython.p_ulonglong, p)[0]
        if size == 2:
            return cython.cast(cython.p_ushort, p)[0]
        return p[0]
    return physmem.ram_read(h, offset, size)


def tlb_hit(h: Hart, addr: cython.ulonglong, last: cython.int, access: cython.int,
            ctx: cython.ulonglong) -> cython.int:
    """The TLB entry that answers a load or store of the bytes addr .. addr + last, or -1: its
    first byte's page must be in the TLB under context `ctx` (state.update_context) and its
    last byte in the same page (the tag is compared with the last byte's page, as QEMU does,
    so an access that crosses pages misses). The RAM offset of addr is then addr plus the
    entry's tlb_add; on -1 the slow path (memory.py) does the access."""
    index: cython.int = (addr >> 12) & TLB_INDEX_MASK
    if h.tlb_vpn[access][index] == (((addr + last) & MASK64) >> 12) | ctx:
        return index
    return -1


def ram_get(h: Hart, offset: cython.ulonglong, size: cython.int, signed: cython.bint) -> cython.ulonglong:
    """What a load of `size` bytes (1, 2, 4, 8) from RAM at `offset` puts in rd, sign- or
    zero-extended. Each load op passes constants, so compiled this is one host load."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 1:
            if signed:
                return cython.cast(cython.ulonglong, cython.cast(cython.longlong, cython.cast(cython.p_schar, p)[0]))
            return p[0]
        if size == 2:
            if signed:
                return cython.cast(cython.ulonglong, cython.cast(cython.longlong, cython.cast(cython.p_short, p)[0]))
            return cython.cast(cython.p_ushort, p)[0]
        if size == 4:
            if signed:
                return cython.cast(cython.ulonglong, cython.cast(cython.longlong, cython.cast(cython.p_int, p)[0]))
            return cython.cast(cython.p_uint, p)[0]
        return cython.cast(cython.p_ulonglong, p)[0]
    value: cython.ulonglong = physmem.ram_read(h, offset, size)
    return alu.sext(value, 8 * size) if signed and size < 8 else value


def ram_put(h: Hart, offset: cython.ulonglong, size: cython.int, value: cython.ulonglong) -> None:
    """A store of the low `size` bytes of value to RAM at `offset`; compiled, one host store."""
    if cython.compiled:
        p: cython.p_uchar = h.ram_ptr + offset
        if size == 1:
            p[0] = cython.cast(cython.uchar, value)
        elif size == 2:
            cython.cast(cython.p_ushort, p)[0] = cython.cast(cython.ushort, value)
        elif size == 4:
            cython.cast(cython.p_uint, p)[0] = cython.cast(cython.uint, value)
        else:
            cython.cast(cython.p_ulonglong, p)[0] = value
    else:
        physmem.ram_write(h, offset, size, value & (MASK64 >> (64 - 8 * size)))


def access_slow(h: Hart, record: cython.Py_ssize_t) -> cython.bint:
    """The load or store of `record` when the TLB did not answer it (a miss, a page crossing,
    a device), through memory.py; a load's rd gets the value unless it trapped. True when
    straight-line execution must end after it: it trapped (the trap is taken) or something
    reached a device (the board looks first)."""
    op: cython.int = h.dc_op[record]
    addr: cython.ulonglong = (h.x[h.dc_rs1[record]] + cython.cast(cython.ulonglong, h.dc_imm[record])) & MASK64
    funct3: cython.int
    value: cython.ulonglong
    if op >= I_SB:
        memory.store(h, addr, 1 << (op - I_SB), h.x[h.dc_rs2[record]])
    else:
        funct3 = op - I_LB                   # LB LH LW LD: sign-extended; LBU LHU LWU: not
        value = memory.load(h, addr, 1 << (funct3 & 3))
        if not h.trapped:
            h.x[h.dc_rd[record]] = value if funct3 >= 3 else alu.sext(value, 8 << funct3)
    return h.trapped != 0 or h.device_access != 0


def word(value: cython.ulonglong) -> cython.ulonglong:
    """What a *W instruction writes to rd: the low 32 bits of value, sign-extended to 64
    (alu.sext(value, 32)). Compiled, that is C's int -> long long conversion, one host
    instruction inlined into the hot loop (a call into alu would cost more than the op)."""
    if cython.compiled:
        return cython.cast(cython.ulonglong, cython.cast(cython.longlong, cython.cast(cython.int, value)))
    return alu.sext(value, 32)


def sra(value: cython.ulonglong, shamt: cython.int) -> cython.ulonglong:
    """Arithmetic shift right of a 64-bit pattern: bias to unsigned, shift, unbias."""
    return (((value ^ SIGN64) >> shamt) - (SIGN64 >> shamt)) & MASK64


def lt(a: cython.ulonglong, b: cython.ulonglong) -> cython.bint:
    """Signed less-than on two's-complement patterns."""
    return (a ^ SIGN64) < (b ^ SIGN64)


def unreachable() -> None:
    """The run loop's switch has a case for every op decode makes, so no other op reaches
    its end. Compiled, that is C's __builtin_unreachable: gcc then drops the switch's range
    check before its jump table (two host instructions per guest instruction)."""
    if cython.compiled:
        c_unreachable()
    else:
        raise AssertionError("an op the run loop has no case for")


def illegal(h: Hart, bits: cython.ulonglong) -> None:
    """Raise an illegal-instruction exception; mtval gets the instruction's own bits."""
    trap.exception(h, EXC_ILLEGAL_INSN, bits)


def slow_path(h: Hart, pc: cython.ulonglong, instret: cython.ulonglong) -> None:
    """Before run() hands an instruction to a helper that may trap, touch a device or read
    the counters: write back the pc and instret the loop keeps in locals."""
    h.pc = pc
    h.instret = instret & MASK64


# ---- decode: once per instruction in RAM -------------------------------------------------
# An instruction, once fetched, becomes a record in the hart's decoded-instruction cache
# (state.py): what the instruction is (an op from ops.py), its registers, funct3, immediate,
# where it and the next instruction start, and its bits. Records come in blocks
# (build_block): a run of instructions from one page that ends at the first jump or SYSTEM
# instruction, followed by an I_NEXT record when the last one is no jump. A conditional
# branch leaves the block only when taken; not taken, the block goes on after it (so a loop
# and the code after it are one block, and an `if` does not cut a block in two). Offsets
# in a record count from the block's first pc, so a branch's target is that pc plus the
# record's immediate and no instruction keeps a pc of its own.
#
#     block at pc P:   [addi  off 0 after 4]  [bne  off 4 after 6,   [lw  off 6 after 8]  [I_NEXT off 8]
#                                               imm: target - P]
#                      the bne: taken, next pc P + imm; else on to the lw, then P + 8
#
# A block is found by its first pc in the block table, tagged with pc ^ the fetch context
# (privilege in bits 52-53, where no fetchable address has other bits, and a generation),
# like a virtually indexed instruction cache: a hit costs no translation. Blocks are
# forgotten with the TLB (satp, sfence.vma, PMP; one page's for sfence.vma with an address),
# by fence.i (Zifencei: only then must a hart see the stores it made to instructions), and
# in part by writes from outside the harts (flush_decoded_range, by RAM offset).

def decode(h: Hart, record: cython.int, raw: cython.ulonglong, off: cython.int) -> cython.int:
    """Decode the instruction whose first bits are `raw`, `off` bytes into its block, into
    record `record`; its op."""
    insn: cython.ulonglong
    length: cython.int
    if raw & 3 != 3:
        raw &= 0xFFFF
        insn = RVC[raw]
        if insn == 0:
            insn = compressed.expand(raw)
            RVC[raw] = insn
        length = 2
    else:
        raw &= MASK32
        insn = raw
        length = 4
    opcode: cython.int = insn & 0x7F
    rd: cython.int = (insn >> 7) & 31
    rs1: cython.int = (insn >> 15) & 31
    rs2: cython.int = (insn >> 20) & 31
    funct3: cython.int = (insn >> 12) & 7
    funct7: cython.int = insn >> 25
    imm: cython.ulonglong = alu.sext(insn >> 20, 12)              # the I-type immediate
    op: cython.int = I_ILLEGAL
    kind: cython.int
    if insn == RVC_ILLEGAL:
        op = I_ILLEGAL
    elif opcode == OP_IMM:
        if funct3 == 1:
            op = I_SLLI if insn >> 26 == 0 else I_ILLEGAL
        elif funct3 == 5:
            op = I_SRLI if insn >> 26 == 0 else (I_SRAI if insn >> 26 == 0x10 else I_ILLEGAL)
        else:
            op = I_ADDI + funct3                               # ADDI, -, SLTI, SLTIU, XORI, -, ORI, ANDI
        if funct3 == 1 or funct3 == 5:
            imm = (insn >> 20) & 63
    elif opcode == LOAD:
        op = I_LB + funct3 if funct3 != 7 else I_ILLEGAL          # LB LH LW LD LBU LHU LWU
    elif opcode == STORE:
        op = I_SB + funct3 if funct3 <= 3 else I_ILLEGAL          # SB SH SW SD
        imm = alu.sext(((insn >> 25) << 5) | ((insn >> 7) & 31), 12)
    elif opcode == OP:
        if funct7 == 0:
            op = I_ADD + funct3                                # ADD SLL SLT SLTU XOR SRL OR AND
        elif funct7 == 1:
            op = I_MUL + funct3                                # MUL MULH MULHSU MULHU DIV DIVU REM REMU
        elif funct7 == 0x20 and funct3 == 0:
            op = I_SUB
        elif funct7 == 0x20 and funct3 == 5:
            op = I_SRA
    elif opcode == LUI:
        op = I_LUI
        imm = alu.sext(insn & UPPER20, 32)
    elif opcode == AUIPC:
        op = I_AUIPC
        imm = (alu.sext(insn & UPPER20, 32) + off) & MASK64      # the result's offset from the block
    elif opcode == JAL:
        op = I_JAL
        imm = (alu.sext(((insn >> 31) << 20) | (((insn >> 12) & 0xFF) << 12)
                        | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3FF) << 1), 21) + off) & MASK64
    elif opcode == JALR:
        op = I_JALR if funct3 == 0 else I_ILLEGAL
    elif opcode == BRANCH:
        op = BRANCH_OPS[funct3]                                # BEQ BNE - - BLT BGE BLTU BGEU
        imm = (alu.sext(((insn >> 31) << 12) | (((insn >> 7) & 1) << 11)
                        | (((insn >> 25) & 0x3F) << 5) | (((insn >> 8) & 0xF) << 1), 13) + off) & MASK64
    elif opcode == OP_IMM_32:
        if funct3 == 0:
            op = I_ADDIW
        elif funct3 == 1 and funct7 == 0:
            op = I_SLLIW
        elif funct3 == 5 and funct7 == 0:
            op = I_SRLIW
        elif funct3 == 5 and funct7 == 0x20:
            op = I_SRAIW
        if op != I_ADDIW:
            imm = rs2                                          # the 5-bit shift amount
    elif opcode == OP_32:
        if funct7 == 0 and funct3 == 0:
            op = I_ADDW
        elif funct7 == 0x20 and funct3 == 0:
            op = I_SUBW
        elif funct7 == 0 and funct3 == 1:
            op = I_SLLW
        elif funct7 == 0 and funct3 == 5:
            op = I_SRLW
        elif funct7 == 0x20 and funct3 == 5:
            op = I_SRAW
        elif funct7 == 1 and funct3 == 0:
            op = I_MULW
        elif funct7 == 1 and funct3 >= 4:
            op = I_DIVW
    elif opcode == AMO:
        op = I_AMO
    elif opcode == MISC_MEM:
        op = I_FENCE if funct3 == 0 else (I_FENCE_I if funct3 == 1 else I_ILLEGAL)
    elif opcode == SYSTEM:
        op = I_SYSTEM if funct3 != 4 else I_ILLEGAL
    else:
        op = I_FP                                              # fpu.execute decides, or traps
    if op == I_ILLEGAL and insn != RVC_ILLEGAL:
        kind = bitmanip.decode(insn)                           # the B extension's ops live
        if kind != bitmanip.NOT_B:                             # in OP's unused corners
            op = I_BITMANIP
            funct3 = kind                                      # which one, for bitmanip.execute
            imm = (insn >> 20) & 63                            # its shift amount, if any
    h.dc_op[record] = op
    h.dc_rd[record] = rd if rd != 0 else 32      # results for x0 go to the spare register 32
    h.dc_rs1[record] = rs1
    h.dc_rs2[record] = rs2
    h.dc_funct3[record] = funct3
    h.dc_off[record] = off
    h.dc_after[record] = off + length
    h.dc_imm[record] = imm
    h.dc_insn[record] = insn
    h.dc_raw[record] = raw
    return op


def block_end(h: Hart, record: cython.int, off: cython.int) -> None:
    """Write the I_NEXT record that ends a block whose last instruction is no jump: the run
    goes on at the block's pc + `off`, the first byte after it."""
    h.dc_op[record] = I_NEXT
    h.dc_rd[record] = 32
    h.dc_rs1[record] = 0
    h.dc_off[record] = off
    h.dc_after[record] = off
    h.dc_imm[record] = 0


def ends_block(op: cython.int) -> cython.bint:
    """Whether a block ends after an instruction: one that never goes on to the next pc (a
    jump, an illegal instruction) or that leaves straight-line execution anyway (SYSTEM,
    fence.i, an atomic: see run). A conditional branch does not: not taken, it goes on."""
    return (op == I_JAL or op == I_JALR or op == I_SYSTEM or op == I_FENCE_I or op == I_AMO
            or op == I_ILLEGAL)


def build_block(h: Hart, pc: cython.ulonglong, block: cython.int) -> cython.int:
    """A block-table miss at pc: fetch and decode the block that starts there into table
    entry `block` and return it. An instruction that cannot be cached (on a device,
    straddling two pages, or watched by a breakpoint or trigger, which must see every time
    it runs) is a block of its own in the spare entry BK_SIZE, decoded again each time; a
    block ends before a watched pc. -1 after a fetch fault, or a trigger or breakpoint that
    fired (already taken: h.trapped is set). The block's instructions all lie in the page of
    its first one, and end before the page does."""
    vpn: cython.ulonglong = pc >> 12
    index: cython.int = vpn & TLB_INDEX_MASK
    op: cython.int
    watched: cython.int = trigger.FETCH_FREE
    if h.debug_fetch:                                   # a breakpoint or execute trigger is armed
        watched = trigger.fetch_check(h, pc)
        if watched == trigger.FETCH_STOPPED:            # it fired: an exception, or a halt
            return -1
    if h.tlb_vpn[ACCESS_FETCH][index] != vpn | h.ctx_fetch:
        memory.to_physical(h, pc, 2, ACCESS_FETCH)      # a walk; fills the TLB for plain RAM
        if h.trapped:
            return -1
    if (h.tlb_vpn[ACCESS_FETCH][index] != vpn | h.ctx_fetch or (pc & 0xFFF) == 0xFFE
            or watched != trigger.FETCH_FREE):
        value: cython.ulonglong = memory.fetch(h, pc)
        if h.trapped:
            return -1
        op = decode(h, DC_SIZE, value, 0)
        block_end(h, DC_SIZE + 1, h.dc_after[DC_SIZE])
        h.bk_first[BK_SIZE] = DC_SIZE
        h.bk_count[BK_SIZE] = 1
        return BK_SIZE
    if h.dc_next > DC_SIZE - BLOCK_MAX - 1:        # no room for one more block: start over
        h.flush_decoded()
    start: cython.ulonglong = (pc + h.tlb_add[ACCESS_FETCH][index]) & MASK64
    offset: cython.ulonglong = start
    end: cython.ulonglong = start - (pc & 0xFFF) + 0x1000     # the page's end
    record: cython.int = h.dc_next
    count: cython.int = 0
    while True:
        op = decode(h, record + count, ram_load(h, offset, 4), offset - start)
        offset = start + h.dc_after[record + count]
        count += 1
        if ends_block(op) or count == BLOCK_MAX or offset == end:
            break
        if offset == end - 2 and ram_load(h, offset, 2) & 3 == 3:
            break                                     # the next one straddles the page's end
        if h.debug_fetch and trigger.watches(h, (pc + offset - start) & MASK64):
            break                                     # the next one is watched
    h.dc_next = record + count
    if not ends_block(op):
        block_end(h, record + count, offset - start)
        h.dc_next += 1
    h.bk_tag[block] = pc ^ h.ctx_fetch
    h.bk_first[block] = record
    h.bk_count[block] = count
    h.bk_offset[block] = start
    h.bk_bytes[block] = offset - start
    h.code_lo = min(h.code_lo, start)
    h.code_hi = max(h.code_hi, offset)
    return block


def run(h: Hart, budget: cython.ulonglong) -> cython.ulonglong:
    """Run up to `budget` instructions; return how many retired. Takes a pending interrupt
    first; returns at once while the hart sleeps in wfi with nothing to wake it. A trapping
    instruction counts against the budget too, so a hart stuck taking the same fault over and
    over (a broken trap vector) still returns to the board, which stays responsive."""
    if h.waiting:
        if h.mip & h.mie == 0:
            return 0
        h.waiting = 0
    h.update_context()                       # in case the privilege was set from outside
    left: cython.ulonglong = budget          # the budget not yet used by a block
    traps: cython.ulonglong = 0              # instructions that trapped (did not retire)
    base: cython.ulonglong = h.instret     # instret is h.instret at entry + (budget - left) - traps
    h.device_access = 0
    h.trapped = 0
    pc: cython.ulonglong
    block: cython.int
    start: cython.ulonglong                  # the pc of the block that runs,
    first: cython.Py_ssize_t = 0             # ... its first record,
    count: cython.Py_ssize_t                 # ... how many instructions it has,
    i: cython.Py_ssize_t = 0                 # ... and the record that runs
    cut: cython.Py_ssize_t = -1              # a block cut to the budget: the record where it
    cut_op: cython.int = 0                   # stops (an I_STOP in place of its op, this)
    why: cython.int                          # why the records stopped (ops.py: EXIT_*)
    op: cython.int
    rd: cython.int
    rs1: cython.int
    funct3: cython.int
    a: cython.ulonglong
    imm: cython.ulonglong
    addr: cython.ulonglong
    index: cython.int
    # Straight-line execution runs block after block. A block's records run until one ends
    # it, and then the block's budget is used: `left` drops by the instructions tried, up to
    # record i. A load or store the TLB does not answer stops the records (EXIT_MEMORY) for
    # its slow path, after which the block goes on. A slow path that may have changed what
    # the next instruction depends on (privilege, translation, enabled interrupts, a device)
    # ends the block and straight-line execution after it (EXIT_LEAVE). The run itself ends
    # early when `stop` is set (wfi, or the stage tracer's stop after SYSTEM) or a device
    # access needs the board. The instructions retired before record i are
    # budget - left + (i - first) - traps.
    stop: cython.bint = False
    while left > 0 and not stop and not h.device_access:
        # (Re)enter straight-line execution: at the start, after each trap (a new pc and
        # privilege), and after each slow path that leaves. Interrupts only become pending
        # between runs (the board raises them) or by such instructions, so this is where a
        # newly enabled one is taken.
        if h.trapped:
            h.trapped = 0
            traps += 1
        if h.mip & h.mie:
            trap.take_interrupt(h)
        pc = h.pc                            # kept in a register; h.pc is written for the slow paths
        start = TLB_EMPTY                    # no pc: the first block is looked up
        why = EXIT_NONE
        while True:
            # ---- fetch: the block at pc ------------------------------------------------------
            # The block table is indexed and tagged by virtual pc (with the fetch context), so a
            # hit needs neither translation nor a RAM access, and the budget is checked once per
            # block, not once per instruction. A block that branches back to its own start (a
            # tight loop) runs again without even the lookup: its records stay as they are
            # until straight-line execution ends (every flush ends it).
            if pc == start:
                count = h.bk_count[block]
            else:
                block = (pc >> 1) & BK_MASK
                if h.bk_tag[block] != pc ^ h.ctx_fetch:
                    if left == 0:
                        break
                    slow_path(h, pc, base + budget - left - traps)
                    block = build_block(h, pc, block)
                    if block < 0:
                        left -= 1                # a fetch fault: tried, and trapped
                        break
                    if block == BK_SIZE:         # the spare's instruction may have been a
                        why = EXIT_LEAVE         # watched fetch: the board looks first
                first = h.bk_first[block]
                count = h.bk_count[block]
                start = pc
            if count > left:                     # the budget is exact (single-stepping uses 1):
                if left == 0:                    # the block stops at an I_STOP put in place of
                    break                        # the first record beyond the budget
                if cut >= 0:                     # (a cut block whose branch came back to it)
                    h.dc_op[cut] = cut_op
                cut = first + left
                cut_op = h.dc_op[cut]
                h.dc_op[cut] = I_STOP
            i = first
            # ---- execute, record after record until one ends the block ------------------------
            while True:
                while True:
                    op = h.dc_op[i]
                    rd = h.dc_rd[i]
                    rs1 = h.dc_rs1[i]
                    imm = h.dc_imm[i]
                    a = h.x[rs1]
                    if op == I_ADDI:
                        h.x[rd] = (a + imm) & MASK64
                    elif op == I_LW:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 3, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 4, True)
                    elif op == I_LD:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 7, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 8, False)
                    elif op == I_LBU:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 0, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 1, False)
                    elif op == I_SW:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 3, ACCESS_STORE, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        ram_put(h, (addr + h.tlb_add[ACCESS_STORE][index]) & MASK64, 4, h.x[h.dc_rs2[i]])
                    elif op == I_SD:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 7, ACCESS_STORE, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        ram_put(h, (addr + h.tlb_add[ACCESS_STORE][index]) & MASK64, 8, h.x[h.dc_rs2[i]])
                    elif op == I_SB:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 0, ACCESS_STORE, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        ram_put(h, (addr + h.tlb_add[ACCESS_STORE][index]) & MASK64, 1, h.x[h.dc_rs2[i]])
                    elif op == I_LB:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 0, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 1, True)
                    elif op == I_LH:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 1, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 2, True)
                    elif op == I_LHU:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 1, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 2, False)
                    elif op == I_LWU:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 3, ACCESS_LOAD, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        h.x[rd] = ram_get(h, (addr + h.tlb_add[ACCESS_LOAD][index]) & MASK64, 4, False)
                    elif op == I_SH:
                        addr = (a + imm) & MASK64
                        index = tlb_hit(h, addr, 1, ACCESS_STORE, h.ctx_data)
                        if index < 0:
                            why = EXIT_MEMORY
                            break
                        ram_put(h, (addr + h.tlb_add[ACCESS_STORE][index]) & MASK64, 2, h.x[h.dc_rs2[i]])
                    # Each branch condition is its own op, so a branch costs one dispatch, not two;
                    # a taken branch, a jump and I_NEXT end the block with the next pc (a branch
                    # not taken goes on with the next record).
                    elif op == I_BEQ:
                        if a == h.x[h.dc_rs2[i]]:
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_BNE:
                        if a != h.x[h.dc_rs2[i]]:
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_BLT:
                        if lt(a, h.x[h.dc_rs2[i]]):
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_BGE:
                        if not lt(a, h.x[h.dc_rs2[i]]):
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_BLTU:
                        if a < h.x[h.dc_rs2[i]]:
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_BGEU:
                        if a >= h.x[h.dc_rs2[i]]:
                            pc = (start + imm) & MASK64
                            break
                    elif op == I_JAL:
                        h.x[rd] = (start + h.dc_after[i]) & MASK64
                        pc = (start + imm) & MASK64
                        break
                    elif op == I_JALR:
                        pc = (a + imm) & (MASK64 - 1)
                        h.x[rd] = (start + h.dc_after[i]) & MASK64
                        break
                    elif op == I_NEXT:
                        pc = (start + h.dc_off[i]) & MASK64
                        i -= 1                           # (no instruction: the block's end before it)
                        break
                    elif op == I_LUI:
                        h.x[rd] = imm
                    elif op == I_AUIPC:
                        h.x[rd] = (start + imm) & MASK64
                    elif op == I_SLTI:
                        h.x[rd] = lt(a, imm)
                    elif op == I_SLTIU:
                        h.x[rd] = a < imm
                    elif op == I_XORI:
                        h.x[rd] = a ^ imm
                    elif op == I_ORI:
                        h.x[rd] = a | imm
                    elif op == I_ANDI:
                        h.x[rd] = a & imm
                    elif op == I_SLLI:
                        h.x[rd] = (a << imm) & MASK64
                    elif op == I_SRLI:
                        h.x[rd] = a >> imm
                    elif op == I_SRAI:
                        h.x[rd] = sra(a, imm)
                    elif op == I_ADD:
                        h.x[rd] = (a + h.x[h.dc_rs2[i]]) & MASK64
                    elif op == I_SUB:
                        h.x[rd] = (a - h.x[h.dc_rs2[i]]) & MASK64
                    elif op == I_SLL:
                        h.x[rd] = (a << (h.x[h.dc_rs2[i]] & 63)) & MASK64
                    elif op == I_SLT:
                        h.x[rd] = lt(a, h.x[h.dc_rs2[i]])
                    elif op == I_SLTU:
                        h.x[rd] = a < h.x[h.dc_rs2[i]]
                    elif op == I_XOR:
                        h.x[rd] = a ^ h.x[h.dc_rs2[i]]
                    elif op == I_SRL:
                        h.x[rd] = a >> (h.x[h.dc_rs2[i]] & 63)
                    elif op == I_SRA:
                        h.x[rd] = sra(a, h.x[h.dc_rs2[i]] & 63)
                    elif op == I_OR:
                        h.x[rd] = a | h.x[h.dc_rs2[i]]
                    elif op == I_AND:
                        h.x[rd] = a & h.x[h.dc_rs2[i]]
                    elif op == I_MUL:
                        h.x[rd] = (a * h.x[h.dc_rs2[i]]) & MASK64
                    elif op == I_MULH:
                        h.x[rd] = alu.mulh(a, h.x[h.dc_rs2[i]])
                    elif op == I_MULHSU:
                        h.x[rd] = alu.mulhsu(a, h.x[h.dc_rs2[i]])
                    elif op == I_MULHU:
                        h.x[rd] = alu.mulhu(a, h.x[h.dc_rs2[i]])
                    elif op == I_DIV:
                        h.x[rd] = alu.div(a, h.x[h.dc_rs2[i]])
                    elif op == I_DIVU:
                        h.x[rd] = alu.divu(a, h.x[h.dc_rs2[i]])
                    elif op == I_REM:
                        h.x[rd] = alu.rem(a, h.x[h.dc_rs2[i]])
                    elif op == I_REMU:
                        h.x[rd] = alu.remu(a, h.x[h.dc_rs2[i]])
                    elif op == I_ADDIW:
                        h.x[rd] = word(a + imm)
                    elif op == I_SLLIW:
                        h.x[rd] = word(a << imm)
                    elif op == I_SRLIW:
                        h.x[rd] = word((a & MASK32) >> imm)
                    elif op == I_SRAIW:
                        h.x[rd] = sra(word(a), imm)
                    elif op == I_ADDW:
                        h.x[rd] = word(a + h.x[h.dc_rs2[i]])
                    elif op == I_SUBW:
                        h.x[rd] = word(a - h.x[h.dc_rs2[i]])
                    elif op == I_SLLW:
                        h.x[rd] = word(a << (h.x[h.dc_rs2[i]] & 31))
                    elif op == I_SRLW:
                        h.x[rd] = word((a & MASK32) >> (h.x[h.dc_rs2[i]] & 31))
                    elif op == I_SRAW:
                        h.x[rd] = sra(word(a), h.x[h.dc_rs2[i]] & 31)
                    elif op == I_MULW:
                        h.x[rd] = word(a * h.x[h.dc_rs2[i]])
                    elif op == I_DIVW:
                        funct3 = h.dc_funct3[i]
                        h.x[rd] = alu.divw(a, h.x[h.dc_rs2[i]], funct3 & 1, funct3 >= 6)
                    elif op == I_BITMANIP:
                        h.x[rd] = bitmanip.execute(h.dc_funct3[i], a, h.x[h.dc_rs2[i]], imm)
                    elif op == I_FENCE:
                        pass                             # every access is already complete, in order
                    elif op == I_STOP:                   # the budget's end, inside the block
                        pc = (start + h.dc_off[i]) & MASK64
                        i -= 1                           # (no instruction: tried up to the one before)
                        why = EXIT_LEAVE
                        break
                    elif op == I_FP or op == I_FENCE_I or op == I_AMO or op == I_SYSTEM or op == I_ILLEGAL:
                        # The rest may trap, touch a device or change what later instructions depend
                        # on: pc and instret are written back first, and straight-line execution
                        # ends after them (always after all but FP, which end their blocks anyway).
                        slow_path(h, start + h.dc_off[i], base + budget - left + (i - first) - traps)
                        pc = (start + h.dc_after[i]) & MASK64
                        if op == I_FP:
                            fpu.execute(h, h.dc_insn[i], h.dc_raw[i])   # LOAD-FP, STORE-FP, FMADD..FNMADD, OP-FP
                            h.x[0] = 0                       # (fmv.x.d, feq... may name x0 as rd)
                            if not h.trapped and not h.device_access:
                                i += 1
                                continue
                        elif op == I_FENCE_I:
                            h.flush_decoded()                # stores to instructions become visible now
                        elif op == I_AMO:
                            atomic.execute(h, h.dc_insn[i])
                            h.x[0] = 0
                        elif op == I_SYSTEM:
                            if h.dc_funct3[i] == 0:
                                pc = system(h, h.dc_insn[i], h.dc_raw[i], pc)
                                stop = h.waiting             # wfi: the board lets time pass
                            else:
                                csr.execute(h, h.dc_insn[i])
                                h.x[0] = 0
                                base = (h.instret - (budget - left + (i - first) - traps)) & MASK64   # minstret may have been written
                            if not h.trapped:            # (a trap's entry runs on: the
                                stop = stop or h.stop_on_system   # tracer stops after it)
                        else:
                            illegal(h, h.dc_raw[i])
                        why = EXIT_LEAVE
                        break
                    else:
                        unreachable()                    # (decode makes no other op)
                    # ---- retire: the next record -----------------------------------------------
                    i += 1
                if why != EXIT_MEMORY:
                    break
                # A load or store the TLB did not answer: its slow path, then the block goes on
                # after it, unless it trapped or reached a device.
                why = EXIT_NONE
                slow_path(h, start + h.dc_off[i], base + budget - left + (i - first) - traps)
                if access_slow(h, i):
                    pc = (start + h.dc_after[i]) & MASK64
                    why = EXIT_LEAVE
                    break
                i += 1
            left -= i + 1 - first                # the instructions tried, up to record i
            if why != EXIT_NONE:
                break
        if cut >= 0:                             # the cut block's record gets its op back
            h.dc_op[cut] = cut_op
            cut = -1
        if not h.trapped:
            h.pc = pc
    if h.trapped:
        h.trapped = 0
        traps += 1
    h.instret = (base + budget - left - traps) & MASK64
    return budget - left - traps


def system(h: Hart, insn: cython.ulonglong, raw: cython.ulonglong, npc: cython.ulonglong) -> cython.ulonglong:
    """The privileged instructions of funct3 = 0 (privileged spec 3.3). Returns the next pc."""
    funct7: cython.int = insn >> 25
    if insn == 0x00000073:                                        # ecall
        trap.exception(h, EXC_ECALL_U + h.priv, 0)
    elif insn == 0x00100073:                                      # ebreak
        trap.exception(h, EXC_BREAKPOINT, 0)                      # tval 0, as QEMU reports it
    elif insn == 0x30200073:                                      # mret
        if h.priv != PRV_M:
            illegal(h, raw)
        else:
            trap.mret(h)
            return h.pc
    elif insn == 0x10200073:                                      # sret
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TSR):
            illegal(h, raw)
        else:
            trap.sret(h)
            return h.pc
    elif insn == 0x10500073:                                      # wfi
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TW):
            illegal(h, raw)
        else:
            h.waiting = 1
    elif funct7 == 0x09 and (insn >> 7) & 31 == 0:                # sfence.vma rs1, rs2
        if h.priv == PRV_U or (h.priv == PRV_S and h.mstatus & MSTATUS_TVM):
            illegal(h, raw)
        elif (insn >> 15) & 31:
            h.flush_tlb_page(h.x[(insn >> 15) & 31])              # one page, in every address space
        else:
            h.flush_tlb()
    else:
        illegal(h, raw)
    return npc
