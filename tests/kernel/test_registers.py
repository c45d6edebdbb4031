"""What a task finds in its registers when the kernel enters it, watched on our machine at every
trap and every sret (the hart stops after each SYSTEM instruction): the system-call ABI
(docs/compiler-language.md, "System calls") keeps ra, sp, gp, tp and s0..s11 exactly; t0..t6
come back as values the task itself held at one of its own traps (or 0, from its start); so
nothing of the kernel's or of another task's ever reaches a task. a0..a7 carry results and
messages, and are not checked. The IPC benchmark's system (a round trip after another, through
the fast path) and the preemption system (timer interrupts: full frames, then system calls)."""

import pytest

from downstairs.bench.own_kernel import BENCH_TABLE, machine_for
from downstairs.kernel.build import build
from downstairs.machine.loader import load_image

from tests.kernel.conftest import SYSTEMS

KEPT = [1, 2, 3, 4, *range(8, 10), *range(18, 28)]          # ra, sp, gp, tp, s0, s1, s2..s11
CLOBBERED = [5, 6, 7, *range(28, 32)]                      # t0..t6
TASK_SIZE = 512
LIMIT = 50_000_000                 # instructions: both systems power off long before


class Watch:
    """The machine's observer: at each trap from U-mode (the entry's first instruction, csrrw sp,
    sscratch, sp, has just run), the task's registers; at each sret into U-mode, the check."""

    def __init__(self, tasks_at: int):
        self.tasks_at = tasks_at
        self.last: dict[int, list] = {}            # task -> its registers at its last trap
        self.seen: dict[int, list] = {}            # task -> per register, every value at its traps
        self.was_user = False
        self.entries = 0
        self.problems = []

    def task(self, frame: int) -> int:
        return (frame - self.tasks_at) // TASK_SIZE

    def after_slice(self, index, hart, retired):
        if hart.priv == 1 and hart.pc == hart.stvec + 4 and self.was_user:
            regs = hart.registers()
            task = self.task(regs[2])
            regs[2] = hart.sscratch                       # the entry swapped sp and sscratch
            self.last[task] = regs
            for r in range(32):
                self.seen.setdefault(task, [{0} for _ in range(32)])[r].add(regs[r])
        elif hart.priv == 0 and not self.was_user:
            self.check(self.task(hart.sscratch), hart.registers())
        self.was_user = hart.priv == 0

    def check(self, task: int, regs: list) -> None:
        self.entries += 1
        if task not in self.last:
            return                                        # its first entry: all zero but sp (task.start)
        for r in KEPT:
            if regs[r] != self.last[task][r]:
                self.problems.append((task, r, hex(regs[r]), hex(self.last[task][r])))
        for r in CLOBBERED:
            if regs[r] not in self.seen[task][r]:
                self.problems.append((task, r, hex(regs[r]), "not the task's own"))

    def console_output(self, data):
        """Console bytes: nothing to watch there."""


@pytest.mark.parametrize("table", [BENCH_TABLE, SYSTEMS / "preempt.toml"], ids=["ipc", "preempt"])
def test_a_task_gets_back_only_its_own_registers(table):
    from downstairs.firmware.build import build as build_firmware

    system = build(table)
    tasks_at = load_image(str(system.elf), 0, 1 << 30).symbol("tasks")
    m = machine_for(str(build_firmware().binary), system.image, None, bytearray().extend)
    watch = Watch(tasks_at)
    for hart in m.harts:
        hart.stop_on_system = 1
    m.observe(watch)
    try:
        status = m.run(limit=LIMIT)
    finally:
        m.close()
    assert watch.problems[:5] == [] and watch.entries > 100 and status == 0
