/* debuggee.c: a program for a debugger to stop and look inside (tests/board/test_gdb.py).
 *
 * Plain, it checks its own arithmetic: main sums the squares of 0..7 into `total`, counting
 * each step in `counter`, and hands the total to poke(), which stores it in `watched`. Under
 * gdb the same run has places to stop (main, square, poke), variables to watch and change,
 * code to patch (gdb rewrites square while it runs: the harts must see the new bytes), and
 * `hold`, which gdb sets to keep the program spinning for a Ctrl-C and clears to let it end.
 * The second hart parks in wfi (runtime start.S): a second thread. gdb sets `wait_for_harts`
 * to 1 so that main waits until that hart has parked: what gdb then shows of it is the same on
 * every emulator, however the host schedules QEMU's threads (plain runs do not wait).
 */
#include "bare.h"

volatile long counter;
volatile long watched;
volatile int hold;
long results[8];
extern volatile int harts_parked;                       /* start.S counts them */
__attribute__((section(".data"))) volatile int wait_for_harts;

__attribute__((noipa)) long square(long x)
{
    return x * x;
}

__attribute__((noipa)) void poke(long value)
{
    watched = value;
}

int main(void)
{
    long total = 0;
    while (harts_parked < wait_for_harts)
        ;
    for (int i = 0; i < 8; i++) {
        results[i] = square(i);
        total += results[i];
        counter++;
    }
    poke(total);
    while (hold)
        counter++;
    check("debuggee.total", total, 140);
    check("debuggee.watched", watched, 140);
    check("debuggee.counter", counter, 8);
    return check_report();
}
