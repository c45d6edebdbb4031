"""The UART driver: owns a 16550 UART (its device 0 in the task table: 0x10000000 on virt) and
its interrupt, and serves U_WRITE and U_READ (protocol.py). Its registers, one byte each:

    +0 RBR (read) / THR (write)       +3 LCR
    +1 IER: bit 0 = interrupt when a byte arrives
    +2 IIR (read) / FCR (write)       +5 LSR: bit 0 = a byte waits in RBR, bit 5 = THR empty
    +4 MCR: bit 3 = OUT2 (routes the interrupt on a PC's 16550)

The firmware has set the line up (baud rate, 8N1). Writes are polled: each byte waits for THR
empty, which emulated UARTs always are. A read takes what has arrived; with nothing there yet
the reader waits (its reply held back) while the driver turns on the receive interrupt and goes
on serving writes; the interrupt's notification brings the bytes and the reply.
"""

from downstairs.compiler.runtime import u8, u32, u64, array, addr, load8, store8
import abi
from userlib import Message, OP, W0, recv, reply, borrow_read, borrow_write, lease_length, irq_done, \
    device_base, device_bits
from protocol import OK, BAD_OP, BUSY, U_WRITE, U_READ

RBR = 0
THR = 0
IER = 1
MCR = 4
LSR = 5
LSR_DATA = 1
LSR_THR_EMPTY = 0x20
IER_RX = 1
MCR_OUT2 = 8
CHUNK = 64

buffer = array(u8, CHUNK)
message = Message()
reader: u64 = abi.NONE              # a U_READ waiting for input (its caller id)
uart: u64 = 0                       # the registers
irq_bit: u32 = 0                    # what its interrupt posts to us


def write_out(caller: u64) -> None:
    """U_WRITE: the caller's lease 0, a chunk at a time, out through THR."""
    length = lease_length(caller, 0)
    done: u64 = 0
    while done < length:
        n = length - done
        if n > CHUNK:
            n = CHUNK
        borrow_read(caller, 0, done, addr(buffer), n)
        for k in range(n):
            while load8(uart + LSR) & LSR_THR_EMPTY == 0:
                pass
            store8(uart + THR, buffer[k])
        done += n


def read_in(caller: u64) -> u64:
    """What has arrived, into the caller's lease 0 (as much as fits): how many bytes."""
    room = lease_length(caller, 0)
    if room > CHUNK:
        room = CHUNK
    n: u64 = 0
    while n < room and load8(uart + LSR) & LSR_DATA != 0:
        buffer[n] = load8(uart + RBR)
        n += 1
    borrow_write(caller, 0, 0, addr(buffer), n)
    return n


def main() -> None:
    global reader, uart, irq_bit
    uart = device_base(0)
    irq_bit = device_bits(0)
    store8(uart + IER, 0)
    store8(uart + MCR, load8(uart + MCR) | MCR_OUT2)
    to: u64 = abi.NONE
    code: u64 = OK
    while True:
        sender = recv(to, code, message, u64(irq_bit))
        to = abi.NONE
        code = OK
        if sender == abi.KERNEL:
            if reader != abi.NONE and load8(uart + LSR) & LSR_DATA != 0:
                message.regs[W0] = read_in(reader)
                reply(reader, OK, message)
                reader = abi.NONE
                store8(uart + IER, 0)
            irq_done(irq_bit)
        elif message.regs[OP] == U_WRITE:
            write_out(sender)
            to = sender
        elif message.regs[OP] == U_READ:
            to = sender
            if reader != abi.NONE:
                code = BUSY
            elif load8(uart + LSR) & LSR_DATA != 0:
                message.regs[W0] = read_in(sender)
            else:
                reader = sender
                to = abi.NONE
                store8(uart + IER, IER_RX)
        else:
            to = sender
            code = BAD_OP
