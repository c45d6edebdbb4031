"""`downstairs firmware`: our own SBI firmware, built by our compiler and cached.

    downstairs firmware build            compile it (cached: a second run is instant)
    downstairs firmware path [--elf]     print the .bin for -bios (the .elf with --elf),
                                         building it first if needed

Boot it like OpenSBI, on our machine or QEMU:

    downstairs run -M virt -m 128M -nographic -bios "$(downstairs firmware path)" \\
        -kernel "$(downstairs guest path linux-tiny)" -append console=ttyS0
"""

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("firmware", help="our own SBI firmware (M-mode), built by our compiler",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=lambda args: no_action(p))
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    q = sub.add_parser("build", help="compile the firmware into the cache and print its paths",
                       description="Compile downstairs/firmware/boot.py into the cache (keyed by the "
                                   "firmware's and the compiler's sources) and print the .bin and .elf.")
    q.set_defaults(func=build)
    q = sub.add_parser("path", help="print the firmware's .bin (built if needed)",
                       description="Print the path of the flat firmware image for -bios, building "
                                   "it first if needed; --elf prints the ELF with symbols instead.")
    q.add_argument("--elf", action="store_true", help="the ELF beside it (symbols for traces and gdb)")
    q.set_defaults(func=path)


def no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def build(args: argparse.Namespace) -> int:
    from downstairs.firmware.build import build as build_firmware

    built = build_firmware()
    note = " (cached)" if built.cached else ""
    print(f"{built.binary}{note}\n{built.elf}{note}")
    return 0


def path(args: argparse.Namespace) -> int:
    from downstairs.firmware.build import build as build_firmware

    built = build_firmware()
    print(built.elf if args.elf else built.binary)
    return 0
