"""`downstairs bench`: every benchmark of the stack, each against its peer in the same run.

    downstairs bench                  C programs on our machine (both engines) and on QEMU
    downstairs bench --firmware       Debian's OpenSBI + U-Boot to the prompt and out, against QEMU
    downstairs bench --own-firmware   our SBI firmware against OpenSBI, on both machines
    downstairs bench --own-kernel     our kernel's IPC round trip and boot, in guest instructions
    downstairs bench --image          system images: sizes, build times, reset to the first task
    downstairs bench --sandbox        microseconds per system call the sandbox serves, vs native
    downstairs bench --linux          Linux 6.1 booted to its init's marker, against QEMU
    downstairs bench --compiler       our compiler's code against gcc -O2, in guest instructions
    downstairs bench --vm             the KVM microVM booting Linux, against QEMU's microvm

Times are wall clock, the best (programs) or the median (boots) of several runs taken
alternately, so both sides see the same load; ratios are ours over the peer's measured in the
same run. Nothing here is a pass/fail test: it measures. Exit status 0, or 1 when a run failed
(or, for --compiler, when our code takes more than twice gcc's instructions).
"""

import argparse

from downstairs.errors import UsageError
from downstairs.host import decimal

ROUNDS = {"firmware": 3, "own-firmware": 5, "linux": 5, "vm": 3}   # boots when --rounds is not given
REPEAT = {"programs": 3, "sandbox": 5}                              # runs when --repeat is not given


def register(subparsers) -> None:
    """The `bench` subcommand and its options."""
    from downstairs.bench.programs import PROGRAMS

    p = subparsers.add_parser("bench", help="measure each layer against its peer (QEMU, gcc)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--firmware", action="store_true", help="OpenSBI + U-Boot to the prompt, against QEMU")
    which.add_argument("--own-firmware", action="store_true",
                       help="our firmware (downstairs/firmware) against OpenSBI: instructions, boot time, size")
    which.add_argument("--own-kernel", action="store_true",
                       help="our kernel (downstairs/kernel): IPC and boot in guest instructions, its size")
    which.add_argument("--image", action="store_true",
                       help="system images (downstairs/image): sizes, build times, reset to the first task")
    which.add_argument("--sandbox", action="store_true",
                       help="the sandbox: us per served system call against native and gVisor, commands")
    which.add_argument("--linux", action="store_true", help="Linux to its init's marker, against QEMU")
    which.add_argument("--compiler", action="store_true", help="our compiled code against gcc -O2")
    which.add_argument("--vm", action="store_true", help="the microVM against qemu-system-x86_64 -M microvm")
    p.add_argument("--programs", default=",".join(PROGRAMS),
                   help=f"the C programs, comma-separated (default: {','.join(PROGRAMS)})")
    p.add_argument("--no-reference", action="store_true", help="C programs: skip the plain-Python engine")
    p.add_argument("--repeat", default=None, metavar="N",
                   help="C programs and --sandbox: runs per measurement, the best counts (default 3; 5)")
    p.add_argument("--calls", default="20000", metavar="N",
                   help="--sandbox: getppid calls per timed loop (default 20000)")
    p.add_argument("--quick", action="store_true",
                   help="--own-kernel, --image: our firmware only, no OpenSBI boots (--image: no Linux)")
    p.add_argument("--rounds", default=None, metavar="N",
                   help="boots per emulator (default: 3, or 5 with --linux and --own-firmware)")
    p.add_argument("--kernel", choices=["bzImage", "vmlinux"], default="bzImage",
                   help="--vm: boot the bzImage or the vmlinux (PVH) form of the kernel")
    p.set_defaults(func=main)


def count(option: str, text: str | None, default: int) -> int:
    """A count option's value: a whole number, at least 1."""
    if text is None:
        return default
    number = decimal(text.strip())
    if number is None or number < 1:
        raise UsageError(f"{option} {text!r}: give a whole number of at least 1")
    return number


def main(args: argparse.Namespace) -> int:
    """`downstairs bench`: check the counts, then run the benchmark asked for; its status."""
    from downstairs.machine import engine

    kind = ("firmware" if args.firmware else "own-firmware" if args.own_firmware
            else "own-kernel" if args.own_kernel else "image" if args.image else "sandbox" if args.sandbox else "linux" if args.linux
            else "compiler" if args.compiler else "vm" if args.vm else "programs")
    repeat = count("--repeat", args.repeat, REPEAT.get(kind, 3))
    rounds = count("--rounds", args.rounds, ROUNDS.get(kind, 3))
    calls = count("--calls", args.calls, 20000)
    if kind == "sandbox":
        from downstairs.bench import sandbox
        return sandbox.run(max(calls, 11), repeat)      # per call = (N calls - 10 calls) / (N - 10)
    if kind == "compiler":
        from downstairs.bench import compiler
        return compiler.main()
    if kind == "vm":
        from downstairs.bench import vm
        return vm.main(rounds, args.kernel)
    if not engine.compiled_available():
        raise UsageError("the compiled engine is not built: pip install . first")
    from downstairs.bench import process
    process.compile_bytecode()          # as installed: every boot below times our start-up
    if kind == "own-kernel":
        from downstairs.bench import own_kernel
        return own_kernel.run(args.quick)
    if kind == "image":
        from downstairs.bench import image
        return image.run(args.quick)
    if kind == "own-firmware":
        from downstairs.bench import own_firmware
        for line in own_firmware.report(rounds):
            print(line, flush=True)
        return 0
    if kind == "linux":
        from downstairs.bench import linux
        print("\n".join(linux.report(rounds)))
        return 0
    if kind == "firmware":
        from downstairs.bench import firmware
        try:
            import pexpect  # noqa: F401 (drives both emulators through a pty)
        except ImportError:
            raise UsageError("--firmware needs pexpect (pip install -e '.[test]')") from None
        print("\n".join(firmware.report(firmware.firmware(rounds))))
        return 0
    from downstairs.bench import programs
    return programs.run(programs.check_programs(args.programs), repeat, not args.no_reference)
