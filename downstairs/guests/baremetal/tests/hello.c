/* hello.c: the smallest program: console output, one check, exit status. */
#include "bare.h"

int main(void)
{
    puts("hello from bare metal");
    printf("dec %d %ld %u hex 0x%lx 0x%08x\n", -42, -1234567890123l, 4000000000u, 0xdeadbeefcafeul, 0xabcu);
    check("hello.misa_rv64", csr_read(misa) >> 62, 2);
    return check_report();
}
