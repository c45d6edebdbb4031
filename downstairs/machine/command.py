"""`downstairs run`: boot the RISC-V machine, with QEMU's option names and meanings.

    downstairs run -M virt -m 128M -bios none -kernel prog.elf -nographic

runs the same guest as `qemu-system-riscv64` given the same options. The process exits
with the guest's status (sifive_test or HTIF), 2 for bad input, 130 on Ctrl-C, and 128 + N
after SIGTERM, SIGHUP or SIGQUIT, each a shutdown request as QEMU treats SIGTERM and SIGHUP
(QEMU exits 0; a status that says "killed" is more useful to a script, and is what a shell
reports for a process the signal ended). Whichever way the run ends, the disks are synced and
closed and the terminal restored, and a second signal cannot cut that short (host.py).

Disks and the entropy source go in the virt board's virtio-mmio slots (drives.py):
`-drive file=IMG,format=raw,if=virtio[,readonly=on]`, or QEMU's mmio spelling
`-drive file=IMG,format=raw,if=none,id=D -device virtio-blk-device,drive=D`, and
`-device virtio-rng-device`. The transports are virtio-mmio version 2, which QEMU 7.2 gives
with `-global virtio-mmio.force-legacy=false` (its default is the legacy version 1); that
option is accepted here so one command line works on both.

Also as in QEMU: `-machine virt,dumpdtb=FILE` writes the device tree and exits, and
`-icount shift=N` makes time follow the instruction count (2^N ns per instruction), so a
run is the same every time. `--trace-stages` prints each boot stage as it starts.

`--trace-file FILE.json` writes the run as a timeline for Perfetto (trace.py), `--explain`
narrates the boot (explain.py).

`-s` (or `-gdb tcp::PORT`) lets gdb attach over its remote protocol (gdbstub.py), and `-S`
keeps the harts stopped until it says continue: `gdb-multiarch -ex 'target remote :1234'`.

The console is the UART on this terminal, so `-serial stdio`, `-serial mon:stdio` and
`-monitor none`, which QEMU command lines often carry, are taken as saying just that; other
values, and QEMU options this machine lacks, are one-line errors.
"""

import sys

from downstairs.errors import UsageError
from downstairs.machine.options import FLAG, LIST, REFUSED, VALUE, Option

DEFAULT_MEMORY = "128M"
DESCRIPTION = ("Boot the RISC-V RV64 machine. Options mirror qemu-system-riscv64's, in its syntax "
               "(options.py). With no -bios and no -kernel it boots the built-in demo.")

# The options of `run`, QEMU's names where QEMU has them (options.py reads them).
OPTIONS = [
    Option(("-M", "-machine"), "machine", VALUE, default="virt", metavar="BOARD",
           help="board: virt (default) or spike; virt,dumpdtb=FILE writes the device tree to FILE "
                "and exits"),
    Option(("-m",), "memory", VALUE, default=DEFAULT_MEMORY, metavar="SIZE",
           help="RAM size, e.g. 128M or 1G (a bare number is MiB), default 128M"),
    Option(("-bios",), "bios", VALUE, metavar="FILE", help="firmware at 0x80000000, or `none`"),
    Option(("-kernel",), "kernel", VALUE, metavar="FILE", help="kernel or bare-metal program (ELF or raw)"),
    Option(("-append",), "append", VALUE, default="", metavar="STR",
           help="kernel command line (/chosen/bootargs)"),
    Option(("-smp",), "smp", VALUE, default="1", metavar="N",
           help="number of harts, 1 to 8 (QEMU's topology fields are checked against it)"),
    Option(("-cpu",), "cpu", VALUE, metavar="MODEL", help="rv64, the only hart model"),
    Option(("-icount",), "icount", VALUE, metavar="shift=N",
           help="time follows the instruction count: 2^N ns per instruction "
                "(QEMU's -icount shift=N,sleep=off)"),
    Option(("-drive",), "drive", LIST, metavar="OPTIONS",
           help="a raw disk image for a virtio slot: file=IMG,format=raw,if=virtio[,readonly=on] "
                "(or if=none,id=ID with -device virtio-blk-device,drive=ID)"),
    Option(("-device",), "device", LIST, metavar="DEVICE",
           help="virtio-blk-device,drive=ID[,serial=S] or virtio-rng-device, in the next free "
                "virtio-mmio slot (the first at 0x10008000)"),
    Option(("-global",), "globals", LIST, metavar="PROP",
           help="only virtio-mmio.force-legacy=false (this board's transports are always version 2)"),
    Option(("-no-reboot",), "no_reboot", FLAG, default=False,
           help="exit (status 0) when the guest asks for a reset, as QEMU's -no-reboot"),
    Option(("--trace-stages",), "trace_stages", FLAG, default=False,
           help="print each boot stage (ROM, firmware, next stage) to stderr: mode, address, "
                "symbol, instructions"),
    Option(("--trace-file",), "trace_file", VALUE, metavar="FILE.json",
           help="write a timeline (Chrome trace-event JSON, for Perfetto or chrome://tracing): "
                "privilege modes, traps, SBI calls, device accesses, stages; time in instructions "
                "(machine/trace.py)"),
    Option(("--explain",), "explain", FLAG, default=False,
           help="narrate the boot on stderr, a line per stage and first event of each kind, "
                "naming the file that models it (machine/explain.py)"),
    Option(("-s",), "gdb_default", FLAG, default=False, help="shorthand for -gdb tcp::1234"),
    Option(("-S",), "freeze", FLAG, default=False,
           help="do not start the harts: wait for gdb to connect and continue"),
    Option(("-gdb",), "gdb", VALUE, metavar="DEV",
           help="wait for gdb on DEV: tcp::PORT or tcp:HOST:PORT (machine/gdbstub.py)"),
    Option(("-nographic",), "nographic", FLAG, default=False,
           help="serial console on this terminal (the only display there is)"),
    Option(("-serial",), "serial", VALUE, metavar="DEV",
           help="stdio or mon:stdio: the UART is this terminal either way"),
    Option(("-monitor",), "monitor", VALUE, metavar="DEV", help="none: there is no monitor (Ctrl-A x quits)"),
    Option(("--engine",), "engine", VALUE, default="auto", metavar="ENGINE",
           choices=("auto", "compiled", "reference"),
           help="auto, compiled (the Cython-built core, the default when built) or reference "
                "(the plain-Python core)"),
    Option(("--stats",), "stats", FLAG, default=False,
           help="print instructions retired and speed to stderr at exit"),
    # QEMU options this machine lacks, refused by name with the reason.
    Option(("-snapshot",), "", REFUSED, "disks are written in place; readonly=on in -drive keeps one unchanged"),
    Option(("-singlestep",), "", REFUSED, "gdb steps the harts: -s -S"),
    Option(("-semihosting",), "", REFUSED, "a guest reaches the host through the UART, virtio and sifive_test only"),
    Option(("-mem-path",), "", REFUSED, "RAM is this process's memory"),
    Option(("-mem-prealloc",), "", REFUSED, "RAM is this process's memory"),
    Option(("-d",), "", REFUSED, "--trace-stages, --trace-file and --explain show a run; gdb (-s) steps one"),
]


def register(subparsers) -> None:
    """`run` in the list of `downstairs --help`, and nothing more: cli.py hands run's words to
    command() without building a parser (OWN_SYNTAX), so argparse never reads them."""
    subparsers.add_parser("run", help="boot the RISC-V machine (QEMU's options)", add_help=False)


def command(argv: list[str]) -> int:
    """`downstairs run ARGV...`: parse QEMU's syntax (options.py), then boot (main); the help
    when asked for, status 0. Bad input is a UsageError for cli.py to print."""
    from downstairs.machine import options

    values = options.parse(OPTIONS, argv)
    if values is None:
        options.print_help(OPTIONS, "downstairs run", DESCRIPTION)
        return 0
    return main(values)


def parse_size(text: str) -> int:
    """-m: QEMU's size syntax (host.parse_size), from 1 MiB to 16 GiB."""
    from downstairs.host import parse_size as host_size

    size = host_size(text)
    if size < (1 << 20):
        raise UsageError(f"memory size {text!r} is too small: at least 1M")
    if size > (16 << 30):
        raise UsageError(f"memory size {text!r} is too large for this machine (at most 16G)")
    return size


def parse_board(text: str) -> tuple[str, str | None]:
    """`virt` or `spike`, with QEMU's machine options; the one understood is dumpdtb=FILE.
    Returns (board, dumpdtb path or None)."""
    from downstairs.machine.boards import board as check_board

    board, *options = text.split(",")
    check_board(board)
    dumpdtb = None
    for option in options:
        key, _, value = option.partition("=")
        if key == "dumpdtb" and value:
            dumpdtb = value
        else:
            raise UsageError(f"unknown machine option {option!r} (known: dumpdtb=FILE)")
    return board, dumpdtb


def parse_icount(text: str | None) -> int | None:
    """QEMU's `-icount shift=N[,sleep=off]` or plain `-icount N`: N from 0 to 10."""
    if text is None:
        return None
    from downstairs.host import decimal

    shift = None
    for option in text.split(","):
        key, _, value = option.partition("=")
        if not value and decimal(key) is not None:
            key, value = "shift", key
        number = decimal(value)
        if key == "shift" and number is not None and number <= 10:
            shift = number
        elif key == "sleep" and value in ("on", "off"):
            pass                       # time never waits for the host here: always sleep=off
        else:
            raise UsageError(f"invalid -icount {text!r}: use shift=N with N from 0 to 10")
    if shift is None:
        raise UsageError(f"invalid -icount {text!r}: use shift=N with N from 0 to 10")
    return shift


def check_qemu_options(opts: dict) -> None:
    """QEMU options taken only in the forms that describe this machine: -serial and -monitor
    as with -nographic (the UART on the terminal, no monitor); -cpu rv64, the harts' one
    model (docs/board.md says what they have), whose extensions cannot be switched; and
    -append only with -kernel, as QEMU says."""
    serial, monitor, cpu = opts["serial"], opts["monitor"], opts["cpu"]
    if serial is not None and serial not in ("stdio", "mon:stdio"):
        raise UsageError(f"-serial {serial}: the UART is this terminal (give stdio or mon:stdio)")
    if monitor is not None and monitor != "none":
        raise UsageError(f"-monitor {monitor}: there is no monitor (give none; Ctrl-A x quits)")
    if cpu is not None and cpu != "rv64":
        if cpu.split(",")[0] == "rv64":
            raise UsageError(f"-cpu {cpu}: the harts' extensions are fixed (give -cpu rv64, or no -cpu)")
        raise UsageError(f"unable to find CPU model '{cpu.split(',')[0]}' (this machine has rv64)")
    if opts["append"] and not opts["kernel"]:
        raise UsageError("-append only allowed with -kernel option")


SMP_KEYS = ("cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads")


def parse_smp(text: str) -> int:
    """QEMU's -smp [cpus=]N[,maxcpus=M][,sockets=S][,dies=D][,clusters=C][,cores=C][,threads=T]:
    the number of harts, 1 to 8. As on QEMU, a topology given must multiply out to maxcpus
    (or, without N, gives N), and here maxcpus must be N: no hart is plugged in later."""
    import math

    from downstairs.host import decimal

    fields: dict[str, int] = {}
    for index, part in enumerate(text.split(",")):
        key, sep, value = part.partition("=")
        if not sep and index == 0:
            key, value = "cpus", key
        number = decimal(value)
        if key not in SMP_KEYS or key in fields or number is None:
            raise UsageError(f"invalid -smp {text!r}: a number of harts from 1 to 8, then "
                             f"{', '.join(k + '=N' for k in SMP_KEYS[1:])}")
        fields[key] = number
    topology = [fields[k] for k in SMP_KEYS[2:] if k in fields]
    product = math.prod(topology)
    harts = fields.get("cpus", fields.get("maxcpus", product if topology else 1))
    most = fields.get("maxcpus", harts)
    if topology and product != most:
        raise UsageError(f"invalid -smp {text!r}: the topology gives {product} harts, not {most}")
    if most != harts:
        raise UsageError(f"invalid -smp {text!r}: maxcpus must be the number of harts (none is hot-plugged)")
    if not 1 <= harts <= 8:
        raise UsageError(f"invalid -smp {text!r}: a number of harts from 1 to 8")
    return harts


def parse_globals(options: list[str]) -> None:
    """QEMU's -global DRIVER.PROP=VALUE: the one that means something here is the
    virtio-mmio transport version, and only its modern value is implemented."""
    for text in options:
        key, _, value = text.partition("=")
        if key != "virtio-mmio.force-legacy" or value not in ("false", "off", "true", "on"):
            raise UsageError(f"-global {text}: not supported (only virtio-mmio.force-legacy=false)")
        if value in ("true", "on"):
            raise UsageError(f"-global {text}: legacy virtio-mmio (version 1) is not implemented")


def parse_virtio(opts: dict, board: str) -> list:
    """The virtio devices the -drive, -device and -global options ask for (drives.py); only
    the virt board has slots for them."""
    from downstairs.machine.drives import virtio_devices

    from downstairs.machine.boards import board as layout

    parse_globals(opts["globals"])
    if layout(board).VIRTIO_COUNT == 0 and (opts["drive"] or opts["device"]):
        raise UsageError(f"-M {board} has no virtio slots: -drive and -device need -M virt")
    return virtio_devices(opts["drive"], opts["device"])


def main(opts: dict) -> int:
    """`downstairs run`: build the board from QEMU's options, run it with this terminal as its
    console until the guest powers off or a signal or Ctrl-A x ends it; return the status."""
    import gc

    gc.disable()                    # until the machine is built (boot), as in cli.main
    try:
        return boot(opts)
    finally:
        gc.enable()


def boot(opts: dict) -> int:
    """main's work, with the garbage collector off until the machine starts."""
    import gc
    import time

    from downstairs.host import Signals
    from downstairs.machine import boards, engine
    from downstairs.machine.console import Console, OutputClosed, QuitRequested

    board, dumpdtb = parse_board(opts["machine"])
    check_qemu_options(opts)
    config = boards.BootConfig(board=board, ram_size=parse_size(opts["memory"]),
                               bios=opts["bios"], kernel=opts["kernel"], append=opts["append"],
                               harts=parse_smp(opts["smp"]), icount=parse_icount(opts["icount"]),
                               virtio=parse_virtio(opts, board), no_reboot=opts["no_reboot"])
    if dumpdtb:
        return write_dtb(dumpdtb, boards.device_tree_blob(config))
    core = engine.load(opts["engine"])
    machine = None

    def stop(status: int) -> None:
        """A signal: the guest stops at the end of its slice (QEMU's shutdown request); before
        it runs, unwind at once (the terminal is restored on the way out)."""
        if machine is None:
            raise SystemExit(status)
        machine.power_off(status)

    gdb = open_gdb(opts)                          # the port first: a taken one is bad input
    signals = Signals(stop, announce)             # before the terminal goes raw
    console = Console(interactive=True)
    try:
        poll = console.poll if gdb is None else lambda: (console.poll(), gdb.poll())
        machine = boards.build(config, core, console.write, poll)
        console.sink = machine.console.receive
        tracer = watchers = None
        if opts["trace_stages"] or opts["trace_file"] or opts["explain"]:
            tracer, watchers = watch(machine, opts)
        gc.freeze()                 # what start-up made lives as long as the machine: no
        gc.enable()                 # collection needs to look at it again, nor at the exit
        started = time.perf_counter()
        try:
            if gdb is not None:
                gdb.attach(machine, core)
                status = gdb.serve(start_paused=opts["freeze"])
            else:
                status = machine.run()
        except QuitRequested:
            status = 0
        except OutputClosed:
            status = 141                          # 128 + SIGPIPE, what a shell reports for QEMU
        except KeyboardInterrupt:
            console.restore()
            print("\ndownstairs: interrupted", file=sys.stderr)
            status = 130
        signals.ending()
        if tracer is not None:
            console.restore()
            tracer.finish()
            try:
                watchers.finish()
            except OSError as error:              # the timeline's file: a full disk, say
                print(f"downstairs: writing --trace-file failed: {error.strerror}", file=sys.stderr)
                status = status or 1
        if opts["stats"]:
            seconds = time.perf_counter() - started
            print(f"\ndownstairs: {machine.instructions} instructions in {seconds:.3f} s "
                  f"({machine.instructions / max(seconds, 1e-9) / 1e6:.1f} MIPS, {core.name} engine)",
                  file=sys.stderr)
        return status
    finally:
        signals.ending()                          # nothing may cut the teardown short
        console.restore()
        if gdb is not None:
            gdb.close()
        if machine is not None:
            try:
                machine.close()
            except OSError as error:
                print(f"downstairs: syncing a disk failed: {error.strerror}", file=sys.stderr)
                return 1


def watch(machine, opts: dict):
    """--trace-stages, --trace-file and --explain: the stage detector and the watchers
    (observe.py), started before the first instruction."""
    from downstairs.machine import observe

    watchers = []
    path = opts["trace_file"]
    if path:
        from downstairs.machine.trace import Timeline
        try:
            open(path, "w").close()                # a path we cannot write is bad input, now
        except OSError as error:
            raise UsageError(f"--trace-file {path}: {error.strerror}") from None
        watchers.append(Timeline(machine, path, " ".join(sys.argv)))
    if opts["explain"]:
        from downstairs.machine.explain import Narrator
        watchers.append(Narrator(machine, sys.stderr))
    return observe.start(machine, sys.stderr if opts["trace_stages"] else None, watchers)


def open_gdb(opts: dict):
    """-s, -S and -gdb DEV: a listening gdb stub (machine/gdbstub.py), or None. -S alone,
    with nothing to wait for, is refused (QEMU would wait for its monitor)."""
    spec = opts["gdb"] or ("tcp::1234" if opts["gdb_default"] else None)
    if spec is None:
        if opts["freeze"]:
            raise UsageError("-S waits for a debugger: give -s or -gdb tcp::PORT too")
        return None
    from downstairs.machine.gdbstub import GdbServer
    return GdbServer(spec)


def announce(signum: int) -> None:
    """What QEMU says when a signal ends it ("terminating on signal N"); the caller then
    stops the guest and closes the disks."""
    try:
        print(f"\ndownstairs: terminating on signal {signum}", file=sys.stderr)
    except OSError:
        pass                                      # SIGHUP: the terminal may be gone


def write_dtb(path: str, blob: bytes) -> int:
    """-machine virt,dumpdtb=FILE: write the device tree and exit 0, as QEMU does."""
    try:
        with open(path, "wb") as f:
            f.write(blob)
    except OSError as error:
        raise UsageError(f"{path}: cannot write the device tree: {error.strerror}") from None
    print(f"downstairs: dtb dumped to {path}. Exiting.", file=sys.stderr)
    return 0
