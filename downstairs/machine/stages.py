"""Seeing the boot: `--trace-stages` names each stage as the machine enters it.

A boot is a chain of stages: the mask ROM's reset vector, the firmware (-bios, e.g. OpenSBI
in M-mode), the next stage it jumps to (-kernel, e.g. U-Boot or Linux in S-mode), and then
code that runs from RAM no file was loaded into (U-Boot relocates itself to the top of RAM),
the kernel turning its MMU on, and the first instruction in U-mode. For each, one line as it
happens: the hart, the privilege mode, the address, the symbol there (when the image is an
ELF with a symbol table), and how many instructions all harts retired before it. At the end,
a table of instructions per stage (from a stage's entry to the next stage's entry, so a
stage's count includes the SBI calls it makes into the firmware).

How entries are caught exactly, without slowing the machine down: instruction fetches from
the next region to watch go to the bus (state.py's set_fetch_watch: its pages never enter
the fetch TLB), where a small device answers them from RAM. The first fetch it serves is
the entry; then the watch moves on. Loads and stores there stay at full speed. The tracer
also asks the harts to end their run after every SYSTEM instruction (`stop_on_system`), so
privilege drops (mret, sret) and satp writes are seen at the exact instruction. Physical
watches end when the MMU turns on: from then on code addresses are virtual.

Counts are comparable with QEMU's `-icount shift=0` runs when this machine runs with
`-icount shift=0` too (the same instruction stream, since time then advances the same way).
"""

from downstairs.machine.loader import symbolize

MODES = {0: "U", 1: "S", 3: "M"}
MARKERS = (b"Hit any key", b"=> ")           # U-Boot's console milestones


class Watch:
    """RAM in [start, end) served through the bus, noticing the first fetch."""

    def __init__(self, tracer: "StageTracer", name: str, start: int, end: int):
        """A watch over [start, end) of RAM, named for the stage it detects."""
        self.tracer, self.name, self.start, self.end = tracer, name, start, end
        self.size = end - start

    def read(self, offset: int, size: int) -> int:
        """A fetch from the watched region (the only accesses that come here): the first one is
        the stage's entry; answered from RAM."""
        paddr = self.start + offset
        hart = self.tracer.machine.current
        if hart is not None:
            self.tracer.entered(self, hart)
        return int.from_bytes(self.tracer.machine.read_memory(paddr, size), "little")

    def write(self, offset: int, size: int, value: int) -> None:
        """Stores never come here (only fetches are watched), but if they did: plain RAM."""
        self.tracer.machine.write_memory(self.start + offset, value.to_bytes(size, "little"))


class StageTracer:
    def __init__(self, machine, out, listeners=()):
        """A tracer for `machine`, writing its lines to `out` (None: silent); attach() starts
        it. Each of `listeners` (the timeline, the narrator: observe.py) hears of every
        stage through its `stage(name, count, hart)`."""
        self.machine = machine
        self.out = out
        self.listeners = list(listeners)
        self.stages: list[tuple[str, int, int, int, int]] = []   # name, hart, mode, pc, count
        self.watches: list[tuple[str, int, int]] = []
        self.watch: Watch | None = None
        self.mmu_on = False
        self.user = False
        self.symbols = machine.symbols()
        self.sizes = machine.symbol_sizes()
        self.output_tail = b""
        self.markers: list[tuple[str, int]] = []
        self.waiting_lines: list[str] = []        # printed at the console's next newline

    def attach(self, exact: bool = True) -> None:
        """Start watching: the firmware, the kernel, then code outside the images; the machine
        reports slices and console output. `exact`: the harts end each run after a SYSTEM
        instruction, so privilege drops and satp writes are seen at that instruction (the
        timeline and the narrator hear of those from the core itself, and leave the slices be)."""
        m = self.machine
        ram_end = m.ram_base + m.ram_size
        if m.firmware is not None:
            self.watches.append((f"firmware {short(m.firmware.path)}", m.firmware.start, m.firmware.end))
        if m.kernel is not None:
            self.watches.append((f"kernel {short(m.kernel.path)}", m.kernel.start, m.kernel.end))
        images_end = max((image.end for image in m.images), default=m.ram_base)
        if images_end < ram_end:
            self.watches.append(("code outside the loaded images", images_end, ram_end))
        self.record("reset ROM", 0, m.harts[0])
        self.arm_next()
        for hart in m.harts:
            hart.stop_on_system = int(exact)
        m.observe(self)

    # ---- entries ----------------------------------------------------------------------

    def arm_next(self) -> None:
        """Stop watching the current region; watch the next one on the list, if any."""
        m = self.machine
        if self.watch is not None:
            m.bus.unmap(self.watch)
            self.watch = None
        for hart in m.harts:
            hart.set_fetch_watch(0, 0)
        start = end = 0
        while self.watches and start >= end:
            name, start, end = self.watches.pop(0)
            start, end = self.clear_of_devices(start, end)
        if start >= end:
            return
        self.watch = Watch(self, name, start, end)
        m.bus.map(start, self.watch, executable=True)
        for hart in m.harts:
            hart.set_fetch_watch(start, end)

    def clear_of_devices(self, start: int, end: int) -> tuple[int, int]:
        """The part of [start, end) a watch can take: from `start`, up to the first device
        window inside it (HTIF's words in RAM on spike). Empty if a device holds `start`."""
        for window in self.machine.bus.windows:
            if window.base <= start < window.end:
                return start, start
            if start < window.base < end:
                end = window.base
        return start, end

    def entered(self, watch: Watch, hart) -> None:
        """A watched region's first fetch: record the stage and watch the next region."""
        self.record(watch.name, self.machine.executed(), hart)
        self.arm_next()

    def after_slice(self, index: int, hart, retired: int) -> None:
        """After each slice: the MMU's turning on and the first U-mode code are stages too."""
        if not self.mmu_on and hart.satp >> 60:
            self.mmu_on = True
            self.record("MMU on (satp)", self.machine.instructions, hart)
            self.watches.clear()                 # physical watches mean nothing now
            self.arm_next()
        if not self.user and hart.priv == 0:
            self.user = True
            self.record("first U-mode code (init)", self.machine.instructions, hart)

    def record(self, name: str, count: int, hart) -> None:
        """Note a stage entered by `hart` after `count` instructions, and print its line."""
        pc = hart.pc
        where = symbolize(self.symbols, pc, self.sizes)
        if not where and not any(image.start <= pc < image.end for image in self.machine.images):
            where = self.relocated_symbol(pc)
        mode = MODES.get(hart.priv, "?")
        self.stages.append((name, hart.mhartid, hart.priv, pc, count))
        for listener in self.listeners:
            listener.stage(name, count, hart, where)
        if self.out is None:
            return
        self.out.write(f"[stage] {count:>12,} insns  hart {hart.mhartid} {mode}-mode "
                       f"pc {pc:#x}{' <' + where + '>' if where else ''}  {name}\n")
        self.out.flush()

    def relocated_symbol(self, pc: int) -> str:
        """Code copied elsewhere (U-Boot's relocation): find its bytes in a loaded image
        and name the symbol of the original."""
        m = self.machine
        if not m.ram_base <= pc < m.ram_base + m.ram_size - 32:
            return ""
        probe = self.machine.read_memory(pc, 32)
        for image in self.machine.images:
            for addr, data, _ in image.segments:
                at = data.find(probe)
                if at >= 0 and data.find(probe, at + 1) < 0:
                    name = symbolize(self.symbols, addr + at, self.sizes)
                    return f"copy of {name}" if name else f"copy of {addr + at:#x}"
        return ""

    # ---- console milestones -----------------------------------------------------------

    def console_output(self, data: bytes) -> None:
        """Console bytes, after they went to the host: note U-Boot's milestones with the
        instruction count, and print the notes at a line end (not inside the guest's line)."""
        if self.out is None:
            return
        self.output_tail = (self.output_tail + data)[-64:]
        for marker in MARKERS:
            label = marker.decode()
            if marker in self.output_tail and label not in dict(self.markers):
                count = self.machine.executed()
                self.markers.append((label, count))
                self.waiting_lines.append(f"[stage] {count:>12,} insns  console printed {label!r}\n")
        if self.waiting_lines and b"\n" in data:
            self.out.write("".join(self.waiting_lines))
            self.out.flush()
            self.waiting_lines.clear()

    # ---- the table ------------------------------------------------------------------

    def finish(self) -> None:
        """Print the lines still waiting and the table of instructions per stage."""
        if self.out is None:
            return
        self.out.write("".join(self.waiting_lines))
        total = self.machine.instructions
        self.out.write(f"[stage] summary ({total:,} instructions in all):\n")
        for i, (name, hart, priv, pc, count) in enumerate(self.stages):
            end = self.stages[i + 1][4] if i + 1 < len(self.stages) else total
            self.out.write(f"[stage]   {end - count:>12,}  {MODES.get(priv, '?')}-mode  "
                           f"{pc:#012x}  {name}\n")
        self.out.flush()


def short(path: str) -> str:
    """A path's last component, for a stage's name."""
    return path.rsplit("/", 1)[-1]
