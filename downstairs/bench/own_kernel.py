"""What the kernel costs, in guest instructions (exact: -icount shift=0 on our machine, where
time follows the instruction count and a run is the same every time; QEMU's for comparison).

    downstairs bench --own-kernel [--quick]

- IPC round trip: bench.toml's pinger SENDs to the ponger (a server of higher priority that
  answers with RECV-and-reply), 64 times after 8 to warm up. Counted two ways: from outside,
  on our machine, from the pinger's ecall (which does not retire) to the instruction after it
  in U-mode, i.e. kernel + ponger + kernel, exactly (the machine runs slices of one
  instruction, and an observer sees each); and by the pinger itself with instret around its
  ecall_regs (so including its loads and stores of a0..a7), on our machine and on QEMU.
  The same for a null system call (SEND to KERNEL for K_NOW). One round trip is also split
  into its parts: the compiler's trap entry, the kernel's handler, the switch to the other task
  (task.switch_to), the trap exit (trap_return, the registers, sret), and the server's own code
  between its ecalls; and by function.
- Reset to the app's first output line: system.toml booted on a blank disk, with our firmware
  and with OpenSBI's fw_dynamic; the count when the UART prints the app's first line, and where
  the kernel starts and first enters U-mode (--trace-stages' records).
- The kernel's size: the lines of its subset modules (boot.py and what it imports).
"""

import bisect
import io
import pathlib
import re
import statistics
import subprocess
import tempfile

from downstairs.kernel.build import DEFAULT_TABLE, HERE, build

BENCH_TABLE = HERE / "bench.toml"
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
FIRST_LINE = b"app: hello from U-mode\n"
ECALL = 0x00000073
WARM, ROUNDS = 8, 64
PINGER_LINE = re.compile(rb"ipc round trip (\d+) instructions, null system call (\d+)")


def machine_for(firmware: str, image: pathlib.Path, disk: pathlib.Path | None, output):
    """Our machine booting `image` on `firmware` under -icount shift=0, with `disk` in the first
    virtio slot if given; its console bytes go to `output`."""
    from downstairs.machine import boards, engine
    from downstairs.machine.drives import virtio_devices

    drives = [f"file={disk},format=raw,if=none,id=d0"] if disk else []
    devices = ["virtio-blk-device,drive=d0"] if disk else []
    config = boards.BootConfig(bios=firmware, kernel=str(image), icount=0,
                               virtio=virtio_devices(drives, devices))
    return boards.build(config, engine.load("auto"), output)


def ecall_address(elf: pathlib.Path, function: str = "pinger.call") -> int:
    """The address of the (first) ecall in a task's `function` (the pinger's call())."""
    from downstairs.machine.loader import load_image

    image = load_image(str(elf), 0, 1 << 30)
    start = image.symbol(function)
    for address, data, _ in image.segments:
        for at in range(start - address, len(data) - 3, 2):
            if int.from_bytes(data[at:at + 4], "little") == ECALL:
                return address + at
    raise RuntimeError(f"no ecall in {function} of {elf}")


PARTS = ["trap in", "kernel", "switch", "trap out", "server"]
SWITCH = {"enter", "switch_to"}     # task.enter, task.switch_to: the address space, then trap_return(frame)
TRAP_CODE = {"__supervisor_trap", "__trap_return"}      # the compiler's routines


class Parts:
    """Where the instructions of one traced round trip go: `counts[call][part]` for its two
    calls (the pinger's SEND, then the ponger's RECV with the reply), the server's own code a
    part of the call it ends; and by function. `kernel` and `tasks` are {address: name}."""

    def __init__(self, kernel: dict, tasks: dict):
        self.names = sorted({**kernel, **tasks}.items())
        self.counts = [dict.fromkeys(PARTS, 0)]
        self.in_kernel = False          # since the trap: the handler has run (the entry's code is then its exit)
        self.functions: dict[str, int] = {}

    def name(self, pc: int) -> str:
        k = bisect.bisect_right(self.names, (pc, "\xff")) - 1
        return self.names[k][1] if k >= 0 else "?"

    def step(self, pc: int, priv: int) -> None:
        """The instruction at `pc` retired in mode `priv`."""
        name = self.name(pc)
        self.functions[name] = self.functions.get(name, 0) + 1
        if priv == 0:
            if self.in_kernel:
                self.counts.append(dict.fromkeys(PARTS, 0))
            self.in_kernel = False
            part = "server"
        elif name == "__trap_return" or (name in TRAP_CODE and self.in_kernel):
            part = "trap out"
        elif name in TRAP_CODE:
            part = "trap in"
        else:
            self.in_kernel = True
            part = "switch" if name in SWITCH else "kernel"
        self.counts[-1][part] += 1


def round_trips(firmware: str, traced: int = WARM) -> tuple[list[int], bytes, Parts]:
    """Every call the pinger makes in pinger.call(), counted from outside (instructions
    from its ecall to its return): WARM + ROUNDS round trips, as many null calls, then its print;
    the console output; and round trip number `traced`, instruction by instruction."""
    from downstairs.machine.loader import load_image

    system = build(BENCH_TABLE)
    ecall = ecall_address(system.folder / "tasks" / "pinger.elf")
    out = bytearray()
    m = machine_for(firmware, system.image, None, out.extend)
    counts, start = [], None
    tasks = {}
    for name in ("ponger", "pinger"):
        tasks.update(load_image(str(system.folder / "tasks" / f"{name}.elf"), 0, 1 << 30).symbols)
    parts = Parts(load_image(str(system.elf), 0, 1 << 30).symbols, tasks)

    class EcallWatch:
        """The machine's observer, told of every instruction (slices of one): where the
        pinger's ecall went."""

        def __init__(self):
            self.pending = None             # (pc, mode) of the instruction the hart was about to run

        def after_slice(self, index, hart, retired):
            """Start counting when the pinger's ecall trapped into S-mode (it does not retire);
            stop when U-mode is back right after it."""
            nonlocal start
            if start is not None and len(counts) == traced and retired:
                parts.step(*self.pending)
            if self.pending == (ecall, 0) and hart.priv == 1:
                start = m.instructions
            elif start is not None and hart.priv == 0 and hart.pc == ecall + 4:
                counts.append(m.instructions - start)
                start = None
            self.pending = (hart.pc, hart.priv)

        def console_output(self, data):
            """Console bytes: nothing to watch there."""

    m.slice = 1                             # every instruction seen: the counts are exact
    m.observe(EcallWatch())
    try:
        m.run()
    finally:
        m.close()
    return counts, bytes(out), parts


def qemu_pinger(firmware: str) -> bytes:
    """The bench system's console output on QEMU (-icount shift=0): the pinger's own counts."""
    system = build(BENCH_TABLE)
    run = subprocess.run(["qemu-system-riscv64", "-M", "virt", "-bios", firmware, "-kernel", str(system.image),
                          "-nographic", "-icount", "shift=0"], stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=120)
    return run.stdout


def first_line(firmware: str) -> dict:
    """Instructions from reset to the kernel's entry, to the first U-mode instruction and to
    the app's first line on the UART (a blank disk)."""
    system = build(DEFAULT_TABLE)
    with tempfile.TemporaryDirectory() as folder:
        disk = pathlib.Path(folder) / "disk.img"
        disk.write_bytes(bytes(1 << 20))
        stages, line, total = traced_boot(firmware, system.image, disk)
    found = {name.split(" ")[0]: count for name, _, _, _, count in stages}
    return {"kernel": found.get("kernel"), "user": found.get("first"), "line": line, "total": total}

def traced_boot(firmware: str, image, disk: pathlib.Path | None) -> tuple[list, int | None, int]:
    """Boot `image` (-kernel) on `firmware` with `disk` under the stage tracer, on our machine:
    the tracer's stages, the count when the app's first line was printed (None: never), and
    the instructions in all."""
    from downstairs.machine.stages import StageTracer

    out = bytearray()
    seen = {}

    def output(data: bytes) -> None:
        """Console bytes: keep them, and note the instruction count when the app's line appears."""
        out.extend(data)
        if "line" not in seen and FIRST_LINE in out:
            seen["line"] = m.executed()

    m = machine_for(firmware, image, disk, output)
    tracer = StageTracer(m, io.StringIO())
    tracer.attach()                           # it sees the console output too (observe)
    try:
        m.run()
    finally:
        m.close()
    return tracer.stages, seen.get("line"), m.instructions


def kernel_lines() -> tuple[int, int]:
    """(lines, lines of code) of the kernel's subset modules: without blank lines, comments and
    docstrings for the second."""
    from downstairs.compiler.modules import load_program

    total = code = 0
    for module in load_program(str(HERE / "boot.py"), [str(HERE)]):
        lines = module.source.splitlines()
        total += len(lines)
        skip = set()
        import ast
        for node in ast.walk(module.tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                skip.update(range(body[0].lineno, body[0].end_lineno + 1))
        code += sum(1 for n, line in enumerate(lines, 1)
                    if n not in skip and line.strip() and not line.strip().startswith("#"))
    return total, code


def print_parts(parts: Parts) -> None:
    """The traced round trip by part and by function."""
    send, reply = parts.counts[0], parts.counts[-1]
    print(f"  one round trip by part:        {'SEND':>6} {'RECV+reply':>11} {'total':>6}")
    for part in PARTS:
        a, b = send[part], reply[part] if len(parts.counts) > 1 else 0
        print(f"    {part:27} {a:6} {b:11} {a + b:6}")
    print("  ... by function: " + ", ".join(f"{name} {count}" for name, count in
                                         sorted(parts.functions.items(), key=lambda item: -item[1])))


def run(quick: bool = False) -> int:
    """Measure and print the three parts above; `quick`: our firmware only (no OpenSBI boots)."""
    from downstairs.firmware.build import build as build_firmware

    ours = str(build_firmware().binary)
    counts, output, parts = round_trips(ours)
    ipc, null = counts[WARM:WARM + ROUNDS], counts[2 * WARM + ROUNDS:2 * (WARM + ROUNDS)]   # then its print
    print("IPC (instructions, exact, our machine):")
    print(f"  round trip, pinger's ecall to its return: {statistics.median(ipc)} "
          f"(min {min(ipc)}, max {max(ipc)}; goal <= 300)")
    print_parts(parts)
    print(f"  null system call (SEND to KERNEL, K_NOW): {statistics.median(null)}")
    mine = PINGER_LINE.search(output)
    qemu = PINGER_LINE.search(qemu_pinger(ours))
    print(f"  the pinger's own count with instret around its ecall_regs: our machine "
          f"{mine.group(1).decode()} / {mine.group(2).decode()}, QEMU -icount shift=0 "
          f"{qemu.group(1).decode() if qemu else '?'} / {qemu.group(2).decode() if qemu else '?'}")
    print("Reset to the app's first line (instructions, -icount shift=0, blank disk):")
    for name, firmware in [("our firmware", ours)] + ([] if quick else [("OpenSBI fw_dynamic", OPENSBI)]):
        r = first_line(firmware)
        print(f"  {name:20} kernel entry {r['kernel']:>10,}  first U-mode {r['user']:>10,}  "
              f"app's first line {r['line']:>10,}  (kernel to line {r['line'] - r['kernel']:,}; "
              f"goal <= 200,000 from reset)")
    total, code = kernel_lines()
    print(f"The kernel: {total} lines in its subset modules, {code} without blank lines, comments and "
          f"docstrings (goal about 2,000; xv6 6,468, Hubris 5,782)")
    return 0

