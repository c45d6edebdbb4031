"""The host side of the intrinsics: a very small model of QEMU's `virt` board for CPython runs.

Only what compiled test programs touch: the 16550 UART's transmit register (offset 0) and line
status register (offset 5, bit 5 "THR empty" always set) at 0x10000000, the sifive_test device
at 0x100000 (0x5555 = pass, 0x3333 | code << 16 = fail), and plain little-endian memory
elsewhere. CSRs are a dictionary; the counters (cycle 0xC00, time 0xC01, instret 0xC02 and the
machine copies 0xB00/0xB02) read as 0 so host output never depends on timing.
"""

UART_BASE = 0x10000000
TEST_BASE = 0x100000


class HostExit(Exception):
    """The program wrote the sifive_test device: `status` is 0 for pass, the code for fail."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class HostTrap(Exception):
    """The program trapped on purpose (ecall): `cause` is the mcause a hart would report."""

    def __init__(self, cause: int):
        super().__init__(cause)
        self.cause = cause


class HostMachine:
    """The host's machine: collected UART output (also written to `echo`, a binary stream,
    if given), byte-addressed memory, CSRs."""

    def __init__(self, echo=None):
        self.echo = echo
        self.output = bytearray()
        self.memory: dict[int, int] = {}
        self.csrs: dict[int, int] = {}

    def load(self, address: int, size: int) -> int:
        """A little-endian load of `size` bytes (the UART's LSR reads "THR empty")."""
        if address == UART_BASE + 5:
            return 0x60
        if UART_BASE <= address < UART_BASE + 8:
            return 0
        return sum(self.memory.get(address + k, 0) << (8 * k) for k in range(size))

    def store(self, address: int, size: int, value: int) -> None:
        """A little-endian store; the UART's THR appends to output, sifive_test raises
        HostExit."""
        value &= (1 << (8 * size)) - 1
        if address == UART_BASE:
            self.output.append(value & 0xFF)
            if self.echo is not None:
                self.echo.write(bytes((value & 0xFF,)))
                if value & 0xFF == 10:
                    self.echo.flush()
            return
        if address == TEST_BASE:
            if value & 0xFFFF == 0x5555:
                raise HostExit(0)
            if value & 0xFFFF == 0x3333:
                raise HostExit(value >> 16)
            return
        for k in range(size):
            self.memory[address + k] = (value >> (8 * k)) & 0xFF

    def flush(self) -> None:
        """Push echoed output out (at the end of a run)."""
        if self.echo is not None:
            self.echo.flush()

    def csr_read(self, number: int) -> int:
        if number in (0xC00, 0xC01, 0xC02, 0xB00, 0xB02):
            return 0
        return self.csrs.get(number, 0)

    def csr_write(self, number: int, value: int) -> None:
        self.csrs[number] = value & ((1 << 64) - 1)

    def ecall(self, a7: int, a0: int, a1: int, a2: int) -> int:
        """Compiled code runs in machine mode, so an ecall traps with mcause 11; there is no
        environment below it on the host either."""
        raise HostTrap(11)


MACHINE = HostMachine()


def reset(echo=None) -> HostMachine:
    """A fresh machine for the next host run (its UART output also to `echo`, if given)."""
    global MACHINE
    MACHINE = HostMachine(echo)
    return MACHINE
