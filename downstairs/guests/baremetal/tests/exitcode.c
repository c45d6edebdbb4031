/* exitcode.c: the exit path alone: print a line, exit with status 42 (the test expects 42).
 * On virt this is sifive_test's 0x3333 | 42 << 16; on spike, HTIF tohost = 42 << 1 | 1. */
#include "bare.h"

int main(void)
{
    puts("exiting with status 42");
    return 42;
}
