/* pmp.c: physical memory protection (privileged spec 3.7).
 *
 * The runtime leaves entry 7 as "everything, RWX" for S and U; the test programs entries 0-6,
 * which take priority (the lowest-numbered matching entry decides), then accesses memory from
 * S-mode, and checks which accesses raise access faults (5 load, 7 store, 1 fetch) with mtval
 * = the address:
 *
 *   0  NA4   pageA+0x100        RW     (an allowed hole in entry 1)
 *   1  NAPOT pageA, 4 KiB       none
 *   2  OFF   pmpaddr = pageB    (the bottom of entry 3's range)
 *   3  TOR   [pageB, pageB+4K)  R
 *   4  NAPOT pageC+8, 8 bytes   none
 *   5  NAPOT pageD, 4 KiB       X      (holds code)
 *   6  NA4   pageE, locked      none   (binds M-mode too; set last, stays until reset)
 *
 * An access that only partly matches an entry fails.  Also: M-mode ignores unlocked entries, mstatus.MPRV makes M's loads use MPP's privilege,
 * and the pmpcfg/pmpaddr registers read back what was written.
 */
#include "bare.h"

static u8 pages[5][4096] __attribute__((aligned(4096)));
#define PAGE(i) ((u64)pages[i])

#define A_OFF 0
#define A_TOR (1 << 3)
#define A_NA4 (2 << 3)
#define A_NAPOT (3 << 3)
#define P_R 1
#define P_W 2
#define P_X 4
#define P_L 0x80

static u64 s_addr, s_value;
static long s_load(long arg) { return ld64(s_addr); }
static long s_load32(long arg) { return lw32(s_addr); }
static long s_store(long arg) { sd64(s_addr, s_value); return 0; }
static long s_call(long arg) { return ((long (*)(void))s_addr)(); }

/* Run one S-mode access; return the number of M traps it caused (0 or 1). */
static u64 s_access(long (*fn)(long), u64 addr, u64 *result)
{
    s_addr = addr;
    s_value = 0x5a5a5a5a5a5a5a5aul;
    trap_reset();
    long r = run_in_mode(PRV_S, fn, 0);
    if (result)
        *result = r;
    return mtrap.count;
}

static void expect_fault(const char *name, u64 traps, u64 cause, u64 tval)
{
    check(name, traps == 1 && mtrap.cause == cause && mtrap.tval == tval, 1);
    if (!(traps == 1 && mtrap.cause == cause && mtrap.tval == tval))
        printf("  (traps %lu, mcause %lu, mtval 0x%lx)\n", traps, mtrap.cause, mtrap.tval);
}

int main(void)
{
    u64 r;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4096; j += 8)
            *(u64 *)(pages[i] + j) = 0x1000ul * i + j;
    u32 *code = (u32 *)PAGE(3);
    code[0] = 0x04d00513;                               /* addi a0, zero, 77 */
    code[1] = 0x00008067;                               /* jalr zero, 0(ra) */
    fence_i();

    csr_write(pmpaddr0, (PAGE(0) + 0x100) >> 2);
    csr_write(pmpaddr1, (PAGE(0) >> 2) | 0x1ff);        /* NAPOT: 4 KiB = 2^(9+3) */
    csr_write(pmpaddr2, PAGE(1) >> 2);
    csr_write(pmpaddr3, (PAGE(1) + 4096) >> 2);
    csr_write(pmpaddr4, (PAGE(2) + 8) >> 2);            /* NAPOT, no trailing ones: 8 bytes */
    csr_write(pmpaddr5, (PAGE(3) >> 2) | 0x1ff);
    u64 cfg = (u64)(A_NA4 | P_R | P_W) | (u64)(A_NAPOT) << 8 | (u64)(A_OFF) << 16 |
              (u64)(A_TOR | P_R) << 24 | (u64)(A_NAPOT) << 32 | (u64)(A_NAPOT | P_X) << 40 |
              (u64)(A_NAPOT | P_R | P_W | P_X) << 56;
    csr_write(pmpcfg0, cfg);
    check("pmp.cfg_readback", csr_read(pmpcfg0), cfg);
    check("pmp.addr_readback", csr_read(pmpaddr1), (PAGE(0) >> 2) | 0x1ff);

    /* NA4 hole inside a no-access NAPOT region: the lower-numbered entry wins */
    check("pmp.na4_allows_load", s_access(s_load32, PAGE(0) + 0x100, &r), 0);
    check("pmp.na4_value", r, 0x100);
    /* an 8-byte load matches entry 0 only in part: it fails (spec 3.7.1.3) */
    expect_fault("pmp.partial_match_fails", s_access(s_load, PAGE(0) + 0x100, 0), CAUSE_LOAD_ACCESS, PAGE(0) + 0x100);
    expect_fault("pmp.napot_denies_load", s_access(s_load, PAGE(0) + 0x200, 0), CAUSE_LOAD_ACCESS, PAGE(0) + 0x200);
    expect_fault("pmp.napot_denies_store", s_access(s_store, PAGE(0) + 0xff8, 0), CAUSE_STORE_ACCESS, PAGE(0) + 0xff8);
    check("pmp.napot_store_blocked", *(u64 *)(PAGE(0) + 0xff8), 0xff8);
    check("pmp.after_napot_ok", s_access(s_load, PAGE(0) + 4096, &r), 0);

    /* TOR read-only */
    check("pmp.tor_load", s_access(s_load, PAGE(1) + 0x10, &r), 0);
    check("pmp.tor_value", r, 0x1010);
    expect_fault("pmp.tor_store_denied", s_access(s_store, PAGE(1) + 0x18, 0), CAUSE_STORE_ACCESS, PAGE(1) + 0x18);
    check("pmp.tor_top_exclusive", s_access(s_store, PAGE(1) + 4096, 0), 0);
    expect_fault("pmp.tor_no_exec", s_access(s_call, PAGE(1) + 0x40, 0), CAUSE_FETCH_ACCESS, PAGE(1) + 0x40);

    /* 8-byte NAPOT */
    expect_fault("pmp.napot8_denied", s_access(s_load, PAGE(2) + 8, 0), CAUSE_LOAD_ACCESS, PAGE(2) + 8);
    check("pmp.napot8_below_ok", s_access(s_load, PAGE(2), 0), 0);
    check("pmp.napot8_above_ok", s_access(s_load, PAGE(2) + 16, 0), 0);

    /* execute-only region */
    check("pmp.xonly_runs", s_access(s_call, PAGE(3), &r), 0);
    check("pmp.xonly_result", r, 77);
    expect_fault("pmp.xonly_no_load", s_access(s_load, PAGE(3) + 0x80, 0), CAUSE_LOAD_ACCESS, PAGE(3) + 0x80);

    /* M-mode is not bound by unlocked entries */
    trap_reset();
    check("pmp.m_ignores_unlocked", ld64(PAGE(0) + 0x200), 0x200);
    check("pmp.m_no_trap", mtrap.count, 0);

    /* MPRV = 1 with MPP = S: M's loads are checked as S's */
    trap_reset();
    asm volatile("li t0, %1\n"
                 "csrc mstatus, t0\n"
                 "li t0, %2\n"
                 "csrs mstatus, t0\n"
                 "ld %0, 0(%3)\n"
                 "li t0, %1\n"
                 "csrc mstatus, t0\n"
                 : "=&r"(r) : "i"(MSTATUS_MPRV | MSTATUS_MPP), "i"(MSTATUS_MPRV | (1ul << 11)), "r"(PAGE(0) + 0x200)
                 : "t0", "memory");
    check("pmp.mprv_load_fault", mtrap.cause, CAUSE_LOAD_ACCESS);
    check("pmp.mprv_load_tval", mtrap.tval, PAGE(0) + 0x200);

    /* a locked entry binds M-mode as well, and its registers can no longer be changed */
    csr_write(pmpaddr6, PAGE(4) >> 2);
    csr_set(pmpcfg0, (u64)(A_NA4 | P_L) << 48);
    trap_reset();
    ld64(PAGE(4));
    check("pmp.locked_binds_m", mtrap.cause, CAUSE_LOAD_ACCESS);
    check("pmp.locked_m_tval", mtrap.tval, PAGE(4));
    check("pmp.locked_neighbor_ok", ld64(PAGE(4) + 8), 0x4008);
    csr_write(pmpaddr6, 0);
    check("pmp.locked_addr_fixed", csr_read(pmpaddr6), PAGE(4) >> 2);
    csr_clear(pmpcfg0, 0xfful << 48);
    check("pmp.locked_cfg_fixed", (csr_read(pmpcfg0) >> 48) & 0xff, A_NA4 | P_L);
    return check_report();
}
