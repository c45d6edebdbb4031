"""Watching a run: how --trace-stages, --trace-file and --explain hear what the machine does.

Four sources, each silent until a watcher asks:
  - the core (core/trap.py, core/csr.py): with `hart.observing` set, every trap taken, every
    mret/sret and every CSR write calls `hart.observer` (an int test when nobody watches);
  - the bus (devices/bus.py): every device read and write, once `bus.observe` is set;
  - the board (machine.py): after each slice, and every byte the console prints;
  - the stage detector (stages.py): the firmware, the kernel, code outside the images.

`Watchers` is that observer: it stamps each event with the instruction count (all harts,
Machine.executed) and hands it to each watcher (trace.Timeline, explain.Narrator), all of
which take the same calls: trap, xret, csr_write, device_access, stage, console_output,
after_slice, finish.
"""

from downstairs.machine.stages import StageTracer


class Watchers:
    def __init__(self, machine, watchers: list):
        """Forward `machine`'s events to `watchers`."""
        self.machine = machine
        self.watchers = watchers

    def trap(self, hart, cause: int, tval: int, was: int) -> None:
        now = self.machine.executed()
        for w in self.watchers:
            w.trap(hart, cause, tval, was, now)

    def xret(self, hart, was: int) -> None:
        now = self.machine.executed()
        for w in self.watchers:
            w.xret(hart, was, now)

    def csr_write(self, hart, number: int, value: int) -> None:
        now = self.machine.executed()
        for w in self.watchers:
            w.csr_write(hart, number, value, now)

    def device_access(self, window, kind: str, address: int, size: int, value: int) -> None:
        now = self.machine.executed()
        for w in self.watchers:
            w.device_access(window, kind, address, size, value, now)

    def stage(self, name: str, count: int, hart, where: str) -> None:
        for w in self.watchers:
            w.stage(name, hart, where, count)

    def finish(self) -> None:
        now = self.machine.executed()
        for w in self.watchers:
            w.finish(now)


class BoardEvents:
    """The board's observer (Machine.observe): slices and console output, to the stage
    detector and the watchers."""

    def __init__(self, stages: StageTracer, watchers: Watchers):
        self.stages = stages
        self.watchers = watchers

    def after_slice(self, index: int, hart, retired: int) -> None:
        self.stages.after_slice(index, hart, retired)
        now = self.watchers.machine.executed()
        for w in self.watchers.watchers:
            w.after_slice(hart, now)

    def console_output(self, data: bytes) -> None:
        self.stages.console_output(data)
        now = self.watchers.machine.executed()
        for w in self.watchers.watchers:
            w.console_output(data, now)


def start(machine, stage_lines, watchers: list) -> tuple[StageTracer, Watchers]:
    """Start watching `machine`: the stage detector (printing its lines to `stage_lines`, or
    silent if None) and `watchers`, who hear every event above. Returns both, for finish."""
    hub = Watchers(machine, watchers)
    stages = StageTracer(machine, stage_lines, [hub] if watchers else [])
    stages.attach(exact=stage_lines is not None)
    if watchers:
        for hart in machine.harts:
            hart.observer = hub
            hart.observing = 1
        machine.bus.observe(hub)
    machine.observe(BoardEvents(stages, hub))
    return stages, hub
