"""The 16550A UART: the serial port every board has, here and in QEMU.

Follows the National Semiconductor PC16550D data sheet: eight byte-wide registers, a
16-byte receive FIFO, the divisor latch behind LCR.DLAB, and the interrupt identification
register that ranks pending causes (line status > received data / timeout > THR empty >
modem status). The QEMU `virt` board puts one at 0x10000000 on PLIC source 10; a PC puts it
at I/O port 0x3f8 on IRQ 4 (the hypervisor adapts port I/O to these same offsets).

Transmission is instant: a byte written to THR goes straight to the host (`output`), so
the transmitter is always empty again and LSR.THRE/TEMT always read as set.
"""

from collections import deque
from collections.abc import Callable

# Register offsets (with LCR.DLAB = 0 unless noted)
RBR_THR = 0     # receive buffer (read) / transmit holding (write); DLL when DLAB = 1
IER = 1         # interrupt enable; DLM when DLAB = 1
IIR_FCR = 2     # interrupt identification (read) / FIFO control (write)
LCR = 3         # line control; bit 7 is DLAB
MCR = 4         # modem control; bit 4 is loopback
LSR = 5         # line status
MSR = 6         # modem status
SCR = 7         # scratch

# The bits this model gives meaning to:
#
#   IER     7  6  5  4    3      2      1      0
#         +-----------+------+------+------+------+
#         |     0     |  MS  | RLS  | THRE | RDA  |   interrupt on: modem status, line status,
#         +-----------+------+------+------+------+   THR empty, received data available
#
#   IIR     7  6     5  4    3    2  1      0
#         +-------+-------+------+-------+------+
#         | FIFOs |   0   |  TO  |  ID   |  NP  |   NP = 1: nothing pending; ID (with TO):
#         +-------+-------+------+-------+------+   11 line status, 10 data, 01 THRE, 00 modem
#
#   LSR     7     6      5      4    3    2    1      0
#         +-----+------+------+----+----+----+------+------+
#         | ERR | TEMT | THRE | BI | FE | PE |  OE  |  DR  |   DR: a byte waits in RBR
#         +-----+------+------+----+----+----+------+------+   OE: the FIFO overflowed
#
#   LCR bit 7 (DLAB) maps the divisor latch over offsets 0 and 1; MCR bit 4 loops THR to RBR.
IER_RDA, IER_THRE, IER_RLS, IER_MS = 0x01, 0x02, 0x04, 0x08
LSR_DR, LSR_OE, LSR_THRE, LSR_TEMT = 0x01, 0x02, 0x20, 0x40
IIR_NONE, IIR_MS, IIR_THRE, IIR_RDA, IIR_RLS = 0x01, 0x00, 0x02, 0x04, 0x06
IIR_FIFO_ON = 0xC0
MCR_LOOP = 0x10
FIFO_DEPTH = 16
BYTES = [bytes((b,)) for b in range(256)]   # what one transmitted byte is handed on as


class Uart16550:
    size = 8

    def __init__(self, output: Callable[[bytes], None], irq: Callable[[bool], None] | None = None):
        """`output(bytes)` takes what the guest transmits; `irq(level)` drives the interrupt line.
        Registers at their reset values (8N1, FIFOs off, no interrupts enabled)."""
        self.output = output
        self.irq = irq or (lambda level: None)
        self.rx: deque[int] = deque()        # the receive FIFO as the guest sees it
        self.backlog: deque[int] = deque()   # host input waiting for room in the FIFO
        self.ier = 0
        self.lcr = 0x03                      # 8 data bits, as after a reset
        self.mcr = 0
        self.scr = 0
        self.dll, self.dlm = 0x0C, 0         # 9600 baud at the 1.8432 MHz reference
        self.fifo_enabled = False
        self.overrun = False
        self.thre_pending = False            # "THR empty" interrupt armed and not yet acknowledged
        self.level = False

    # ---- host side ----------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        """Bytes typed at the host terminal arrive on the serial line."""
        self.backlog.extend(data)
        self._refill()
        self._update()

    def has_room(self) -> bool:
        """Whether typed input can be taken without queueing behind what the guest has not read."""
        return not self.backlog

    def _refill(self) -> None:
        """Move waiting input into the receive FIFO (16 deep with FIFOs on, else 1)."""
        depth = FIFO_DEPTH if self.fifo_enabled else 1
        while self.backlog and len(self.rx) < depth:
            self.rx.append(self.backlog.popleft())

    # ---- guest side ---------------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        """A load of the register at `offset` (DLAB selecting the divisor latch): RBR pops the
        FIFO, IIR reports (and for THRE, clears) the top cause, LSR the line status."""
        offset &= 7
        dlab = self.lcr & 0x80
        if offset == RBR_THR:
            if dlab:
                return self.dll
            value = self.rx.popleft() if self.rx else 0
            self._refill()
            self._update()
            return value
        if offset == IER:
            return self.dlm if dlab else self.ier
        if offset == IIR_FCR:
            cause = self._cause()
            if cause == IIR_THRE:
                self.thre_pending = False      # reading IIR acknowledges "THR empty"
                self._update()
            return cause | (IIR_FIFO_ON if self.fifo_enabled else 0)
        if offset == LCR:
            return self.lcr
        if offset == MCR:
            return self.mcr
        if offset == LSR:                        # (a driver polls it before every byte it sends)
            if self.overrun:                     # reading LSR clears OE, and with it the line
                self.overrun = False             # status cause
                self._update()
                return LSR_THRE | LSR_TEMT | LSR_OE | (LSR_DR if self.rx else 0)
            return LSR_THRE | LSR_TEMT | (LSR_DR if self.rx else 0)
        if offset == MSR:
            if self.mcr & MCR_LOOP:             # loopback wires the modem outputs back in
                m = self.mcr
                return ((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4)
            return 0xB0                          # CTS, DSR and DCD asserted: a cable is plugged in
        return self.scr

    def write(self, offset: int, size: int, value: int) -> None:
        """A store: THR goes to the host at once; IER, FCR, LCR, MCR, SCR and the divisor latch
        are kept; the interrupt line follows."""
        offset &= 7
        value &= 0xFF
        dlab = self.lcr & 0x80
        if offset == RBR_THR:
            if dlab:
                self.dll = value
                return
            self.thre_pending = True             # the byte leaves at once: THR is empty again
            if self.mcr & MCR_LOOP:
                self.backlog.append(value)
                self._refill()
            else:
                self.output(BYTES[value])
                if not self.ier & IER_THRE:      # (then no cause changed: a console writing
                    return                       # byte after byte costs one call less)
        elif offset == IER:
            if dlab:
                self.dlm = value
                return
            if value & IER_THRE and not self.ier & IER_THRE:
                self.thre_pending = True         # enabling THRE with THR empty interrupts at once
            self.ier = value & 0x0F
        elif offset == IIR_FCR:
            self.fifo_enabled = bool(value & 0x01)
            if value & 0x02:
                self.rx.clear()
            self._refill()
        elif offset == LCR:
            self.lcr = value
        elif offset == MCR:
            self.mcr = value & 0x1F
        elif offset == SCR:
            self.scr = value
        self._update()

    # ---- interrupts ---------------------------------------------------------------------

    def _cause(self) -> int:
        """The highest-priority enabled cause pending, as IIR codes it (IIR_NONE if none)."""
        if self.ier & IER_RLS and self.overrun:
            return IIR_RLS
        if self.ier & IER_RDA and self.rx:
            return IIR_RDA
        if self.ier & IER_THRE and self.thre_pending:
            return IIR_THRE
        return IIR_NONE

    def _update(self) -> None:
        """Drive the interrupt line from the pending causes (only when it changes)."""
        level = self._cause() != IIR_NONE
        if level != self.level:
            self.level = level
            self.irq(level)
