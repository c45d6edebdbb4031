/* board_spike.c: console and exit on QEMU's `spike` board, through HTIF.
 *
 * HTIF (the Berkeley host-target interface) is two 64-bit words the host watches, found by
 * their ELF symbol names `tohost` and `fromhost`.  A command is device(63:56) cmd(55:48)
 * payload(47:0).  Device 0 command 0 with payload bit 0 set is "exit with status
 * payload >> 1".  Device 1 ("bcd", the console) command 1 writes the payload's low byte;
 * the host answers in fromhost, which the guest must read and clear before the next
 * command.  The host clears tohost when it has taken a command.
 */
#include "bare.h"

asm(".section .tohost, \"aw\", @progbits\n"
    ".balign 8\n"
    ".globl tohost\n"
    ".type tohost, @object\n"
    ".size tohost, 8\n"            /* QEMU checks the symbols' sizes */
    "tohost: .dword 0\n"
    ".globl fromhost\n"
    ".type fromhost, @object\n"
    ".size fromhost, 8\n"
    "fromhost: .dword 0\n"
    ".previous\n");
extern volatile u64 tohost, fromhost;

#define HTIF_CMD(dev, cmd, payload) (((u64)(dev) << 56) | ((u64)(cmd) << 48) | (payload))

void putchar_raw(int c)
{
    while (tohost)
        ;
    tohost = HTIF_CMD(1, 1, (u8)c);
    while (!fromhost)
        ;
    fromhost = 0;
}

void board_exit(int code)
{
    while (tohost)
        ;
    tohost = ((u64)code << 1) | 1;
    for (;;)
        asm volatile("wfi");
}
