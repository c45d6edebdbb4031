"""The 16550 UART's registers as a driver sees them (devices/uart16550.py): transmission,
the THR-empty interrupt, received data, and LSR as a console polls it."""

from downstairs.devices.uart16550 import IER, IIR_FCR, LSR, MCR, RBR_THR, Uart16550


def make():
    """A UART whose output and interrupt line the test can see."""
    sent, levels = bytearray(), []
    uart = Uart16550(sent.extend, levels.append)
    return uart, sent, levels


def test_a_console_polls_lsr_and_writes_thr_without_touching_the_line():
    """Linux's 8250 console: LSR (THRE and TEMT set), then a byte to THR, interrupts off."""
    uart, sent, levels = make()
    for byte in b"hello\n":
        assert uart.read(LSR, 1) == 0x60
        uart.write(RBR_THR, 1, byte)
    assert bytes(sent) == b"hello\n" and levels == []


def test_thr_empty_interrupt_follows_ier_and_iir():
    uart, sent, levels = make()
    uart.write(RBR_THR, 1, ord("a"))                 # THR empties with THRE disabled: no line
    assert levels == []
    uart.write(IER, 1, 0x02)                          # enabling THRE with THR empty: at once
    assert levels == [True] and uart.read(IIR_FCR, 1) & 0x0F == 0x02
    assert levels == [True, False]                    # reading IIR acknowledged it
    uart.write(RBR_THR, 1, ord("b"))                  # the next byte empties THR again
    assert levels == [True, False, True] and bytes(sent) == b"ab"
    uart.write(IER, 1, 0)
    assert levels[-1] is False


def test_received_data_interrupt_and_lsr_dr():
    uart, sent, levels = make()
    uart.write(IER, 1, 0x01)
    uart.receive(b"xy")
    assert uart.read(LSR, 1) & 0x01 and levels == [True]
    assert uart.read(RBR_THR, 1) == ord("x")          # FIFOs off: one byte at a time
    assert uart.read(RBR_THR, 1) == ord("y")
    assert uart.read(LSR, 1) == 0x60 and levels[-1] is False


def test_loopback_sends_thr_back_to_rbr():
    uart, sent, levels = make()
    uart.write(MCR, 1, 0x10)
    uart.write(IER, 1, 0x01)
    uart.write(RBR_THR, 1, ord("z"))
    assert sent == b"" and levels == [True] and uart.read(RBR_THR, 1) == ord("z")
