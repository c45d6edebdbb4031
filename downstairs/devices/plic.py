"""The PLIC (platform-level interrupt controller), as QEMU's virt board has it.

Follows the RISC-V PLIC specification (riscv-plic-spec 1.0.0) with the sizes QEMU's `virt`
chooses: 96 interrupt sources (source 0 means "none"), priorities 0..7, and two contexts per
hart: context 2h is hart h's M-mode (it drives mip.MEIP), context 2h+1 its S-mode (mip.SEIP).

Register map (offsets from the base, 0xc000000 on virt):
    0x000000 + 4*s           priority of source s (0 = never interrupts)
    0x001000 + 4*w           pending bits of sources 32w..32w+31 (read-only)
    0x002000 + 0x80*c + 4*w  enable bits of context c
    0x200000 + 0x1000*c      priority threshold of context c
    0x200004 + 0x1000*c      claim (read) / complete (write)

Each source has a gateway that turns a device's level into a request (spec chapter 5): a
high level makes the source pending unless a claim for it is in flight; claiming takes the
highest-priority pending, enabled source above the threshold (ties: the lowest id) and
clears its pending bit; completing it lets the gateway forward the level again. A context
asks for an interrupt while any pending source is enabled for it with a priority above its
threshold. Like QEMU, a level that drops clears a pending bit nobody has claimed yet.
"""

SOURCES = 96
PRIORITY_MASK = 7
PENDING_BASE, ENABLE_BASE, CONTEXT_BASE = 0x1000, 0x2000, 0x200000
ENABLE_STRIDE, CONTEXT_STRIDE = 0x80, 0x1000
WORDS = SOURCES // 32
VALID = ((1 << SOURCES) - 1) & ~1        # source 0 does not exist


class Plic:
    size = 0x600000

    def __init__(self, harts: int):
        """A PLIC with an M and an S context for each of `harts` harts, at its reset state."""
        self.contexts = 2 * harts
        self.reset()

    def reset(self) -> None:
        """Every priority, enable and threshold zero; nothing pending or claimed."""
        self.priority = [0] * SOURCES
        self.pending = 0                  # one bit per source
        self.claimed = 0                  # sources whose claim is not completed yet
        self.level = 0                    # the devices' lines as the gateways see them
        self.enable = [0] * self.contexts
        self.threshold = [0] * self.contexts

    # ---- the device side -------------------------------------------------------------

    def set_level(self, source: int, high: bool) -> None:
        """A device's interrupt line at `source` moves: the gateway makes it pending while high
        (unless claimed); a drop clears a pending bit nobody claimed (as QEMU)."""
        bit = 1 << source
        if high:
            self.level |= bit
            if not self.claimed & bit:
                self.pending |= bit
        else:
            self.level &= ~bit
            self.pending &= ~bit

    def line(self, source: int):
        """The `irq(level)` callable a device on `source` is given."""
        return lambda high: self.set_level(source, high)

    # ---- the hart side ---------------------------------------------------------------

    def best(self, context: int) -> int:
        """The source a claim would return now (0: none)."""
        candidates = self.pending & self.enable[context] & VALID
        best, best_priority = 0, self.threshold[context]
        while candidates:
            low = candidates & -candidates
            source = low.bit_length() - 1
            if self.priority[source] > best_priority:
                best, best_priority = source, self.priority[source]
            candidates ^= low
        return best

    def asserted(self, context: int) -> bool:
        """Whether the context's interrupt line (MEIP or SEIP) is high."""
        return self.pending != 0 and self.best(context) != 0

    def claim(self, context: int) -> int:
        """A claim by `context`: the best pending source (0 if none), now claimed and not pending."""
        source = self.best(context)
        if source:
            self.pending &= ~(1 << source)
            self.claimed |= 1 << source
        return source

    def complete(self, context: int, source: int) -> None:
        # The spec ignores a completion for a source not enabled for the context.
        """A completion: the gateway forwards `source`'s level again (ignored unless enabled for
        the context)."""
        if not 0 < source < SOURCES or not self.enable[context] >> source & 1:
            return
        bit = 1 << source
        self.claimed &= ~bit
        if self.level & bit:
            self.pending |= bit

    # ---- registers (32-bit; other sizes see the 32-bit word they fall in) -----------------

    def read(self, offset: int, size: int) -> int:
        """A load of any size: the bytes of the 32-bit register they fall in."""
        word = self.read_word(offset & ~3)
        return (word >> (8 * (offset & 3))) & ((1 << (8 * size)) - 1) if size < 4 else word

    def read_word(self, offset: int) -> int:
        """The 32-bit register at an aligned `offset` of the map (a claim read claims); 0 elsewhere."""
        if offset < PENDING_BASE:
            source = offset // 4
            return self.priority[source] if source < SOURCES else 0
        if offset < ENABLE_BASE:
            w = (offset - PENDING_BASE) // 4
            return (self.pending >> (32 * w)) & 0xFFFFFFFF if w < WORDS else 0
        if offset < CONTEXT_BASE:
            context, w = divmod(offset - ENABLE_BASE, ENABLE_STRIDE)
            w //= 4
            if context < self.contexts and w < WORDS:
                return (self.enable[context] >> (32 * w)) & 0xFFFFFFFF
            return 0
        context, register = divmod(offset - CONTEXT_BASE, CONTEXT_STRIDE)
        if context >= self.contexts:
            return 0
        if register == 0:
            return self.threshold[context]
        if register == 4:
            return self.claim(context)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """A store: priorities, enables, thresholds, or a completion; narrow stores change only
        their bytes of the word."""
        if size < 4:
            # A narrow store changes only its bytes of the word (a claim read is not replayed).
            shift = 8 * (offset & 3)
            mask = ((1 << (8 * size)) - 1) << shift
            offset &= ~3
            if offset >= CONTEXT_BASE and (offset - CONTEXT_BASE) % CONTEXT_STRIDE == 4:
                old = 0
            else:
                old = self.read_word(offset)
            value = (old & ~mask) | ((value << shift) & mask)
        value &= 0xFFFFFFFF
        if offset < PENDING_BASE:
            source = offset // 4
            if 0 < source < SOURCES:
                self.priority[source] = value & PRIORITY_MASK
        elif offset < ENABLE_BASE:
            return                                      # pending bits are read-only
        elif offset < CONTEXT_BASE:
            context, w = divmod(offset - ENABLE_BASE, ENABLE_STRIDE)
            w //= 4
            if context < self.contexts and w < WORDS:
                mask = 0xFFFFFFFF << (32 * w)
                bits = (value << (32 * w)) & VALID
                self.enable[context] = (self.enable[context] & ~mask) | bits
        else:
            context, register = divmod(offset - CONTEXT_BASE, CONTEXT_STRIDE)
            if context >= self.contexts:
                return
            if register == 0:
                self.threshold[context] = value & PRIORITY_MASK
            elif register == 4:
                self.complete(context, value)
