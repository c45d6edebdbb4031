"""`downstairs compile FILE.py -o OUT.elf`: the compiler's command line (docs/compiler.md).

--emit asm prints the assembly with the Python source lines as comments; --emit bin writes a
flat binary (the memory image from --base); --emit elf (the default) an ELF executable.
--run-host runs the program under CPython on a model of the board instead (cpython.py): the
output and exit status the compiled program has on a machine.
"""

import os
import sys

from downstairs.errors import UsageError


def parse_int(text: str, option: str = "", alignment: int = 1) -> int:
    """A number in Python's syntax (0x..., 0b...), from 0 to 2^64 - 1 and a multiple of
    `alignment`; anything else is a one-line error naming the option."""
    try:
        value = int(text, 0)
    except ValueError:
        raise UsageError(f"{option + ': ' if option else ''}not a number: {text!r}") from None
    if not 0 <= value < 1 << 64:
        raise UsageError(f"{option + ': ' if option else ''}{text!r} is not a 64-bit address or size")
    if value % alignment:
        raise UsageError(f"{option}: {text!r} is not a multiple of {alignment}")
    return value


def register(subparsers) -> None:
    p = subparsers.add_parser("compile", help="compile a program in the typed Python subset to RISC-V",
                              description="Compile a program in Downstairs' typed subset of Python "
                                          "(docs/compiler-language.md) to RV64IMAC machine code.")
    p.add_argument("file", help="the main module, FILE.py")
    p.add_argument("-o", "--output", help="output file (default: FILE.elf, or FILE.bin for --emit bin)")
    p.add_argument("--emit", choices=["elf", "bin", "asm"], default="elf",
                   help="ELF executable, flat binary, or assembly listing with source lines (to stdout "
                        "unless -o is given)")
    p.add_argument("--base", default="0x80000000", help="load address of the code (default 0x80000000)")
    p.add_argument("--entry", default="main",
                   help="function the entry code calls (default main); 'none' for no entry code")
    p.add_argument("--trap", help="function that mtvec points at (default: trap_handler, if there is one)")
    p.add_argument("--stack-size", default="0x10000", help="bytes of stack after .bss (default 64 KiB)")
    p.add_argument("--data-align", default="16",
                   help="alignment of .data (4096: code and data on separate pages, to map them apart)")
    p.add_argument("--no-rvc", action="store_true", help="do not use compressed instructions")
    p.add_argument("--symbol", action="append", default=[], metavar="NAME=ADDRESS",
                   help="address of an @external function (repeatable)")
    p.add_argument("-I", dest="include", action="append", default=[], help="another folder to import modules from")
    p.add_argument("--run-host", action="store_true",
                   help="do not compile: run the program under CPython on a model of QEMU's virt board, with "
                        "the output and exit status the compiled program has on a machine")
    p.set_defaults(func=run)


def run(args) -> int:
    from downstairs.compiler.driver import Options, compile_file
    from downstairs.compiler.elf import flat_binary, write_elf
    from downstairs.compiler.errors import CompileError
    from downstairs.compiler.asm import AsmError
    from downstairs.isa.encode import EncodeError

    if not args.file.endswith(".py"):
        raise UsageError(f"expected a .py file, got {args.file!r}")
    if args.run_host:
        from downstairs.compiler.cpython import run_main
        return run_main(args.file, "main" if args.entry == "none" else args.entry, args.include)
    symbols = {}
    for item in args.symbol:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--symbol wants NAME=ADDRESS, got {item!r}")
        symbols[name] = parse_int(value)
    data_align = parse_int(args.data_align, "--data-align")
    if data_align <= 0 or data_align & (data_align - 1):
        raise UsageError(f"--data-align wants a power of two, got {args.data_align}")
    options = Options(symbols=symbols, base=parse_int(args.base, "--base", 4),
                      entry=None if args.entry == "none" else args.entry, trap=args.trap,
                      stack_size=parse_int(args.stack_size, "--stack-size", 16),
                      compressed=not args.no_rvc, search_path=args.include, data_align=data_align)
    try:
        image = compile_file(args.file, options)
    except CompileError as err:
        print(err, file=sys.stderr)
        return 1
    except (AsmError, EncodeError) as err:          # a layout the program asked for that cannot be
        print(f"{args.file}: error: {err}", file=sys.stderr)      # (an @at address already passed)
        return 1
    if args.emit == "asm":
        if args.output:
            write(args.output, image.listing.encode())
        else:
            sys.stdout.write(image.listing)
        return 0
    blob = write_elf(image) if args.emit == "elf" else flat_binary(image)
    write(args.output or args.file[:-3] + (".elf" if args.emit == "elf" else ".bin"), blob,
          executable=args.emit == "elf")
    return 0


def write(path: str, blob: bytes, executable: bool = False) -> None:
    """Write the output file; an executable (an ELF) gets the execute bit wherever it is
    readable, as a linker's output does."""
    try:
        with open(path, "wb") as f:
            f.write(blob)
            if executable:
                mode = os.fstat(f.fileno()).st_mode & 0o7777
                os.fchmod(f.fileno(), mode | (mode & 0o444) >> 2)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror}")
