"""What the kernel costs, in guest instructions (exact: -icount shift=0 on our machine, where
time follows the instruction count and a run is the same every time; QEMU's for comparison).

    python3 -m downstairs.kernel.bench [--quick]

- IPC round trip: bench.toml's pinger SENDs to the ponger (a server of higher priority that
  answers with RECV-and-reply), 64 times after 8 to warm up. Counted two ways: from outside,
  on our machine, from the pinger's ecall (which does not retire) to the instruction after it
  in U-mode, i.e. kernel + ponger + kernel, exactly (the machine runs slices of one
  instruction, and an observer sees each); and by the pinger itself with instret around its ecall
  helper (so including the helper's own loads and stores), on our machine and on QEMU.
  The same for a null system call (SEND to KERNEL for K_NOW). One round trip is also
  followed instruction by instruction (the machine's slice of 1) and split into its parts: the
  compiler's trap entry, the kernel's handler, the switch to the other task (trap.enter), the
  trap exit (trap_return, the registers, sret), and the server's own code between its ecalls.
- Reset to the app's first output line: system.toml booted on a blank disk, with our firmware
  and with OpenSBI's fw_dynamic; the count when the UART prints the app's first line, and where
  the kernel starts and first enters U-mode (--trace-stages' records).
- The kernel's size: the lines of its subset modules (boot.py and what it imports).
"""

import argparse
import bisect
import io
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

from downstairs.kernel.build import DEFAULT_TABLE, HERE, build

BENCH_TABLE = HERE / "bench.toml"
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
FIRST_LINE = b"app: hello from U-mode\n"
ECALL = 0x00000073
WARM, ROUNDS = 8, 64
PINGER_LINE = re.compile(rb"ipc round trip (\d+) instructions, null system call (\d+)")


def machine_for(firmware: str, image: pathlib.Path, disk: pathlib.Path | None, output):
    from downstairs.machine import boards, engine
    from downstairs.machine.drives import virtio_devices

    drives = [f"file={disk},format=raw,if=none,id=d0"] if disk else []
    devices = ["virtio-blk-device,drive=d0"] if disk else []
    config = boards.BootConfig(bios=firmware, kernel=str(image), icount=0,
                               virtio=virtio_devices(drives, devices))
    return boards.build(config, engine.load("auto"), output, None)


def ecall_address(elf: pathlib.Path) -> int:
    """The address of the ecall in a task's __ecall_regs routine."""
    from downstairs.machine.loader import load_image

    image = load_image(str(elf), 0)
    start = image.symbol("__ecall_regs")
    for address, data, _ in image.segments:
        for at in range(start - address, len(data) - 3, 2):
            if int.from_bytes(data[at:at + 4], "little") == ECALL:
                return address + at
    raise RuntimeError(f"no ecall in __ecall_regs of {elf}")


PARTS = ["trap in", "kernel", "switch", "trap out", "server"]
SWITCH = {"enter"}                  # trap.enter: the address space and trap_return(frame)


class Parts:
    """Where the instructions of one traced call go: `counts[call][part]` for the calls the
    pinger's round trip makes (its SEND, then the ponger's RECV with the reply), with the
    server's own code as a part of the call it ends. `kernel` and `tasks` are {address: name}."""

    def __init__(self, kernel: dict, tasks: dict):
        self.names = sorted({**kernel, **tasks}.items())
        self.trap = {a for a, n in kernel.items() if n in ("__supervisor_trap", "__trap_return")}
        self.counts = [dict.fromkeys(PARTS, 0)]
        self.in_kernel = False          # since the trap: the handler has run (so the entry's code is its exit)
        self.functions: dict[str, int] = {}

    def name(self, pc: int) -> str:
        k = bisect.bisect_right(self.names, (pc, "\xff")) - 1
        return self.names[k][1] if k >= 0 else "?"

    def step(self, pc: int, priv: int) -> None:
        """The instruction at `pc` retires in mode `priv`."""
        name = self.name(pc)
        self.functions[name] = self.functions.get(name, 0) + 1
        if priv == 0:
            if self.in_kernel:
                self.counts.append(dict.fromkeys(PARTS, 0))
            self.in_kernel = False
            part = "server"
        elif name == "__trap_return":
            part = "trap out"
        elif name == "__supervisor_trap":
            part = "trap out" if self.in_kernel else "trap in"
        else:
            self.in_kernel = True
            part = "switch" if name in SWITCH else "kernel"
        self.counts[-1][part] += 1


def round_trips(firmware: str, traced: int = WARM) -> tuple[list[int], bytes, Parts]:
    """Every call the pinger makes through its ecall helper, counted from outside (instructions
    from its ecall to its return): WARM + ROUNDS round trips, as many null calls, then its print;
    the console output; and round trip number `traced`, instruction by instruction."""
    from downstairs.machine.loader import load_image

    system = build(BENCH_TABLE)
    ecall = ecall_address(system.folder / "tasks" / "pinger.elf")
    out = bytearray()
    m = machine_for(firmware, system.image, None, out.extend)
    counts, start, pending = [], None, None
    tasks = {}
    for name in ("ponger", "pinger"):
        tasks.update(load_image(str(system.folder / "tasks" / f"{name}.elf"), 0).symbols)
    parts = Parts(load_image(str(system.elf), 0).symbols, tasks)

    def after(index, hart, retired):
        nonlocal start, pending
        if start is not None and len(counts) == traced and retired:
            parts.step(*pending)                # the one instruction of this slice retired
        if pending == (ecall, 0) and hart.priv == 1:
            start = m.instructions              # the ecall trapped (it does not retire)
        elif start is not None and hart.priv == 0 and hart.pc == ecall + 4:
            counts.append(m.instructions - start)
            start = None
        pending = (hart.pc, hart.priv)

    m.slice = 1                                 # every instruction seen: the counts are exact
    m.observer = after
    try:
        m.run()
    finally:
        m.close()
    return counts, bytes(out), parts


def qemu_pinger(firmware: str) -> bytes:
    system = build(BENCH_TABLE)
    run = subprocess.run(["qemu-system-riscv64", "-M", "virt", "-bios", firmware, "-kernel", str(system.image),
                          "-nographic", "-icount", "shift=0"], stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=120)
    return run.stdout


def first_line(firmware: str) -> dict:
    """Instructions from reset to the kernel's entry, to the first U-mode instruction and to
    the app's first line on the UART (a blank disk)."""
    from downstairs.machine.stages import StageTracer

    system = build(DEFAULT_TABLE)
    with tempfile.TemporaryDirectory() as folder:
        disk = pathlib.Path(folder) / "disk.img"
        disk.write_bytes(bytes(1 << 20))
        out = bytearray()
        seen = {}

        def output(data: bytes) -> None:
            out.extend(data)
            if "line" not in seen and FIRST_LINE in out:
                seen["line"] = m.executed()

        m = machine_for(firmware, system.image, disk, output)
        tracer = StageTracer(m, io.StringIO())
        tracer.attach()
        m.uart.output = tracer_output(tracer, output)
        try:
            m.run()
        finally:
            m.close()
    stages = {name.split(" ")[0]: count for name, _, _, _, count in tracer.stages}
    return {"kernel": stages.get("kernel"), "user": stages.get("first"), "line": seen.get("line"),
            "total": m.instructions}


def tracer_output(tracer, output):
    def both(data: bytes) -> None:
        tracer.console(data)
        output(data)
    return both


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


def print_parts(parts: Parts, functions: bool) -> None:
    """The traced round trip by part: the pinger's SEND (to the ponger's return from its
    ecall), the ponger's own code, its RECV with the reply (to the pinger's return)."""
    send, reply = parts.counts[0], parts.counts[-1]
    print(f"  one round trip by part:        {'SEND':>6} {'RECV+reply':>11} {'total':>6}")
    for part in PARTS:
        a, b = send[part], reply[part] if len(parts.counts) > 1 else 0
        print(f"    {part:27} {a:6} {b:11} {a + b:6}")
    if functions:
        for name, count in sorted(parts.functions.items(), key=lambda item: -item[1]):
            print(f"      {name:30} {count:5}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m downstairs.kernel.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="our firmware only (no OpenSBI boots)")
    parser.add_argument("--functions", action="store_true",
                        help="also the traced round trip's instructions by function")
    args = parser.parse_args(argv)
    from downstairs.firmware.build import build as build_firmware

    ours = str(build_firmware().binary)
    counts, output, parts = round_trips(ours)
    ipc, null = counts[WARM:WARM + ROUNDS], counts[2 * WARM + ROUNDS:2 * (WARM + ROUNDS)]   # then its print
    print("IPC (instructions, exact, our machine):")
    print(f"  round trip, pinger's ecall to its return: {statistics.median(ipc)} "
          f"(min {min(ipc)}, max {max(ipc)}; goal <= 300)")
    print_parts(parts, args.functions)
    print(f"  null system call (SEND to KERNEL, K_NOW): {statistics.median(null)}")
    mine = PINGER_LINE.search(output)
    qemu = PINGER_LINE.search(qemu_pinger(ours))
    print(f"  the pinger's own count with instret around its ecall helper: our machine "
          f"{mine.group(1).decode()} / {mine.group(2).decode()}, QEMU -icount shift=0 "
          f"{qemu.group(1).decode() if qemu else '?'} / {qemu.group(2).decode() if qemu else '?'}")
    print("Reset to the app's first line (instructions, -icount shift=0, blank disk):")
    for name, firmware in [("our firmware", ours)] + ([] if args.quick else [("OpenSBI fw_dynamic", OPENSBI)]):
        r = first_line(firmware)
        print(f"  {name:20} kernel entry {r['kernel']:>10,}  first U-mode {r['user']:>10,}  "
              f"app's first line {r['line']:>10,}  (kernel to line {r['line'] - r['kernel']:,}; "
              f"goal <= 200,000 from reset)")
    total, code = kernel_lines()
    print(f"The kernel: {total} lines in its subset modules, {code} without blank lines, comments and "
          f"docstrings (goal about 2,000; xv6 6,468, Hubris 5,782)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
