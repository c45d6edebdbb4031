/* board_virt.c: console and exit on QEMU's `virt` board.
 *
 * Console: the 16550 UART at 0x10000000; wait for LSR.THRE (bit 5, transmit holding
 * register empty), then write the byte to THR (offset 0).  QEMU needs no line setup.
 * Exit: the sifive_test finisher at 0x100000; 0x5555 powers off with status 0, 0x3333 with
 * the status in bits 31:16.
 */
#include "bare.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20

void putchar_raw(int c)
{
    volatile u8 *uart = (volatile u8 *)UART_BASE;
    while (!(uart[UART_LSR] & LSR_THRE))
        ;
    uart[UART_THR] = (u8)c;
}

void board_exit(int code)
{
    mmio32(TEST_BASE) = code == 0 ? 0x5555 : ((u32)(code & 0xffff) << 16) | 0x3333;
    for (;;)
        asm volatile("wfi");
}
