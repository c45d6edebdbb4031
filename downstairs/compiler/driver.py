"""The compiler driver: runs the passes in order and lays the program out in memory.

  modules -> check -> ownership -> lower -> licm, strength -> select -> regalloc -> asm -> elf

Memory layout (from `base`, 0x80000000 by default: where QEMU's virt board starts RAM and
where its reset code jumps with -bios none):
  _start        entry code: sp = __stack_top, zero .bss, mtvec = trap handler, call the entry
  functions     each 4-byte aligned; a function marked @at(ADDR) sits at exactly ADDR
  bytes         the byte-string constants, as [u64 length][bytes]
  .data         globals with a nonzero initial value
  .bss          zero-initialised globals, then the stack (`stack_size` bytes)
"""

import struct

from downstairs.compiler.asm import Assembler
from downstairs.compiler.check import check_program
from downstairs.compiler.errors import CompileError
from downstairs.compiler.licm import hoist
from downstairs.compiler.strength import reduce
from downstairs.compiler.lower import lower_program, canon
from downstairs.compiler.modules import load_program
from downstairs.compiler.ownership import check_ownership
from downstairs.compiler.regalloc import allocate
from downstairs.compiler.select import select_function


class Options:
    """What `downstairs compile` can be told (its options have the same names)."""

    def __init__(self, base: int = 0x80000000, entry: str | None = "main", trap: str | None = None,
                 stack_size: int = 0x10000, compressed: bool = True, search_path=(), symbols=None):
        self.base = base
        self.entry = entry                # None: no entry code (a library of functions)
        self.trap = trap                  # the mtvec target; default: trap_handler if defined
        self.stack_size = stack_size
        self.compressed = compressed
        self.search_path = list(search_path)
        self.symbols = dict(symbols or {})        # addresses of @external functions


class Image:
    """A compiled program: text (code and constants) from `base`, initialised data at
    data_addr, bss_size bytes of .bss and stack from bss_addr, the entry address, the symbols
    [(name, address, size, "func"|"object"|"label", "text"|"data"|"bss")], whether it uses
    RVC, and the --emit asm listing."""

    def __init__(self, base, text, data_addr, data, bss_addr, bss_size, entry, symbols, rvc, listing=""):
        self.base, self.text, self.data_addr, self.data = base, text, data_addr, data
        self.bss_addr, self.bss_size, self.entry = bss_addr, bss_size, entry
        self.symbols, self.rvc, self.listing = symbols, rvc, listing


def start_code(asm, entry_symbol, trap_symbol):
    """The entry sequence: everything a bare hart needs before it can run compiled code."""
    lines = [("la", "sp", "__stack_top"), ("la", "t0", "__bss_start"), ("la", "t1", "__bss_end"),
             ("label", ".Lzero"), ("bgeu", "t0", "t1", ".Lzeroed"), ("sd", "zero", "t0", 0),
             ("addi", "t0", "t0", 8), ("j", ".Lzero"), ("label", ".Lzeroed"),
             ("la", "t0", trap_symbol), ("csrw", 0x305, "t0"), ("call", entry_symbol),
             ("label", "__halt"), ("wfi",), ("j", "__halt")]
    for line in lines:
        if line[0] == "label":
            asm.label(line[1])
        else:
            asm.ins(*line)
    return lines


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
    by_name = {f.name: f for f in program.funcs}
    asm = Assembler(compressed=options.compressed)
    listing = []
    entry_symbol = None
    if options.entry:
        main_module = program.modules[-1]
        target = main_module.names.get(options.entry)
        if target not in program.funcs:
            raise CompileError(f"no function {options.entry!r} to start at in {main_module.path}", main_module.path)
        if target.ftype.params:
            raise CompileError(f"the entry function {options.entry!r} must take no parameters", main_module.path)
        entry_symbol = target.symbol
        trap = options.trap or ("trap_handler" if "trap_handler" in by_name else None)
        if trap and trap not in by_name:
            raise CompileError(f"no trap handler function {trap!r}", main_module.path)
        trap_symbol = by_name[trap].symbol if trap else "__halt"
        asm.label("_start")
        listing.append("_start:")
        listing += [f"{l[1]}:" if l[0] == "label" else "        " + format_ins(l[0], l[1:])
                    for l in start_code(asm, entry_symbol, trap_symbol)]
    irfs = lower_program(program)
    for irf in irfs:
        hoist(irf)
        reduce(irf)
    placed = sorted((f for f in irfs if f.address is not None), key=lambda f: f.address)
    for irf in [f for f in irfs if f.address is None] + placed:
        code = allocate(select_function(irf), irf.frame_size)
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
            if mi.op == "label":
                asm.label(mi.args[0])
                listing.append(f"{mi.args[0]}:")
            else:
                asm.ins(mi.op, *mi.args)
                listing.append("        " + format_ins(mi.op, mi.args))
        asm.label(irf.symbol + ".end")
    asm.align(8)
    for k, blob in enumerate(program.bytes_consts):
        asm.label(f".bytes.{k}")
        asm.data(struct.pack("<Q", len(blob)) + blob)
    asm.align(16)
    asm.label("__data_start")
    bss = []
    for var in program.globals:
        if var.init:
            asm.align(var.ty.align)
            asm.label(var.symbol)
            if isinstance(var.init, bytes):
                asm.data(var.init)
            else:
                asm.data(canon(var.ty, var.init).to_bytes(8, "little", signed=True)[:var.ty.size])
        else:
            bss.append(var)
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
    bss_end = (pos + 15) // 16 * 16
    symbols["__bss_start"], symbols["__bss_end"] = bss_addr, bss_end
    symbols["__stack_top"] = bss_end + options.stack_size
    if symbols["__stack_top"] > 1 << 64:
        raise CompileError(f"the program and its {options.stack_size:#x}-byte stack do not fit "
                           f"below the top of the address space from {options.base:#x}", path)
    blob = asm.encode(options.base, symbols)
    split = symbols["__data_start"] - options.base
    elf_symbols = []
    if entry_symbol:
        elf_symbols.append(("_start", options.base, 0, "func", "text"))
    for irf in irfs:
        elf_symbols.append((irf.symbol, symbols[irf.symbol], symbols[irf.symbol + ".end"] - symbols[irf.symbol],
                            "func", "text"))
    for var in program.globals:
        elf_symbols.append((var.symbol, symbols[var.symbol], var.ty.size, "object", "data" if var.init else "bss"))
    for name in ("__bss_start", "__bss_end", "__stack_top"):
        elf_symbols.append((name, symbols[name], 0, "label", "bss"))
    entry = options.base if entry_symbol else (symbols[irfs[0].symbol] if irfs else options.base)
    return Image(options.base, blob[:split], symbols["__data_start"], blob[split:], bss_addr,
                 bss_end - bss_addr + options.stack_size, entry, elf_symbols, options.compressed,
                 "\n".join(listing) + "\n")

