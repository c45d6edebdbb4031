"""Blocks of decoded instructions (execute.py): what running a block at a time must not change.

The run loop executes a straight run of decoded instructions (a block) with one lookup and
one budget check. These tests give it budgets larger than one instruction (the harness's
`step` runs one at a time) and check what the architecture promises inside a block: the
budget is exact, a trap abandons the rest of the block, an interrupt enabled by an
instruction is taken right after it, fence.i makes stores to code visible (Zifencei,
Unprivileged ISA 3), sfence.vma with an address forgets that page's code and translations
(privileged spec 4.2.1), and a block never runs past the end of its page into a page
translated elsewhere or not at all.
"""

from downstairs.isa import encode as e
from tests.machine.harness import CODE, DATA, M_TRAP, PRV_S, Bench, enter_mode
from tests.machine.paging import A, D, R, V, W, X, PageTables

MIE, MSIP = 1 << 3, 1 << 3
INTERRUPT = 1 << 63


def addi(rd, rs1, imm):
    return e.i("addi", rd, rs1, imm)


def run(bench, budget):
    """Run `budget` instructions at most in one call, as the board does; how many retired."""
    return bench.engine.run(bench.hart, budget)


def test_the_budget_is_exact_inside_a_block(engine):
    bench = Bench(engine)
    bench.program([addi(5, 5, 1)] * 10)
    assert run(bench, 3) == 3
    assert bench.hart.pc == CODE + 12 and bench.reg(5) == 3 and bench.hart.instret == 3
    assert run(bench, 1) == 1 and bench.reg(5) == 4
    run(bench, 100)                                   # the rest, then `j .` to the budget's end
    assert bench.hart.pc == bench.end and bench.reg(5) == 10 and bench.hart.instret == 100 + 4


def test_a_trap_in_the_middle_of_a_block_abandons_the_rest(engine):
    bench = Bench(engine)
    bench.program([addi(5, 0, 1), addi(6, 0, 2), e.i("ld", 7, 0, 0), addi(8, 0, 3)])
    assert run(bench, 3) == 2                         # three tried, the load trapped
    assert bench.hart.pc == M_TRAP and bench.hart.mepc == CODE + 8
    assert bench.hart.mcause == 5                     # load access fault: nothing at address 0
    assert (bench.reg(5), bench.reg(6), bench.reg(8)) == (1, 2, 0)
    assert bench.hart.instret == 2


def test_an_interrupt_enabled_inside_a_block_is_taken_after_that_instruction(engine):
    bench = Bench(engine)
    bench.hart.mie = MSIP
    bench.hart.set_pending(MSIP, True)
    bench.program([addi(5, 0, 1), e.csr("csrrsi", 0, 0x300, MIE), addi(6, 0, 1), addi(7, 0, 1)])
    run(bench, 10)
    assert bench.hart.mcause == INTERRUPT | 3 and bench.hart.mepc == CODE + 8
    assert (bench.reg(5), bench.reg(6), bench.reg(7)) == (1, 0, 0)


def test_an_interrupt_raised_between_runs_stops_a_tight_loop(engine):
    """A block that branches to itself runs without a lookup, but only within one run: the
    board raises an interrupt between runs and the next run takes it first."""
    bench = Bench(engine)
    bench.hart.mstatus |= MIE
    bench.hart.mie = MSIP
    bench.program([addi(5, 5, 1), e.b("bne", 5, 0, -4)])
    run(bench, 1000)
    assert bench.reg(5) == 500
    bench.hart.set_pending(MSIP, True)
    run(bench, 1)
    assert bench.hart.pc == M_TRAP and bench.hart.mcause == INTERRUPT | 3
    assert bench.hart.mepc == CODE and bench.reg(5) == 500


def test_a_branch_inside_a_block_goes_on_or_comes_back_with_the_budget_exact(engine):
    """A branch not taken goes on inside its block, and a taken one back to the block's
    start runs it again (a loop and the code after it are one block). Budgets that cut the
    block anywhere, even while it loops, still retire exactly what they allow, and the block
    then runs the same in one go."""
    bench = Bench(engine)
    bench.program([addi(5, 5, 1), e.b("bne", 5, 6, -4), addi(7, 7, 1)])
    bench.set_regs({6: 10})
    total, budgets = 0, [3, 1, 2, 5, 4]
    while total < 21:                                  # 10 times round the loop, then the addi
        budget = min(budgets[total % 5], 21 - total)
        assert run(bench, budget) == budget
        total += budget
        assert bench.hart.instret == total
    assert bench.hart.pc == bench.end and (bench.reg(5), bench.reg(7)) == (10, 1)
    bench.set_regs({5: 0})
    bench.hart.pc = CODE
    assert run(bench, 21) == 21
    assert bench.hart.pc == bench.end and (bench.reg(5), bench.reg(7)) == (10, 2)


def test_fence_i_makes_a_store_to_a_decoded_block_visible(engine):
    """The block after the fence.i was decoded by the first pass; the second pass stores a
    new instruction into it from inside the preceding block, and must run the new one."""
    bench = Bench(engine)
    target = CODE + 12
    bench.program([e.s("sw", 6, 5, 12), e.FENCE_I, addi(0, 0, 0), addi(7, 0, 1)])
    bench.set_regs({5: CODE, 6: addi(7, 0, 1)})
    run(bench, 10)
    assert bench.reg(7) == 1 and bench.read_u32(target) == addi(7, 0, 1)
    bench.hart.pc = CODE
    bench.set_regs({6: addi(7, 0, 42)})
    run(bench, 10)
    assert bench.read_u32(target) == addi(7, 0, 42) and bench.reg(7) == 42


def test_a_store_to_the_rest_of_the_running_block_then_fence_i(engine):
    """Store into instructions of the block that is running, then fence.i at its end: the
    instructions after the fence.i are the new ones."""
    bench = Bench(engine)
    bench.program([e.s("sw", 6, 5, 8), e.FENCE_I, addi(7, 0, 1), addi(8, 0, 1)])
    bench.set_regs({5: CODE, 6: addi(7, 0, 9)})
    run(bench, 10)
    assert (bench.reg(7), bench.reg(8)) == (9, 1)


VA = 0x40008000                    # (its block-table entries are not those of CODE)
PA1, PA2 = 0x80200000, 0x80300000


def s_mode(engine):
    bench = Bench(engine)
    bench.open_pmp()
    tables = PageTables(bench)
    tables.identity()
    tables.install()
    return bench, tables


def test_sfence_vma_with_an_address_forgets_that_page_s_code(engine):
    bench, tables = s_mode(engine)
    bench.write_words(PA1, [addi(7, 0, 1), e.EBREAK])
    bench.write_words(PA2, [addi(7, 0, 2), e.EBREAK])
    pte = tables.map(VA, PA1, V | R | X | A)
    enter_mode(bench, PRV_S, [e.i("jalr", 0, 10, 0)])
    bench.set_regs({10: VA})
    run(bench, 10)
    assert bench.reg(7) == 1 and bench.hart.mcause == 3 and bench.hart.mepc == VA + 4

    def again(flushed_page):
        """Map VA to PA2, sfence.vma `flushed_page`, jump to VA; what x7 became."""
        bench.write_u64(pte, ((PA2 >> 12) << 10) | V | R | X | A)
        bench.set_regs({7: 0, 10: VA, 11: flushed_page})
        enter_mode(bench, PRV_S, [e.sfence_vma(11, 0), e.i("jalr", 0, 10, 0)], open_pmp=False)
        run(bench, 10)
        assert bench.hart.mcause == 3 and bench.hart.mepc == VA + 4
        return bench.reg(7)

    # Another page: the hart may keep the old translation (4.2.1); ours does, so the
    # per-page flush really keeps the rest. Then the page itself: the new code runs.
    assert again(VA + 0x1000) == 1
    assert again(VA + 0x10) == 2


def test_after_a_full_sfence_vma_a_remapped_page_runs_its_new_code(engine):
    """sfence.vma without an address (as after a satp write) forgets the blocks decoded
    through the old translation: a page now mapped elsewhere runs the code there, and back."""
    bench, tables = s_mode(engine)
    bench.write_words(PA1, [addi(7, 0, 1), e.EBREAK])
    bench.write_words(PA2, [addi(7, 0, 2), e.EBREAK])
    pte = tables.map(VA, PA1, V | R | X | A)
    enter_mode(bench, PRV_S, [e.sfence_vma(0, 0), e.i("jalr", 0, 10, 0)])
    bench.set_regs({10: VA})
    run(bench, 10)                                      # (everything decoded once)
    assert bench.reg(7) == 1
    status = bench.hart.mstatus & ~(3 << 11) | (PRV_S << 11)

    def jump(target_pa):
        """Map VA to `target_pa`, sfence.vma x0, jump to VA; what x7 then holds."""
        bench.write_u64(pte, ((target_pa >> 12) << 10) | V | R | X | A)
        bench.set_regs({7: 0, 10: VA})
        bench.hart.mstatus, bench.hart.mepc, bench.hart.pc = status, CODE + 0x100, CODE
        run(bench, 10)
        assert bench.hart.mcause == 3 and bench.hart.mepc == VA + 4
        return bench.reg(7)

    assert [jump(PA1), jump(PA2), jump(PA2), jump(PA1)] == [1, 2, 2, 1]


def test_sfence_vma_with_an_address_forgets_that_page_s_data(engine):
    bench, tables = s_mode(engine)
    bench.write_u64(PA1 + 8, 111)
    bench.write_u64(PA2 + 8, 222)
    pte = tables.map(VA, PA1, V | R | W | A | D)
    enter_mode(bench, PRV_S, [e.i("ld", 7, 10, 0), e.sfence_vma(11, 0), e.i("ld", 8, 10, 0)])
    bench.set_regs({10: VA + 8, 11: VA + 0x10})
    assert run(bench, 1) == 1 and bench.reg(7) == 111
    bench.write_u64(pte, ((PA2 >> 12) << 10) | V | R | W | A | D)
    assert run(bench, 2) == 2 and bench.reg(8) == 222


def straddling_code(bench, tables, second_page_flags):
    """S-mode code that runs straight from the end of one page into the next: VA's page
    maps to PA1's, the next one (if mapped) to PA2's, so the bytes are not adjacent in RAM.
    Two compressed addi at VA+0xFFA, then a 32-bit addi at VA+0xFFE whose upper half is
    the first parcel of PA2, then one more addi and an ebreak."""
    c_addi = e.to_bytes([0x0285])                       # c.addi x5, 1
    wide = e.to_bytes([addi(5, 5, 1)])
    bench.write(PA1 + 0xFFA, c_addi + c_addi + wide[:2])
    bench.write(PA2, wide[2:] + e.to_bytes([addi(5, 5, 1), e.EBREAK]))
    tables.map(VA, PA1, V | R | X | A)
    if second_page_flags:
        tables.map(VA + 0x1000, PA2, second_page_flags)
    enter_mode(bench, PRV_S, [e.i("jalr", 0, 10, 0)])
    bench.set_regs({5: 0, 10: VA + 0xFFA})


def test_a_block_ends_at_its_page_and_the_next_page_is_translated(engine):
    bench, tables = s_mode(engine)
    straddling_code(bench, tables, V | R | X | A)
    run(bench, 20)
    assert bench.hart.mcause == 3 and bench.hart.mepc == VA + 0x1006 and bench.reg(5) == 4


def test_a_fetch_fault_on_the_next_page_comes_after_this_page_s_instructions(engine):
    bench, tables = s_mode(engine)
    straddling_code(bench, tables, 0)                   # the second page is not mapped
    retired = run(bench, 4)                             # jalr, two c.addi, the faulting fetch
    assert bench.hart.mcause == 12 and bench.hart.mtval == VA + 0x1000   # the upper half's address
    assert bench.hart.mepc == VA + 0xFFE and bench.reg(5) == 2
    assert retired == 3


def test_a_dma_write_into_the_middle_of_a_decoded_block(engine):
    """A write from outside the harts (the loader, a device) over one instruction in the
    middle of a block forgets the block: the next run decodes the new bytes."""
    bench = Bench(engine)
    bench.program([addi(5, 0, 1), addi(6, 0, 1), addi(7, 0, 1), addi(8, 0, 1)])
    run(bench, 10)
    bench.machine.write_memory(CODE + 8, e.to_bytes([addi(7, 0, 5)]))
    bench.hart.pc = CODE
    run(bench, 10)
    assert (bench.reg(5), bench.reg(6), bench.reg(7), bench.reg(8)) == (1, 1, 5, 1)


def test_a_full_record_store_starts_over_and_keeps_running(engine):
    """More distinct blocks than the record store holds: it is emptied and refilled while
    the program runs (a chain of jumps, each a block of its own, over 2 MiB of code)."""
    bench = Bench(engine)
    stride = 32
    count = 70000 // 2
    base = DATA + 0x1000
    code = bytearray()
    for n in range(count):
        block = e.to_bytes([addi(5, 5, 1), e.jal(0, stride - 4)])
        code += block + bytes(stride - len(block))
    bench.write(base, bytes(code))
    bench.write_words(base + stride * count, [e.jal(0, 0)])
    bench.hart.pc = base
    run(bench, 2 * count + 5)
    assert bench.reg(5) == count and bench.hart.pc == base + stride * count
