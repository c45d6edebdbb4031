"""The Goldfish real-time clock: the wall clock QEMU's virt board has at 0x101000 (PLIC 11).

Android emulator's "goldfish" RTC (QEMU hw/rtc/goldfish_rtc.c; Linux
drivers/rtc/rtc-goldfish.c is the guest side). Time is nanoseconds since the Unix epoch in
two 32-bit halves; reading TIME_LOW latches the high half, so a reader takes LOW then HIGH:
    0x00 TIME_LOW      0x04 TIME_HIGH        (writing sets the clock: HIGH first, then LOW)
    0x08 ALARM_LOW     0x0c ALARM_HIGH       (writing ALARM_LOW arms the alarm)
    0x10 IRQ_ENABLED   0x14 CLEAR_ALARM
    0x18 ALARM_STATUS  0x1c CLEAR_INTERRUPT
When the armed alarm time passes, the alarm fires: ALARM_STATUS drops to 0 and, with
IRQ_ENABLED, the interrupt line stays high until CLEAR_INTERRUPT. The board calls `update`
now and then so an alarm fires without the guest looking.
"""

import time
from collections.abc import Callable

TIME_LOW, TIME_HIGH, ALARM_LOW, ALARM_HIGH = 0x00, 0x04, 0x08, 0x0C
IRQ_ENABLED, CLEAR_ALARM, ALARM_STATUS, CLEAR_INTERRUPT = 0x10, 0x14, 0x18, 0x1C
MASK64 = (1 << 64) - 1


class GoldfishRtc:
    size = 0x1000

    def __init__(self, irq: Callable[[bool], None] | None = None,
                 now_ns: Callable[[], int] = time.time_ns):
        """`irq(level)` drives the interrupt line; `now_ns()` is the host's clock (Unix ns)."""
        self.irq = irq or (lambda level: None)
        self.now_ns = now_ns
        self.offset = 0                   # guest time minus host time
        self.latched_high = 0
        self.alarm = 0
        self.alarm_armed = False
        self.irq_enabled = False
        self.irq_pending = False
        self.set_high = 0                 # a TIME_HIGH write waiting for its TIME_LOW
        self.level = False

    def time(self) -> int:
        """The guest's time: the host's clock moved by what the guest set."""
        return (self.now_ns() + self.offset) & MASK64

    def update(self) -> None:
        """Fire the alarm if its time has passed, and drive the line (the board calls this
        every few ms; the guest's accesses too)."""
        if self.alarm_armed and self.time() >= self.alarm:
            self.alarm_armed = False
            self.irq_pending = True
        level = self.irq_pending and self.irq_enabled
        if level != self.level:
            self.level = level
            self.irq(level)

    def read(self, offset: int, size: int) -> int:
        """Registers are 32-bit; a narrower load sees its bytes of the word, an 8-byte
        load two words (the low one first, as two 32-bit loads would)."""
        self.update()
        if size == 8:
            return self.read_word(offset & ~3) | (self.read_word((offset & ~3) + 4) << 32)
        word = self.read_word(offset & ~3)
        return (word >> (8 * (offset & 3))) & ((1 << (8 * size)) - 1)

    def read_word(self, offset: int) -> int:
        """The 32-bit register at `offset` (reading TIME_LOW latches TIME_HIGH)."""
        if offset == TIME_LOW:
            now = self.time()
            self.latched_high = now >> 32
            return now & 0xFFFFFFFF
        if offset == TIME_HIGH:
            return self.latched_high
        if offset == ALARM_LOW:
            return self.alarm & 0xFFFFFFFF
        if offset == ALARM_HIGH:
            return self.alarm >> 32
        if offset == IRQ_ENABLED:
            return int(self.irq_enabled)
        if offset == ALARM_STATUS:
            return int(self.alarm_armed)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """A store to a register: set the time (HIGH then LOW), arm the alarm (ALARM_LOW), enable
        or clear the interrupt."""
        offset &= ~3
        value &= 0xFFFFFFFF
        if offset == TIME_HIGH:
            self.set_high = value
        elif offset == TIME_LOW:
            wanted = (self.set_high << 32) | value
            self.offset = wanted - self.now_ns()
        elif offset == ALARM_HIGH:
            self.alarm = (value << 32) | (self.alarm & 0xFFFFFFFF)
        elif offset == ALARM_LOW:
            self.alarm = (self.alarm & ~0xFFFFFFFF) | value
            self.alarm_armed = True
        elif offset == IRQ_ENABLED:
            self.irq_enabled = bool(value & 1)
        elif offset == CLEAR_ALARM:
            self.alarm_armed = False
        elif offset == CLEAR_INTERRUPT:
            self.irq_pending = False
        self.update()
