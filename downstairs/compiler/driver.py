"""The compiler driver: runs the passes in order and lays the program out in memory.

  modules -> check -> ownership -> lower -> inline -> licm, strength -> select -> regalloc -> jumps -> asm -> elf

Memory layout (from `base`, 0x80000000 by default: where QEMU's virt board starts RAM and
where its reset code jumps with -bios none):
  _start        entry code (entry.py): each hart's sp, the trap vectors, zero .bss, call the entry
  functions     each 4-byte aligned; a function marked @at(ADDR) sits at exactly ADDR
  routines      the compiler's own: trap entries, trap_return, the helper intrinsics (entry.py)
  bytes         the byte-string constants, as [u64 length][bytes], each 8-aligned
  .data         globals with a nonzero initial value; then globals placed with at(ADDR, ...)
  .bss          zero-initialised globals (the entry code zeroes them), then the noinit(...)
                globals (it does not), then one stack per hart (__stacks .. __image_end)
"""

import struct

from downstairs.compiler import types as T
from downstairs.compiler.asm import Assembler
from downstairs.compiler.entry import ENTRY_NAMES, Boot, helper, start_code, trap_entry, trap_return
from downstairs.compiler.check import check_program
from downstairs.compiler.errors import CompileError
from downstairs.compiler.inline import inline_calls
from downstairs.compiler.jumps import tidy
from downstairs.compiler.licm import hoist
from downstairs.compiler.strength import reduce
from downstairs.compiler.lower import lower_program, canon
from downstairs.compiler.modules import load_program
from downstairs.compiler.ownership import check_ownership
from downstairs.compiler.regalloc import allocate, no_return
from downstairs.compiler.select import select_function


class Options:
    """What `downstairs compile` can be told (its options have the same names)."""

    def __init__(self, base: int = 0x80000000, entry: str | None = "main", trap: str | None = None,
                 stack_size: int = 0x10000, compressed: bool = True, search_path=(), symbols=None,
                 data_align: int = 16):
        self.base = base
        self.entry = entry                # None: no entry code (a library of functions)
        self.trap = trap                  # the mtvec target; default: trap_handler if defined
        self.stack_size = stack_size
        self.compressed = compressed
        self.search_path = list(search_path)
        self.symbols = dict(symbols or {})        # addresses of @external functions
        self.data_align = data_align      # where .data may start: 4096 keeps code and data on separate pages


class Image:
    """A compiled program: text (code and constants) from `base`, initialised data at
    data_addr, bss_size bytes of .bss and stack from bss_addr, the entry address, the symbols
    [(name, address, size, "func"|"object"|"label", "text"|"data"|"bss")], whether it uses
    RVC, the --emit asm listing, and the line records [(address, source path, line)] in address
    order: from each address on, the code is that line's (until the next record)."""

    def __init__(self, base, text, data_addr, data, bss_addr, bss_size, entry, symbols, rvc, listing="",
                 lines=()):
        self.base, self.text, self.data_addr, self.data = base, text, data_addr, data
        self.bss_addr, self.bss_size, self.entry = bss_addr, bss_size, entry
        self.symbols, self.rvc, self.listing = symbols, rvc, listing
        self.lines = list(lines)


def assemble(asm, lines, listing):
    """Feed the compiler's own assembly lines (entry.py) to the assembler and the listing."""
    for line in lines:
        if line[0] == "label":
            asm.label(line[1])
            listing.append(f"{line[1]}:")
        else:
            asm.ins(*line)
            listing.append("        " + format_ins(line[0], line[1:]))


MEMORY = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "sb", "sh", "sw", "sd"}


def format_ins(op, args) -> str:
    """One instruction in the usual assembler syntax (`ld a0, 8(sp)`, `amoadd.w a0, a1, (a2)`)."""
    text = [hex(a) if isinstance(a, int) and abs(a) > 4096 else str(a) for a in args]
    if op in MEMORY:
        text = [text[0], f"{text[2]}({text[1]})"]
    elif op.startswith("amo"):
        text = [text[0], text[2], f"({text[1]})"]
    elif op == "fence_i":
        op = "fence.i"
    return f"{op:8}{', '.join(text)}".rstrip()


def func_error(func, message):
    return CompileError(message, func.module.path, func.node.lineno, func.node.col_offset, func.module.source)


def trap_handlers(program) -> tuple[dict, dict]:
    """The @machine_trap and @supervisor_trap functions, by mode ("m", "s"): one each at most;
    and the @supervisor_syscall function (at most one, and only beside a @supervisor_trap)."""
    found, syscalls = {}, {}
    for func in program.funcs:
        if func.trap:
            if func.trap in found:
                raise func_error(func, f"a second {'machine' if func.trap == 'm' else 'supervisor'} trap "
                                       f"handler (the first is {found[func.trap].name!r})")
            found[func.trap] = func
        if func.syscall:
            if func.syscall in syscalls:
                raise func_error(func, f"a second system-call handler (the first is {syscalls[func.syscall].name!r})")
            syscalls[func.syscall] = func
    for mode, func in syscalls.items():
        if mode not in found:
            raise func_error(func, "a @supervisor_syscall handler needs a @supervisor_trap handler for the other traps")
    return found, syscalls


def boot_plan(program, options, traps) -> Boot | None:
    """How the program starts (entry.py): an @entry function, else options.entry as an
    old-style `main()` on one hart (its trap function plain: mtvec points straight at it)."""
    by_name = {f.name: f for f in program.funcs}
    booted = [f for f in program.funcs if f.boot]
    if len(booted) > 1:
        raise func_error(booted[1], f"a second @entry function (the first is {booted[0].name!r})")
    if booted:
        main = booted[0]
        harts, stack, secondary = main.boot
        other = by_name.get(secondary) if secondary else None
        if secondary and (other is None or len(other.ftype.params) > 3 or other.ftype.result is not T.VOID
                          or any(t is not T.U64 for _, t in other.ftype.params)):
            raise func_error(main, f"secondary={secondary!r} must name a function taking up to three u64")
        return Boot(harts, stack, main.symbol, other.symbol if other else None, sorted(traps), None)
    if not options.entry:
        return None
    main_module = program.modules[-1]
    target = main_module.names.get(options.entry)
    if target not in program.funcs:
        raise CompileError(f"no function {options.entry!r} to start at in {main_module.path}", main_module.path)
    if target.ftype.params:
        raise CompileError(f"the entry function {options.entry!r} must take no parameters", main_module.path)
    trap = options.trap or ("trap_handler" if "trap_handler" in by_name else None)
    if trap and trap not in by_name:
        raise CompileError(f"no trap handler function {trap!r}", main_module.path)
    plain = None if traps.get("m") else (by_name[trap].symbol if trap else "__halt")
    return Boot(1, options.stack_size, target.symbol, None, sorted(traps), plain)


def compile_file(path: str, options: Options | None = None) -> Image:
    """Compile the program whose main module is `path` into an Image laid out as the module
    docstring draws; a CompileError (or AsmError for an impossible @at) on bad input."""
    options = options or Options()
    try:
        return layout_program(path, options)
    except RecursionError:
        raise CompileError("the program nests too deeply for the compiler (an expression of "
                           "tens of thousands of terms?): split it into statements", path) from None


def layout_program(path: str, options: Options) -> Image:
    """compile_file's work: the passes, then the layout (a RecursionError from a program
    nested deeper than Python's recursion limit is compile_file's to report)."""
    program = check_program(load_program(path, options.search_path))
    check_ownership(program)
    asm = Assembler(compressed=options.compressed)
    listing = []
    marks = []                                # (label, path, line) where a source line starts
    traps, syscalls = trap_handlers(program)
    boot = boot_plan(program, options, traps)
    if boot:
        assemble(asm, start_code(boot), listing)
    entry_symbol = boot.main if boot else None
    harts, stack = (boot.harts, boot.stack) if boot else (1, options.stack_size)
    irfs = lower_program(program)
    inline_calls(irfs, {f.symbol for f in program.funcs if not (f.trap or f.boot or f.address is not None)
                        and (f.ftype.result is T.VOID or T.is_scalar(f.ftype.result))})
    for irf in irfs:
        hoist(irf)
        reduce(irf)
    placed = sorted((f for f in irfs if f.address is not None), key=lambda f: f.address)
    selected = {irf.symbol: select_function(irf) for irf in irfs}
    stops = no_return(selected)
    for irf in [f for f in irfs if f.address is None] + placed:
        code = tidy(allocate(selected[irf.symbol], irf.frame_size, stops))
        if irf.address is not None:
            asm.org(irf.address)
        asm.align(4)
        asm.label(irf.symbol)
        listing.append(f"\n{irf.symbol}:")
        lines = irf.module.source.splitlines()
        last_line = None
        for mi in code:
            if mi.line != last_line and mi.line:
                last_line = mi.line
                listing.append(f"    # {irf.module.path}:{mi.line}: {lines[mi.line - 1].strip()}")
                marks.append((f".Lline.{len(marks)}", irf.module.path, mi.line))
                asm.label(marks[-1][0])
            if mi.op == "label":
                asm.label(mi.args[0])
                listing.append(f"{mi.args[0]}:")
            else:
                asm.ins(mi.op, *mi.args)
                listing.append("        " + format_ins(mi.op, mi.args))
        asm.label(irf.symbol + ".end")
        marks.append((irf.symbol + ".end", None, 0))          # the compiler's own code follows
    helpers = sorted({ins.args[1][2:] for irf in irfs for ins in irf.code
                      if ins.op == "call" and ins.args[1].startswith("__")})
    own = []                                  # the compiler's routines: (symbol, lines)
    returns = "trap_return" in helpers
    if returns and len(traps) != 1:
        raise CompileError("trap_return() needs the program's one trap handler (@machine_trap "
                           "or @supervisor_trap) to know its mode", program.modules[-1].path)
    if boot:
        boot.reads_tp = any(ins.op == "mov" and ins.args[1] == "tp" for irf in irfs for ins in irf.code)
    for mode, func in sorted(traps.items()):
        syscall = syscalls.get(mode)
        own.append((ENTRY_NAMES[mode], trap_entry(mode, func.symbol, boot, syscall.symbol if syscall else None,
                                                  restore=not returns,
                                                  syscall_returns=syscall is not None and syscall.symbol not in stops)))
    for name in helpers:
        if name == "trap_return":
            own.append(("__trap_return", trap_return(next(iter(traps)), boot, stack)))
        else:
            own.append(("__" + name, helper(name)))
    for symbol, lines in own:
        asm.align(4)
        listing.append("")
        assemble(asm, lines, listing)
        asm.label(symbol + ".end")
    for k, blob in enumerate(program.bytes_consts):
        asm.align(8)                          # addr(b) is 8-aligned: word loads can read it
        asm.label(f".bytes.{k}")
        asm.data(struct.pack("<Q", len(blob)) + blob)
    asm.align(max(16, options.data_align))
    asm.label("__data_start")
    if boot and boot.harts > 1:
        for name in ("__boot_claim", "__boot_ready"):       # the boot lottery (entry.start_code)
            asm.label(name)
            asm.data(bytes(4))
    bss = []
    placed_data = sorted((v for v in program.globals if v.address is not None), key=lambda v: v.address)
    for var in [v for v in program.globals if v.address is None and v.init] + placed_data:
        if var.address is not None:
            asm.org(var.address)
        asm.align(var.ty.align)
        asm.label(var.symbol)
        if isinstance(var.init, bytes):
            asm.data(var.init)
        elif var.init is not None:
            asm.data(canon(var.ty, var.init).to_bytes(8, "little", signed=True)[:var.ty.size])
        else:
            asm.data(bytes(var.ty.size))        # at a fixed address: zeros in the image itself
    bss = [v for v in program.globals if v.address is None and not v.init and not v.noinit]
    unzeroed = [v for v in program.globals if v.noinit]
    asm.align(16)
    asm.label("__data_end")
    symbols: dict[str, int] = {}
    for func in program.externals:
        if func.symbol not in options.symbols:
            raise CompileError(f"external function {func.name!r} needs its address: --symbol {func.name}=ADDRESS",
                               func.module.path, func.node.lineno, func.node.col_offset, func.module.source)
        symbols[func.symbol] = options.symbols[func.symbol]
    end = asm.layout(options.base, symbols)
    bss_addr = (end + 15) // 16 * 16
    pos = bss_addr
    for var in bss:
        pos = (pos + var.ty.align - 1) // var.ty.align * var.ty.align
        symbols[var.symbol] = pos
        pos += var.ty.size
    bss_end = bss_addr + (pos - bss_addr + 63) // 64 * 64    # the entry code zeroes 64 bytes a turn
    pos = bss_end
    for var in unzeroed:                      # noinit(...): after .bss, left as it is
        pos = (pos + var.ty.align - 1) // var.ty.align * var.ty.align
        symbols[var.symbol] = pos
        pos += var.ty.size
    stacks = (pos + 15) // 16 * 16
    symbols["__bss_start"], symbols["__bss_end"] = bss_addr, bss_end
    symbols["__stacks"], symbols["__stack_top"] = stacks, stacks + stack     # hart 0's stack top
    symbols["__image_start"], symbols["__image_end"] = options.base, stacks + harts * stack
    if symbols["__image_end"] > 1 << 64:
        raise CompileError(f"the program and its {harts} x {stack:#x}-byte stacks do not fit "
                           f"below the top of the address space from {options.base:#x}", path)
    blob = asm.encode(options.base, symbols)
    split = symbols["__data_start"] - options.base
    elf_symbols = []
    if entry_symbol:
        elf_symbols.append(("_start", options.base, 0, "func", "text"))
    for symbol in [irf.symbol for irf in irfs] + [symbol for symbol, _ in own]:
        elf_symbols.append((symbol, symbols[symbol], symbols[symbol + ".end"] - symbols[symbol], "func", "text"))
    for var in program.globals:
        elf_symbols.append((var.symbol, symbols[var.symbol], var.ty.size, "object",
                            "bss" if var.address is None and not var.init else "data"))
    for name in ("__bss_start", "__bss_end", "__stacks", "__stack_top", "__image_end"):
        elf_symbols.append((name, symbols[name], 0, "label", "bss"))
    entry = options.base if entry_symbol else (symbols[irfs[0].symbol] if irfs else options.base)
    lines = sorted(((symbols[label], path, line) for label, path, line in marks), key=lambda mark: mark[0])
    return Image(options.base, blob[:split], symbols["__data_start"], blob[split:], bss_addr,
                 stacks - bss_addr + harts * stack, entry, elf_symbols, options.compressed,
                 "\n".join(listing) + "\n", lines)

