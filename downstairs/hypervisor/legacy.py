"""The few PC legacy ports a Linux guest touches that the kernel's irqchip and PIT do not cover.

- The i8042 keyboard controller (ports 0x60/0x64): only what a reboot needs. Writing 0xFE
  (pulse the reset line) to the command port resets the PC; Linux's "reboot=k" path and its
  fallback after ACPI both do that. A microVM, like Firecracker, turns the reset into the
  end of the VM. The status register reads 0 (both buffers empty) so the kernel never waits.
- The CMOS RTC index/data ports (0x70/0x71): reads as zero, so "update in progress" is
  never set and the clock reads as a valid, if early, time.
- Port 0x80, the POST code port Linux writes for I/O delays: ignored.
"""

KBD_RESET = 0xFE


class I8042:
    size = 5                       # ports 0x60..0x64; 0x60 is data, 0x64 status/command

    def __init__(self, on_reset):
        """The i8042's reset line: `on_reset()` ends the VM."""
        self.on_reset = on_reset

    def read(self, offset: int, size: int) -> int:
        """Status and data read as zero: no keyboard, never busy."""
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """Command 0xFE on port 0x64 pulses the CPU reset line."""
        if offset == 4 and value & 0xFF == KBD_RESET:
            self.on_reset()


class Cmos:
    size = 2

    def __init__(self):
        """The CMOS index register at 0."""
        self.index = 0

    def read(self, offset: int, size: int) -> int:
        """Port 0x70 reads back the index; the data port reads zero (no RTC, no NVRAM)."""
        return self.index if offset == 0 else 0

    def write(self, offset: int, size: int, value: int) -> None:
        """Port 0x70 selects a register (bit 7, the NMI mask, is dropped); data writes are ignored."""
        if offset == 0:
            self.index = value & 0x7F


class Sink:
    """Claims a port range: reads zero, writes ignored."""

    def __init__(self, size: int):
        """Ports that ignore writes and read zero, `size` of them (port 0x80's POST codes)."""
        self.size = size

    def read(self, offset: int, size: int) -> int:
        """Reads as zero."""
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """Writes are dropped."""
        pass
