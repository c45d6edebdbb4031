"""`downstairs kernel`: our own kernel and its tasks, built by our compiler from a task table and
cached.

    downstairs kernel build [TABLE]        compile the kernel and the tasks (cached: a second run
                                           is instant) and print where the image went
    downstairs kernel path [TABLE] [--elf] print the image for -kernel (the kernel's ELF with
                                           --elf), building it first if needed

TABLE is a task table (TOML); the default is downstairs/kernel/system.toml. Boot the image on SBI
firmware, on our machine or on QEMU, with a disk for its store:

    downstairs run -M virt -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \\
        -kernel "$(downstairs kernel path)" -drive file=disk.img,format=raw,if=none,id=d0 \\
        -device virtio-blk-device,drive=d0 -nographic

Exit status: 0, or 2 with one line on stderr for a bad table or a task that does not compile.
"""

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("kernel", help="our own kernel and its tasks, built by our compiler",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=lambda args: no_action(p))
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    q = sub.add_parser("build", help="compile the kernel and the tasks of a task table into the cache",
                       description="Compile the kernel and every task of the task table (default: "
                                   "downstairs/kernel/system.toml) into the cache, keyed by the table, the "
                                   "sources and the compiler, and print the image and its layout.")
    q.add_argument("table", nargs="?", help="the task table (TOML)")
    q.set_defaults(func=build)
    q = sub.add_parser("path", help="print the image for -kernel (built if needed)",
                       description="Print the path of the system's image for -kernel, building it first "
                                   "if needed; --elf prints the kernel's ELF (symbols for gdb) instead.")
    q.add_argument("table", nargs="?", help="the task table (TOML)")
    q.add_argument("--elf", action="store_true", help="the kernel's ELF beside the image")
    q.set_defaults(func=path)


def no_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def built(args: argparse.Namespace):
    from downstairs.kernel.build import DEFAULT_TABLE, build as build_system

    return build_system(args.table or DEFAULT_TABLE)


def build(args: argparse.Namespace) -> int:
    system = built(args)
    print(f"{system.image}{' (cached)' if system.cached else ''}")
    print(system.layout.read_text(), end="")
    return 0


def path(args: argparse.Namespace) -> int:
    system = built(args)
    print(system.elf if args.elf else system.image)
    return 0
