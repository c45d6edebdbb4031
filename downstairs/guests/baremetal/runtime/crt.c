/* crt.c: between start.S and main().
 *
 * Built twice: plain, main() runs in M-mode with no translation; with BARE_MMU defined (the
 * "MMU on" variant of a program), the runtime first maps RAM and the devices 1:1 with Sv39
 * (mmu.c) and runs main() in S-mode with satp set.  Either way main's result is the exit
 * status.
 *
 * Both variants first open PMP to S and U mode over all of memory (mmu.c): with no PMP
 * entry at all, S- and U-mode accesses fail (privileged spec 3.7.1), and QEMU even refuses
 * an mret to S or U (illegal instruction).
 */
#include "bare.h"

int runtime_main(void)
{
    pmp_allow_all();
#ifdef BARE_MMU
    mmu_identity_setup();
    return (int)run_in_mode(PRV_S, (long (*)(long))main, 0);
#else
    return main();
#endif
}
