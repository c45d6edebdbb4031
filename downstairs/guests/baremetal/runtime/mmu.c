/* mmu.c: the Sv39 identity map that the "MMU on" program variants run under.
 *
 * Sv39 (privileged spec 4.4): three levels of 512 eight-byte PTEs, VPN[2] = va[38:30],
 * VPN[1] = va[29:21], VPN[0] = va[20:12]; a leaf at level 1 maps a 2 MiB megapage.
 * The map: RAM 0x80000000-0x88000000 as 64 RWX megapages; the CLINT (0x2000000) as one RW
 * megapage; the sifive_test page (0x100000) and the UART page (0x10000000) as RW 4 KiB
 * pages.  A and D are preset, so no hardware A/D update is needed.  spike's tohost is in RAM.
 */
#include "bare.h"

static u64 root[512] __attribute__((aligned(4096)));
static u64 ram_l1[512] __attribute__((aligned(4096)));
static u64 dev_l1[512] __attribute__((aligned(4096)));
static u64 low_l0[512] __attribute__((aligned(4096)));
static u64 uart_l0[512] __attribute__((aligned(4096)));

#define LEAF_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define LEAF_RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define MEGA (1ul << 21)

void pmp_allow_all(void)
{
    /* Entry 7, NAPOT over the whole physical address space: pmpaddr holds address bits
     * 55:2, and all 54 ones means the largest NAPOT region.  Lower entries stay free for
     * tests and take priority. */
    csr_write(pmpaddr7, (1ul << 54) - 1);
    csr_clear(pmpcfg0, 0xfful << 56);
    csr_set(pmpcfg0, 0x1ful << 56);     /* A = NAPOT (3 << 3), X W R */
}

void mmu_identity_setup(void)
{
    for (u64 i = 0; i < 64; i++)
        ram_l1[i] = PTE_PPN(RAM_BASE + i * MEGA) | LEAF_RWX;
    root[RAM_BASE >> 30] = PTE_PPN(ram_l1) | PTE_V;

    low_l0[TEST_BASE >> 12] = PTE_PPN(TEST_BASE) | LEAF_RW;
    uart_l0[0] = PTE_PPN(UART_BASE) | LEAF_RW;
    dev_l1[0] = PTE_PPN(low_l0) | PTE_V;
    dev_l1[CLINT_BASE >> 21] = PTE_PPN(CLINT_BASE) | LEAF_RW;
    dev_l1[UART_BASE >> 21] = PTE_PPN(uart_l0) | PTE_V;
    root[0] = PTE_PPN(dev_l1) | PTE_V;

    csr_write(satp, SATP_SV39 | ((u64)root >> 12));
    sfence_vma();
}
