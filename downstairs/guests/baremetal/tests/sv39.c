/* sv39.c: virtual memory with Sv39 and Sv48 (privileged spec 4.3-4.5).
 *
 * M-mode builds the page tables, delegates page faults (medeleg 12, 13, 15) to S and runs the
 * checks in S-mode with satp set.  Code, data, page tables and devices stay mapped 1:1 by
 * gigapages; the test pages live at VA 0x40000000 and up:
 *
 *   VA 0x40000000 + 4K*i   i=0 RW with A=D=0 (hardware sets A on access, D on store; QEMU
 *                          does), 1 invalid, 2 read-only, 3 execute-only (holds code),
 *                          4 user page, 5 alias of page 0, 6 W without R (reserved),
 *                          7 RW with A=1 D=0, 8 remapped at run time (needs sfence.vma),
 *                          9-14 code at page ends (12 and 14 invalid, see build_tables)
 *   VA 0x40200000          a 2 MiB megapage onto PA 0x80600000
 *   VA 0x40400000          a misaligned megapage (ppn[0] != 0): page fault
 *   VA 0xc0000000          a 1 GiB gigapage onto RAM at 0x80000000
 *
 * Checks: loads/stores/fetches through each, page-fault causes 12/13/15 with stval = the
 * faulting virtual address, SUM and MXR, non-canonical addresses, A/D bits in the PTEs,
 * instructions that end a page or straddle two, M-mode loads through MPRV, and
 * Sv48 (the same tables under a fourth level, plus a 512 GiB leaf).
 */
#include "bare.h"

#define VA_BASE 0x40000000ul
#define VA(i) (VA_BASE + 4096ul * (i))
#define VA_MEGA 0x40200000ul
#define VA_BADMEGA 0x40400000ul
#define VA_GIGA 0xc0000000ul
#define PA_MEGA 0x80600000ul
#define NONCANONICAL 0x0000004000000000ul   /* bit 38 set, bits 63:39 clear */

static u64 root[512] __attribute__((aligned(4096)));
static u64 root48[512] __attribute__((aligned(4096)));
static u64 test_l1[512] __attribute__((aligned(4096)));
static u64 test_l0[512] __attribute__((aligned(4096)));
static u8 pages[12][4096] __attribute__((aligned(4096)));

#define LEAF(pa, bits) (PTE_PPN(pa) | PTE_V | (bits))
#define RWAD (PTE_R | PTE_W | PTE_A | PTE_D)

static void build_tables(void)
{
    root[0] = LEAF(0, RWAD);                            /* devices */
    root[2] = LEAF(RAM_BASE, RWAD | PTE_X);             /* RAM 1:1 */
    root[3] = LEAF(RAM_BASE, RWAD);                     /* RAM again, at 0xc0000000 */
    root[1] = PTE_PPN(test_l1) | PTE_V;
    test_l1[0] = PTE_PPN(test_l0) | PTE_V;
    test_l1[1] = LEAF(PA_MEGA, RWAD);
    test_l1[2] = LEAF(PA_MEGA + 0x1000, RWAD);          /* misaligned megapage */
    test_l0[0] = LEAF(pages[0], PTE_R | PTE_W);         /* A = D = 0 */
    test_l0[1] = 0;
    test_l0[2] = LEAF(pages[1], PTE_R | PTE_A);
    test_l0[3] = LEAF(pages[2], PTE_X | PTE_A);
    test_l0[4] = LEAF(pages[3], RWAD | PTE_U);
    test_l0[5] = LEAF(pages[0], RWAD);
    test_l0[6] = LEAF(pages[4], PTE_W | PTE_A | PTE_D);
    test_l0[7] = LEAF(pages[5], PTE_R | PTE_W | PTE_A);
    test_l0[8] = LEAF(pages[6], RWAD);
    test_l0[9] = LEAF(pages[8], PTE_R | PTE_X | PTE_A);
    test_l0[10] = LEAF(pages[9], PTE_R | PTE_X | PTE_A);
    test_l0[11] = LEAF(pages[10], PTE_R | PTE_X | PTE_A);
    test_l0[12] = 0;
    test_l0[13] = LEAF(pages[11], PTE_R | PTE_X | PTE_A);
    test_l0[14] = 0;

    /* instructions that end a page: addi a0, zero, 77 (0x04d00513) split over pages 9 and 10,
     * then ret; c.li a0, 9 and c.jr ra in the last 4 bytes of page 11 (page 12 is invalid);
     * the same split addi at the end of page 13 (page 14 is invalid). */
    *(u16 *)(pages[8] + 0xffe) = 0x0513;
    *(u16 *)(pages[9]) = 0x04d0;
    *(u32 *)(pages[9] + 2) = 0x00008067;
    *(u16 *)(pages[10] + 0xffc) = 0x4525;
    *(u16 *)(pages[10] + 0xffe) = 0x8082;
    *(u16 *)(pages[11] + 0xffe) = 0x0513;
    *(u64 *)(pages[1] + 0x10) = 0x1111222233334444ul;
    u32 *code = (u32 *)(pages[2] + 0x40);
    code[0] = 0x04d00513;                               /* addi a0, zero, 77 */
    code[1] = 0x00008067;                               /* jalr zero, 0(ra) */
    *(u64 *)(pages[2] + 0x80) = 0xabcdabcdabcdabcdul;
    *(u64 *)(pages[3]) = 0x5555666677778888ul;
    *(u64 *)(pages[6] + 8) = 0x6666666666666666ul;
    *(u64 *)(pages[7] + 8) = 0x7777777777777777ul;
    *(u64 *)(PA_MEGA + 0x12340) = 0x0123456789abcdeful;
    fence_i();

    root48[0] = PTE_PPN(root) | PTE_V;                  /* Sv48: the Sv39 tables below */
    root48[1] = LEAF(0, RWAD);                          /* 512 GiB leaf at VA 0x8000000000 */
}

static void expect_fault(const char *name, u64 count_before, u64 cause, u64 tval)
{
    check(name, strap.count - count_before == 1 && strap.cause == cause && strap.tval == tval, 1);
    if (strap.count - count_before != 1 || strap.cause != cause || strap.tval != tval)
        printf("  (faults %lu, scause %lu, stval 0x%lx)\n", strap.count - count_before, strap.cause, strap.tval);
}

static long s_tests(long arg)
{
    u64 n;
    csr_write(stvec, (u64)s_trap_entry);

    /* page 0: A and D start clear; a load sets A, a store sets D */
    check("sv39.a_clear_before", test_l0[0] & (PTE_A | PTE_D), 0);
    n = strap.count;
    check("sv39.load_zero_page", ld64(VA(0) + 8), 0);
    check("sv39.load_sets_a", (test_l0[0] & PTE_A) != 0, 1);
    check("sv39.load_leaves_d", test_l0[0] & PTE_D, 0);
    sd64(VA(0) + 8, 0xfeedfacecafebeeful);
    check("sv39.store_sets_d", (test_l0[0] & PTE_D) != 0, 1);
    check("sv39.store_reached_pa", *(u64 *)(pages[0] + 8), 0xfeedfacecafebeeful);
    check("sv39.alias_sees_store", ld64(VA(5) + 8), 0xfeedfacecafebeeful);
    check("sv39.no_faults_yet", strap.count - n, 0);

    /* page 7: A set, D clear: a store sets D */
    sd64(VA(7), 1);
    check("sv39.store_sets_d_page7", (test_l0[7] & PTE_D) != 0, 1);

    /* page 1: invalid */
    n = strap.count;
    ld64(VA(1) + 0x18);
    expect_fault("sv39.invalid_load_fault", n, CAUSE_LOAD_PAGE, VA(1) + 0x18);
    n = strap.count;
    sd64(VA(1) + 0x20, 5);
    expect_fault("sv39.invalid_store_fault", n, CAUSE_STORE_PAGE, VA(1) + 0x20);
    n = strap.count;
    ((void (*)(void))(VA(1) + 0x40))();
    expect_fault("sv39.invalid_fetch_fault", n, CAUSE_FETCH_PAGE, VA(1) + 0x40);
    check("sv39.fetch_fault_sepc", strap.epc, VA(1) + 0x40);

    /* page 2: read-only */
    check("sv39.readonly_load", ld64(VA(2) + 0x10), 0x1111222233334444ul);
    n = strap.count;
    sd64(VA(2) + 0x10, 0);
    expect_fault("sv39.readonly_store_fault", n, CAUSE_STORE_PAGE, VA(2) + 0x10);
    check("sv39.readonly_unchanged", *(u64 *)(pages[1] + 0x10), 0x1111222233334444ul);
    check("sv39.readonly_no_d", test_l0[2] & PTE_D, 0);
    n = strap.count;
    ((void (*)(void))(VA(2) + 0x40))();
    expect_fault("sv39.noexec_fetch_fault", n, CAUSE_FETCH_PAGE, VA(2) + 0x40);

    /* page 3: execute-only; loads need MXR */
    check("sv39.exec_only_runs", ((long (*)(void))(VA(3) + 0x40))(), 77);
    n = strap.count;
    ld64(VA(3) + 0x80);
    expect_fault("sv39.exec_only_load_fault", n, CAUSE_LOAD_PAGE, VA(3) + 0x80);
    csr_set(sstatus, MSTATUS_MXR);
    check("sv39.mxr_load", ld64(VA(3) + 0x80), 0xabcdabcdabcdabcdul);
    csr_clear(sstatus, MSTATUS_MXR);

    /* page 4: a user page; S needs SUM to load, and may never execute it */
    n = strap.count;
    ld64(VA(4));
    expect_fault("sv39.user_page_no_sum", n, CAUSE_LOAD_PAGE, VA(4));
    csr_set(sstatus, MSTATUS_SUM);
    check("sv39.user_page_sum", ld64(VA(4)), 0x5555666677778888ul);
    n = strap.count;
    ((void (*)(void))(VA(4) + 0x100))();
    expect_fault("sv39.user_page_no_exec_in_s", n, CAUSE_FETCH_PAGE, VA(4) + 0x100);
    csr_clear(sstatus, MSTATUS_SUM);

    /* page 6: W without R is reserved */
    n = strap.count;
    ld64(VA(6));
    expect_fault("sv39.w_without_r_load", n, CAUSE_LOAD_PAGE, VA(6));
    n = strap.count;
    sd64(VA(6), 1);
    expect_fault("sv39.w_without_r_store", n, CAUSE_STORE_PAGE, VA(6));

    /* page 8: change the mapping, sfence.vma, see the new page */
    check("sv39.before_remap", ld64(VA(8) + 8), 0x6666666666666666ul);
    test_l0[8] = LEAF(pages[7], RWAD);
    asm volatile("sfence.vma %0" :: "r"(VA(8)) : "memory");
    check("sv39.after_remap", ld64(VA(8) + 8), 0x7777777777777777ul);

    /* instruction fetch across page ends */
    check("sv39.insn_across_pages", ((long (*)(void))(VA(9) + 0xffe))(), 77);
    n = strap.count;
    check("sv39.rvc_at_page_end", ((long (*)(void))(VA(11) + 0xffc))(), 9);
    check("sv39.rvc_at_page_end_no_fault", strap.count - n, 0);
    n = strap.count;
    ((void (*)(void))(VA(13) + 0xffe))();
    /* sepc is the instruction's address; stval the part that faulted: the second page */
    expect_fault("sv39.insn_split_fetch_fault", n, CAUSE_FETCH_PAGE, VA(14));
    check("sv39.insn_split_sepc", strap.epc, VA(13) + 0xffe);

    /* superpages */
    check("sv39.megapage", ld64(VA_MEGA + 0x12340), 0x0123456789abcdeful);
    n = strap.count;
    ld64(VA_BADMEGA + 0x12340);
    expect_fault("sv39.misaligned_megapage", n, CAUSE_LOAD_PAGE, VA_BADMEGA + 0x12340);
    check("sv39.gigapage", ld64(VA_GIGA + ((u64)&pages[1][0x10] - RAM_BASE)), 0x1111222233334444ul);

    /* a virtual address whose bits 63:39 do not copy bit 38 */
    n = strap.count;
    ld64(NONCANONICAL);
    expect_fault("sv39.noncanonical_load", n, CAUSE_LOAD_PAGE, NONCANONICAL);
    n = strap.count;
    ld64(0xffffffc000000000ul);         /* canonical, but root[256] is invalid */
    expect_fault("sv39.high_half_unmapped", n, CAUSE_LOAD_PAGE, 0xffffffc000000000ul);
    return 0;
}

static long s_sv48_tests(long arg)
{
    u64 n = strap.count;
    check("sv48.through_sv39_tables", ld64(VA_MEGA + 0x12340), 0x0123456789abcdeful);
    check("sv48.terapage", ld64(0x8000000000ul + (u64)&pages[1][0x10]), 0x1111222233334444ul);
    ld64(0x10000000000ul);              /* root48[2] invalid */
    expect_fault("sv48.unmapped_fault", n, CAUSE_LOAD_PAGE, 0x10000000000ul);
    n = strap.count;
    ld64(0x0000800000000000ul);         /* bit 47 set, 63:48 clear: not canonical in Sv48 */
    expect_fault("sv48.noncanonical", n, CAUSE_LOAD_PAGE, 0x0000800000000000ul);
    return 0;
}

int main(void)
{
    build_tables();
    csr_write(medeleg, (1ul << CAUSE_FETCH_PAGE) | (1ul << CAUSE_LOAD_PAGE) | (1ul << CAUSE_STORE_PAGE));
    csr_write(satp, SATP_SV39 | ((u64)root >> 12));
    sfence_vma();
    check("sv39.satp_set", csr_read(satp), SATP_SV39 | ((u64)root >> 12));
    trap_reset();
    run_in_mode(PRV_S, s_tests, 0);

    /* M-mode ignores satp: 0xc0000000 is RAM only through the gigapage; to M it is empty */
    trap_reset();
    ld64(VA_GIGA + ((u64)&pages[1][0x10] - RAM_BASE));
    check("sv39.m_mode_untranslated", mtrap.count, 1);

    /* mstatus.MPRV with MPP = S: M's loads go through S's translation (OpenSBI reads S memory
     * this way); a fault there is taken in M, never delegated down */
    u64 r;
    asm volatile("li t0, %1\n csrs mstatus, t0\n ld %0, 0(%2)\n li t0, %1\n csrc mstatus, t0"
                 : "=&r"(r) : "i"(MSTATUS_MPRV | (1ul << 11)), "r"(VA(2) + 0x10) : "t0", "memory");
    check("sv39.mprv_load_translated", r, 0x1111222233334444ul);
    trap_reset();
    asm volatile("li t0, %1\n csrs mstatus, t0\n ld %0, 0(%2)\n li t0, %1\n csrc mstatus, t0"
                 : "=&r"(r) : "i"(MSTATUS_MPRV | (1ul << 11)), "r"(VA(1) + 8) : "t0", "memory");
    check("sv39.mprv_fault_in_m", mtrap.count == 1 && mtrap.cause == CAUSE_LOAD_PAGE && mtrap.tval == VA(1) + 8, 1);
    check("sv39.mprv_fault_not_in_s", strap.count, 0);
    csr_clear(mstatus, MSTATUS_MPRV | MSTATUS_MPP);
    trap_reset();

    csr_write(satp, SATP_SV48 | ((u64)root48 >> 12));
    sfence_vma();
    if (csr_read(satp) >> 60 == 9) {
        run_in_mode(PRV_S, s_sv48_tests, 0);
    } else {
        check("sv48.supported", 0, 1);
    }
    csr_write(satp, 0);
    sfence_vma();
    check("sv39.m_saw_no_page_faults", mtrap.count, 0);
    return check_report();
}
