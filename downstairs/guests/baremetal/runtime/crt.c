/* crt.c: between start.S and main().
 *
 * Built twice: plain, main() runs in M-mode with no translation; with BARE_MMU defined (the
 * "MMU on" variant of a program), the runtime first maps RAM and the devices 1:1 with Sv39
 * (mmu.c) and runs main() in S-mode with satp set.  Either way main's result is the exit
 * status.  Built with REPORT_INSTRET defined (build(..., defines=["REPORT_INSTRET"])), it
 * prints minstret at the end, for measuring benchmarks.
 *
 * Both variants first open PMP to S and U mode over all of memory (mmu.c): with no PMP
 * entry at all, S- and U-mode accesses fail (privileged spec 3.7.1), and QEMU even refuses
 * an mret to S or U (illegal instruction).
 */
#include "bare.h"

#ifdef BARE_MMU
static long s_main(long arg)
{
    /* satp is readable in S-mode: show that translation is really on */
    printf("S-mode, satp mode %lu\n", csr_read(satp) >> 60);
    return main();
}
#endif

int runtime_main(void)
{
    int status;
    pmp_allow_all();
#ifdef BARE_MMU
    mmu_identity_setup();
    status = (int)run_in_mode(PRV_S, s_main, 0);
#else
    status = main();
#endif
#ifdef REPORT_INSTRET
    /* for measuring: exact under QEMU's -icount shift=0, not deterministic otherwise */
    printf("instret %lu\n", csr_read(minstret));
#endif
    return status;
}
