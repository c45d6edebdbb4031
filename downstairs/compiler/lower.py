"""Lowering: the checked Python tree of each function to IR (ir.py).

Scalar locals and parameters live in virtual registers; records and arrays that are locals get
space in the function's stack storage, globals are named by their ELF symbol. Conditions compile
to jumps (`branch`), so `and`/`or` short-circuit and `if a < b:` is one compare-and-branch.
Loops are rotated: the test sits at the bottom and runs once more at the top to enter.
Array indexing checks the bounds (an out-of-range index traps, as IndexError would stop
CPython); division checks for zero; `assert` traps. The checks of one source line branch to one
`ebreak` for that line, at the function's end, so a trap's pc says which line failed.

A resource moves by copying its bytes (the name it left is dead, ownership.py sees to that),
except into a parameter: the callee gets the address of the caller's storage, which nobody
else uses while it runs. A resource result travels as the psABI says for a struct: up to 16
bytes in a0 and a1 (the bytes as if loaded from memory), a bigger one is written by the
callee to the address the caller passes in a0 (the other arguments move up one register).
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.ir import IRFunction, Ins, Imm, V
from downstairs.compiler.symbols import ARITH, COMPARE, NEGATE, HELPER_INTRINSICS, Var, Func

UNITS = {1: T.U8, 2: T.U16, 4: T.U32, 8: T.U64}      # the integer type that moves `n` bytes
# instructions that write one fresh register, and where it is among their arguments
WRITES_FIRST = {"load": 1, "conv": 3, "set": 2, "bin": 2, "call": 0, "csrr": 0, "amo": 2, "ecall": 0}


def assigned_names(body) -> set[str]:
    """Every name a statement list assigns (the loop-invariance test of `place`)."""
    names = set()
    for sub in ast.walk(ast.Module(body, [])):
        targets = sub.targets if isinstance(sub, ast.Assign) else \
            [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.For)) else []
        for t in targets:
            names |= {n.id for n in (t.elts if isinstance(t, ast.Tuple) else [t]) if isinstance(n, ast.Name)}
    return names


def canon(ty, value: int) -> int:
    """A constant as the 64-bit register holds it (signed view): 32-bit values sign-extended."""
    bits = 8 if ty is T.BOOL else ty.bits
    value &= (1 << bits) - 1
    if bits == 32 or (ty is not T.BOOL and ty.signed):
        if value >> (bits - 1):
            value -= 1 << bits
    if value >= 1 << 63:
        value -= 1 << 64
    return value


class Lowerer:
    """Lowers one function, reading the checker's tables (types, consts, symbols, fields, calls,
    strings) from `program`."""

    def __init__(self, program, func: Func):
        self.func = func
        self.types, self.consts, self.symbols = program.types, program.consts, program.symbols
        self.fields, self.calls, self.strings = program.fields, program.calls, program.strings
        self.ir = IRFunction(func.name, func.symbol, func.module)
        self.ir.address = func.address
        self.vars: dict[Var, V] = {}
        self.slots: dict[Var, int] = {}
        self.labels = 0
        self.line = 0
        self.loops: list[tuple[str, str]] = []
        self.ranges: dict[Var, tuple[int, int]] = {}    # loop counters' known bounds
        self.below_len: dict[Var, object] = {}           # counters of range(len(s)): s's identity
        self.bytes_consts = program.bytes_consts
        self.loop_writes: list[set[str]] = []            # names assigned in each enclosing loop
        self.traps: dict[int, str] = {}                  # source line -> its trap block's label
        result = func.ftype.result
        self.sret = self.ir.new() if T.is_resource(result) and result.size > 16 else None    # big result's address

    def label(self) -> str:
        """A new local label, unique in the program (it carries the function's symbol)."""
        self.labels += 1
        return f".L{self.func.symbol}.{self.labels}"

    def emit(self, op, *args):
        self.ir.code.append(Ins(op, *args, line=self.line))

    def trap_label(self) -> str:
        """Where a failed check of the current source line branches (its line's trap block)."""
        if self.line not in self.traps:
            self.traps[self.line] = self.label()
        return self.traps[self.line]

    def lower(self) -> IRFunction:
        """The function's IR: parameters in registers, local storage in the frame, the body,
        then a trap block for each source line with a check that can fail."""
        node = self.func.node
        self.line = node.lineno
        params = [self.sret] if self.sret is not None else []
        for name, ty in self.func.ftype.params:
            var = self.func.locals[name]
            self.vars[var] = self.ir.new()
            params.append(self.vars[var])
        self.emit("params", params)
        for var in self.func.locals.values():
            if var.kind == "local" and not T.is_scalar(var.ty) and var.ty is not T.BYTES:
                size = (self.ir.frame_size + 7) // 8 * 8      # every slot 8-aligned
                self.slots[var] = size
                self.ir.frame_size = size + var.ty.size
        self.block(node.body)
        if not (node.body and isinstance(node.body[-1], ast.Return)):
            self.emit("ret", None)
        for line, label in sorted(self.traps.items()):
            self.line = line
            self.emit("label", label)
            self.emit("trap")
        return self.ir

    # ---- statements -----------------------------------------------------------------------

    def block(self, body):
        for stmt in body:
            self.line = stmt.lineno
            self.stmt(stmt)

    def stmt(self, node):
        """Lower one checked statement."""
        kind = type(node)
        if kind is ast.Expr:
            if isinstance(node.value, ast.Call):
                self.value(node.value)
        elif kind is ast.Assign and isinstance(node.targets[0], ast.Tuple):
            temps = []
            for value in node.value.elts:          # all values first, as Python does
                temp = self.ir.new()
                self.emit("mov", temp, self.value(value))
                temps.append(temp)
            for target, temp in zip(node.targets[0].elts, temps):
                self.emit("mov", self.vars.setdefault(self.symbols[target], self.ir.new()), temp)
        elif kind in (ast.Assign, ast.AnnAssign):
            target = node.targets[0] if kind is ast.Assign else node.target
            self.assign(target, node.value)
        elif kind is ast.AugAssign:
            ty = self.types[node.target]
            op = ARITH[type(node.op)]
            if isinstance(node.target, ast.Name) and self.symbols[node.target] in self.vars:
                reg = self.vars[self.symbols[node.target]]
                self.binop(op, ty, reg, reg, self.value(node.value))
            else:
                base, off = self.place(node.target)
                cur = self.ir.new()
                self.emit("load", ty, cur, base, off)
                res = self.ir.new()
                self.binop(op, ty, res, cur, self.value(node.value))
                self.emit("store", ty, res, base, off)
        elif kind is ast.If:
            orelse = self.label()
            self.branch(node.test, orelse, False)
            self.block(node.body)
            if node.orelse:
                end = self.label()
                self.emit("jmp", end)
                self.emit("label", orelse)
                self.block(node.orelse)
                self.emit("label", end)
            else:
                self.emit("label", orelse)
        elif kind is ast.While:
            self.ir.has_loops = True
            top, cont, end = self.label(), self.label(), self.label()
            self.branch(node.test, end, False)
            self.emit("label", top)
            self.loops.append((cont, end))
            self.loop_writes.append(assigned_names(node.body))
            self.block(node.body)
            self.loop_writes.pop()
            self.loops.pop()
            self.line = node.lineno
            self.emit("label", cont)
            self.branch(node.test, top, True)
            self.emit("label", end)
        elif kind is ast.For:
            self.for_range(node)
        elif kind is ast.Break:
            self.emit("jmp", self.loops[-1][1])
        elif kind is ast.Continue:
            self.emit("jmp", self.loops[-1][0])
        elif kind is ast.Return:
            if node.value is not None and T.is_resource(self.types[node.value]):
                self.return_resource(node.value)
            else:
                self.emit("ret", None if node.value is None else self.value(node.value))
        elif kind is ast.Assert:
            self.branch(node.test, self.trap_label(), False)

    def for_range(self, node):
        """for i in range(a, b, s): i runs a, a+s, ... while i < b (i > b for s < 0); after a
        normal exit i keeps the last value it took, and a loop that runs zero times leaves
        i alone, as in CPython."""
        self.ir.has_loops = True
        args = node.iter.args
        ty = self.types[node.target]
        counter = self.symbols[node.target]
        var = self.vars.setdefault(counter, self.ir.new())
        start = self.value(args[0]) if len(args) > 1 else Imm(0)
        stop = self.value(args[1] if len(args) > 1 else args[0])
        if isinstance(stop, V):
            copy = self.ir.new()
            self.emit("mov", copy, stop)
            stop = copy
        step = self.consts[args[2]] if len(args) == 3 else 1
        test = "<" if step > 0 else ">"
        top, cont, done, skip = self.label(), self.label(), self.label(), self.label()
        first = self.ir.new()
        self.emit("mov", first, start)
        self.emit("br", NEGATE[test], ty, first, stop, skip)
        self.emit("mov", var, first)
        self.emit("label", top)
        self.loops.append((cont, done))
        lo = self.consts.get(args[0]) if len(args) > 1 else 0
        hi = self.consts.get(args[1] if len(args) > 1 else args[0])
        if lo is not None and hi is not None:
            # the counter cannot be assigned in the body (check.py), so inside it these bounds hold
            self.ranges[counter] = (lo, hi - 1) if step > 0 else (hi + 1, lo)
        seq = self.len_of(args[1] if len(args) > 1 else args[0])
        if seq is not None and step > 0 and (lo or 0) >= 0 and seq[1] not in assigned_names(node.body):
            self.below_len[counter] = seq[0]            # 0 <= i < len(s) while s stays the same
        self.loop_writes.append(assigned_names(node.body) | {node.target.id})
        self.block(node.body)
        self.loop_writes.pop()
        self.ranges.pop(counter, None)
        self.below_len.pop(counter, None)
        self.loops.pop()
        self.line = node.lineno
        self.emit("label", cont)
        self.emit("bin", "+nowrap", ty, var, var, Imm(step))
        self.ir.counters.append((var, step, top, self.ir.code[-1]))
        self.emit("br", test, ty, var, stop, top)
        self.emit("bin", "+nowrap", ty, var, var, Imm(-step))
        self.emit("label", done)
        self.emit("label", skip)

    def assign(self, target, value):
        """`target = value` for a local (register, frame storage or a reference's address) or
        a place in memory (global, field, element)."""
        ty = self.types[target]
        var = self.symbols.get(target)
        if isinstance(target, ast.Name) and var in self.func.locals.values() and var.kind != "global":
            if var.kind == "ref":
                self.emit("mov", self.vars.setdefault(var, self.ir.new()), self.addr_of(value))
                return
            if var in self.slots or (not T.is_scalar(ty) and ty is not T.BYTES):
                self.fill(self.place(target), ty, value)
                return
            reg = self.vars.setdefault(var, self.ir.new())
            if isinstance(value, ast.BinOp) and value not in self.consts:
                self.value(value, into=reg)       # compute straight into the variable's register
            else:
                self.move_into(reg, self.value(value))
            return
        if not T.is_scalar(ty):
            self.fill(self.place(target), ty, value)
            return
        val = self.value(value)
        base, off = self.place(target)
        self.emit("store", ty, val, base, off)

    def move_into(self, reg, result):
        """reg = result: when the last instruction computed result into a fresh temporary (a
        load, a call, a conversion, ...; not a variable's register), it writes reg instead,
        so no copy is left for the allocator."""
        last = self.ir.code[-1] if self.ir.code else None
        if isinstance(result, V) and last is not None and last.op in WRITES_FIRST \
                and last.args[WRITES_FIRST[last.op]] is result and all(v is not result for v in self.vars.values()):
            last.args[WRITES_FIRST[last.op]] = reg
        else:
            self.emit("mov", reg, result)

    def fill(self, where, ty, value):
        """Storage at `where` (base, offset) gets a value of type `ty`: new storage from
        `T(...)`/`array(T, n)`, or a resource moved from a call's result or a variable."""
        if isinstance(value, ast.Call) and value not in self.calls:
            self.init_storage(where, ty, value)
        elif isinstance(value, ast.Call):
            self.call_into(where, value)
        else:
            self.copy(where, self.place(value), ty)

    def copy(self, dst, src, ty):
        """Copy a value's bytes between places, in units of its alignment (at most 8):
        straight-line up to 64 bytes, a loop beyond."""
        (dbase, doff), (sbase, soff) = dst, src
        unit = min(ty.align, 8)
        uty = UNITS[unit]
        if ty.size <= 64:
            for pos in range(0, ty.size, unit):
                temp = self.ir.new()
                self.emit("load", uty, temp, sbase, soff + pos)
                self.emit("store", uty, temp, dbase, doff + pos)
            return
        sptr, dptr, end, temp, top = self.ir.new(), self.ir.new(), self.ir.new(), self.ir.new(), self.label()
        self.emit("bin", "+", T.U64, sptr, sbase, Imm(soff))
        self.emit("bin", "+", T.U64, dptr, dbase, Imm(doff))
        self.emit("bin", "+", T.U64, end, sptr, Imm(ty.size))
        self.emit("label", top)
        self.emit("load", uty, temp, sptr, 0)
        self.emit("store", uty, temp, dptr, 0)
        self.emit("bin", "+", T.U64, sptr, sptr, Imm(unit))
        self.emit("bin", "+", T.U64, dptr, dptr, Imm(unit))
        self.emit("br", "<", T.U64, sptr, end, top)

    def words(self, ty):
        """The register words of a record of at most 16 bytes: [(first byte, bytes)]."""
        return [(start, min(8, ty.size - start)) for start in range(0, ty.size, 8)]

    def load_words(self, where, ty) -> list:
        """A small record's bytes as the psABI's one or two registers (little-endian, as if
        loaded from memory; the bits past its size are left unspecified, as the psABI allows)."""
        base, off = where
        unit = min(ty.align, 8)
        out = []
        for start, count in self.words(ty):
            word = None
            for pos in range(start, start + count, unit):
                piece = self.ir.new()
                self.emit("load", UNITS[unit], piece, base, off + pos)
                if unit == 4 and pos + unit < start + count:   # lw sign-extends: clear what the next piece fills
                    wide = self.ir.new()
                    self.emit("conv", T.U32, T.U64, wide, piece)
                    piece = wide
                if pos > start:
                    shifted = self.ir.new()
                    self.emit("bin", "<<", T.U64, shifted, piece, Imm(8 * (pos - start)))
                    combined = self.ir.new()
                    self.emit("bin", "|", T.U64, combined, word, shifted)
                    piece = combined
                word = piece
            out.append(word)
        return out

    def store_words(self, where, ty, regs) -> None:
        """The inverse of load_words: a small record's registers stored to its place."""
        base, off = where
        unit = min(ty.align, 8)
        for (start, count), word in zip(self.words(ty), regs):
            for pos in range(start, start + count, unit):
                piece = word
                if pos > start:
                    piece = self.ir.new()
                    self.emit("bin", ">>", T.U64, piece, word, Imm(8 * (pos - start)))
                self.emit("store", UNITS[unit], piece, base, off + pos)

    def call_into(self, where, node):
        """A call whose resource result goes to `where`: in registers for a small record,
        else written by the callee to the address passed first."""
        target = self.calls[node]
        ty = target.ftype.result
        args = self.args(node)
        if ty.size > 16:
            self.emit("call", None, target.symbol, [self.address(where)] + args)
            return
        dests = [self.ir.new() for _ in self.words(ty)]
        self.emit("call", dests, target.symbol, args)
        self.store_words(where, ty, dests)

    def return_resource(self, value):
        """`return value` of a resource: its bytes to the caller's address (big) or in
        a0/a1 (small, straight from a call's registers when the value is a call)."""
        ty = self.types[value]
        if self.sret is not None:
            self.fill((self.sret, 0), ty, value)
            self.emit("ret", None)
        elif isinstance(value, ast.Call):
            dests = [self.ir.new() for _ in self.words(ty)]
            self.emit("call", dests, self.calls[value].symbol, self.args(value))
            self.emit("ret", *dests)
        else:
            self.emit("ret", *self.load_words(self.place(value), ty))

    def init_storage(self, where, ty, call):
        """`x = array(T, n)` or `x = Record(a, b)`: zero the storage, then set given fields.
        Small storage is zeroed by straight-line stores, big storage by a loop."""
        base, off = where
        size = ty.size
        wide = ty.align >= 8 and size % 8 == 0 and off % 8 == 0
        step, sty = (8, T.U64) if wide else (1, T.U8)
        if size <= 64:
            for pos in range(0, size, step):
                self.emit("store", sty, Imm(0), base, off + pos)
        else:
            ptr, end, top = self.ir.new(), self.ir.new(), self.label()
            self.emit("bin", "+", T.U64, ptr, base, Imm(off))
            self.emit("bin", "+", T.U64, end, ptr, Imm(size))
            self.emit("label", top)
            self.emit("store", sty, Imm(0), ptr, 0)
            self.emit("bin", "+", T.U64, ptr, ptr, Imm(step))
            self.emit("br", "<", T.U64, ptr, end, top)
        if isinstance(ty, T.RecordType):
            for arg, (fty, foff) in zip(call.args, ty.fields.values()):
                self.emit("store", fty, self.value(arg), base, off + foff)

    # ---- places (addresses) ---------------------------------------------------------------

    def place(self, node):
        """The address of a variable, field or element: (base register, constant offset).
        Index terms that do not change in the innermost loop are added first, so that their
        sum is loop-invariant and licm.py can take it out of the loop."""
        base, off, terms = self.place_terms(node)
        terms.sort(key=lambda term: not term[1])
        for reg, _ in terms:
            addr = self.ir.new()
            self.emit("bin", "+", T.U64, addr, base, reg)
            base = addr
        return base, off

    def place_terms(self, node):
        """A place as (base register, constant offset, [(index register, loop-invariant)]),
        emitting the bounds checks of its indexes."""
        if node in self.symbols:
            var = self.symbols[node]
            if var in self.slots:
                reg = self.ir.new()
                self.emit("frame", reg, self.slots[var])
                return reg, 0, []
            if var.kind == "global":
                reg = self.ir.new()
                self.emit("addr", reg, var.symbol)
                return reg, 0, []
            return self.vars[var], 0, []          # a record or array parameter or name: its address
        if isinstance(node, ast.Attribute):
            base, off, terms = self.place_terms(node.value)
            return base, off + self.fields[node][1], terms
        if isinstance(node, ast.Subscript):
            aty = self.types[node.value]
            if aty is T.BYTES:
                base, off, terms = self.value(node.value), 8, []
                size, length = 1, self.bytes_length(node.value)
            else:
                base, off, terms = self.place_terms(node.value)
                size, length = aty.elem.size, aty.length
            if node.slice in self.consts:
                return base, off + self.consts[node.slice] * size, terms
            index = self.value(node.slice)
            known = self.known_range(node.slice)
            counted = aty is T.BYTES and self.symbols.get(node.slice) in self.below_len \
                and self.below_len[self.symbols[node.slice]] == self.identity(node.value)
            if not counted and not (known and isinstance(length, int) and 0 <= known[0] and known[1] < length):
                if length is None:                # a bytes value's length: its first word
                    length = self.ir.new()
                    self.emit("load", T.U64, length, base, 0)
                self.emit("br", ">=", T.U64, index, length if isinstance(length, V) else Imm(length),
                          self.trap_label())
            if size != 1:
                scaled = self.ir.new()
                if size & (size - 1) == 0:
                    self.emit("bin", "<<", T.U64, scaled, index, Imm(size.bit_length() - 1))
                else:
                    self.emit("bin", "*", T.U64, scaled, index, Imm(size))
                index = scaled
            return base, off, terms + [(index, self.invariant(node.slice))]
        raise AssertionError(f"not a place: {ast.dump(node)}")

    def bytes_length(self, node):
        """The length of a bytes value: a constant's is known, else None (it is read)."""
        return len(self.bytes_consts[self.strings[node]]) if node in self.strings else None

    def identity(self, node):
        """What a bytes expression names (a constant's index or a variable), or None."""
        if node in self.strings:
            return ("const", self.strings[node])
        sym = self.symbols.get(node)
        return ("var", id(sym)) if isinstance(node, ast.Name) and sym is not None else None

    def len_of(self, node):
        """For `len(s)` of a bytes s: (s's identity, its name or None), else None."""
        if not (isinstance(node, ast.Call) and self.calls.get(node) == ("len", None) and node.args
                and self.types.get(node.args[0]) is T.BYTES):
            return None
        ident = self.identity(node.args[0])
        name = node.args[0].id if isinstance(node.args[0], ast.Name) else None
        return (ident, name) if ident is not None else None

    def known_range(self, node):
        """Bounds an index is sure to lie within, or None: a range loop's counter, `x & C`,
        `x % C` for unsigned x, any u8 or u16 value."""
        sym = self.symbols.get(node)
        if sym in self.ranges:
            return self.ranges[sym]
        ty, consts = self.types[node], self.consts
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
            c = consts[node.right] if node.right in consts else consts.get(node.left)
            if c is not None and c >= 0:
                return 0, c
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and not ty.signed and consts.get(node.right):
            return 0, consts[node.right] - 1
        if ty in (T.U8, T.U16):
            return 0, (1 << ty.bits) - 1
        return None

    def invariant(self, node) -> bool:
        """Whether no variable in the expression is assigned in the innermost loop."""
        if not self.loop_writes:
            return True
        return not any(isinstance(n, ast.Name) and n.id in self.loop_writes[-1] for n in ast.walk(node))

    # ---- values ---------------------------------------------------------------------------

    def binop(self, op, ty, dest, a, b):
        """dest = a OP b at type ty; `//` and `%` by a divisor not known to be nonzero first
        branch to the trap block when it is zero. (Operands may be constants: `select` puts
        them in registers, x0 for zero.)"""
        if op in ("//", "%") and not (isinstance(b, Imm) and b.value != 0):
            self.emit("br", "==", ty, b, Imm(0), self.trap_label())
        self.emit("bin", op, ty, dest, a, b)

    def value(self, node, into=None):
        """The operand holding an expression's value (an Imm for a constant), computing a
        BinOp into `into` if given."""
        ty = self.types[node]
        if node in self.consts:
            return Imm(canon(ty, self.consts[node]))
        kind = type(node)
        if node in self.strings:       # b"..." or a name for one
            reg = self.ir.new()
            self.emit("addr", reg, f".bytes.{self.strings[node]}")
            return reg
        if kind in (ast.Name, ast.Attribute, ast.Subscript):
            sym = self.symbols.get(node)
            if kind is not ast.Subscript and sym in self.vars:
                return self.vars[sym]
            if kind is ast.Name and sym not in self.slots and sym.kind != "global":
                return self.vars.setdefault(sym, self.ir.new())
            base, off = self.place(node)
            reg = self.ir.new()
            self.emit("load", ty, reg, base, off)
            return reg
        if kind is ast.BinOp:
            a = self.value(node.left)
            b = self.value(node.right)
            dest = into or self.ir.new()
            self.binop(ARITH[type(node.op)], ty, dest, a, b)
            return dest
        if kind is ast.UnaryOp:
            if isinstance(node.op, ast.Not):
                return self.boolean(node)
            dest = self.ir.new()
            a = self.value(node.operand)
            if isinstance(node.op, ast.USub):
                self.emit("bin", "-", ty, dest, Imm(0), a)
            elif isinstance(node.op, ast.Invert):
                self.emit("bin", "^", ty, dest, a, Imm(canon(ty, -1)))
            else:
                return a
            return dest
        if kind is ast.Compare and len(node.ops) == 1:
            dest = self.ir.new()
            self.emit("set", COMPARE[type(node.ops[0])], self.types[node.left], dest, self.value(node.left),
                      self.value(node.comparators[0]))
            return dest
        if kind in (ast.Compare, ast.BoolOp):
            return self.boolean(node)
        if kind is ast.IfExp:
            dest, other, end = self.ir.new(), self.label(), self.label()
            self.branch(node.test, other, False)
            self.emit("mov", dest, self.value(node.body))
            self.emit("jmp", end)
            self.emit("label", other)
            self.emit("mov", dest, self.value(node.orelse))
            self.emit("label", end)
            return dest
        if kind is ast.Call:
            return self.call(node)
        raise AssertionError(f"cannot lower {ast.dump(node)}")

    def boolean(self, node):
        """A condition's value as 0 or 1 in a register."""
        dest, end = self.ir.new(), self.label()
        self.emit("mov", dest, Imm(0))
        self.branch(node, end, False)
        self.emit("mov", dest, Imm(1))
        self.emit("label", end)
        return dest

    def call(self, node):
        """A call of a function, a conversion, len() or an intrinsic: the result's register
        (None for a function without one)."""
        target = self.calls[node]
        if isinstance(target, Func):
            args = self.args(node)
            dest = self.ir.new() if target.ftype.result is not T.VOID else None
            self.emit("call", dest, target.symbol, args)
            return dest
        kind, what = target
        if kind == "conv":
            a = self.value(node.args[0])
            dest = self.ir.new()
            self.emit("conv", self.types[node.args[0]], what, dest, a)
            return dest
        if kind == "len":
            if self.types[node.args[0]] is T.BYTES and node.args[0] in self.strings:
                return Imm(self.bytes_length(node.args[0]))      # a constant's length is known
            dest = self.ir.new()
            self.emit("load", T.U64, dest, self.value(node.args[0]), 0)
            return dest
        if kind == "addr":                   # addr(record or array), addr(function), addr(bytes)
            if what == "place":
                return self.addr_of(node.args[0])
            if what == "bytes":              # past the length word: the first byte
                return self.address((self.value(node.args[0]), 8))
            dest = self.ir.new()
            self.emit("addr", dest, what.symbol)
            return dest
        name = what
        if name == "ecall_regs":             # a0..a7 from the array, ecall, back: in line (select.py)
            self.emit("ecall_regs", self.addr_of(node.args[0]))
            return None
        if name in HELPER_INTRINSICS:        # a call to a routine the compiler adds (entry.py)
            dest = self.ir.new() if self.types[node] is not T.VOID else None
            self.emit("call", dest, "__" + name, self.args(node))
            return dest
        offset, address = 0, node.args[0] if node.args else None
        sign = {ast.Add: 1, ast.Sub: -1}.get(type(address.op), 0) if isinstance(address, ast.BinOp) else 0
        if name.startswith(("load", "store")) and sign and address not in self.consts \
                and -2048 <= sign * self.consts.get(address.right, 4096) < 2048:
            offset = sign * self.consts[address.right]    # load32(p + 4): lw 4(p); load8(p - 1): lbu -1(p)
            args = [self.value(address.left)] + [self.value(a) for a in node.args[1:]]
        else:
            args = [self.value(a) for a in node.args]
        dest = self.ir.new()
        if name == "hart_id":
            self.emit("mov", dest, "tp")     # compiled code keeps the hart index in tp
        elif name in ("image_start", "image_end"):
            self.emit("addr", dest, "__" + name)
        elif name.startswith("sfence_vma"):  # rs1 = the page (x0: all), rs2 = the ASID (x0: all)
            page = args[0] if name == "sfence_vma_page" else Imm(0)
            asid = args[0] if name == "sfence_vma_asid" else Imm(0)
            self.emit("sfence_vma", page, asid)
        elif name.startswith("load"):
            self.emit("load", self.types[node], dest, args[0], offset)
        elif name.startswith("store"):
            self.emit("store", self.types[node.args[1]], args[1], args[0], offset)
        elif name == "csr_read":
            self.emit("csrr", dest, args[0].value)
        elif name == "csr_write":
            self.emit("csrw", args[0].value, args[1])
        elif name in ("csr_set", "csr_clear"):
            self.emit("csrs" if name == "csr_set" else "csrc", args[0].value, args[1])
        elif name == "ecall":
            self.emit("ecall", dest, *args)
        elif name.startswith("amo"):
            self.emit("amo", name[:-2], "w" if name.endswith("32") else "d", dest, args[0], args[1])
        else:
            self.emit(name)
        return dest

    def args(self, node) -> list:
        """A function call's argument operands: scalars by value, records and arrays (borrowed
        or owned) by address."""
        return [self.value(a) if T.is_scalar(self.types[a]) or self.types[a] is T.BYTES else self.addr_of(a)
                for a in node.args]

    def addr_of(self, arg):
        """A record or array argument travels as its address in one register."""
        return self.address(self.place(arg))

    def address(self, where):
        """A place (base, offset) as one register."""
        base, off = where
        if off == 0:
            return base
        dest = self.ir.new()
        self.emit("bin", "+", T.U64, dest, base, Imm(off))
        return dest

    # ---- conditions -----------------------------------------------------------------------

    def branch(self, node, target, when):
        """Jump to `target` if the condition's truth equals `when`, else fall through."""
        if node in self.consts:
            if bool(self.consts[node]) == when:
                self.emit("jmp", target)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.branch(node.operand, target, not when)
            return
        if isinstance(node, ast.BoolOp):
            is_and = isinstance(node.op, ast.And)
            if is_and != when:        # and/jump-if-false or or/jump-if-true: any operand decides
                for value in node.values:
                    self.branch(value, target, when)
            else:
                skip = self.label()
                for value in node.values[:-1]:
                    self.branch(value, skip, not when)
                self.branch(node.values[-1], target, when)
                self.emit("label", skip)
            return
        if isinstance(node, ast.Compare):
            # a < b < c is a < b and b < c, with b evaluated once and c only if a < b holds
            ty, left = self.types[node.left], self.value(node.left)
            pairs = list(zip(node.ops, node.comparators))
            skip = self.label() if when and len(pairs) > 1 else None
            for k, (op, right_node) in enumerate(pairs):
                right = self.value(right_node)
                cmp = COMPARE[type(op)]
                if not when:
                    self.emit("br", NEGATE[cmp], ty, left, right, target)
                elif k < len(pairs) - 1:
                    self.emit("br", NEGATE[cmp], ty, left, right, skip)
                else:
                    self.emit("br", cmp, ty, left, right, target)
                left = right
            if skip:
                self.emit("label", skip)
            return
        v = self.value(node)
        self.emit("br", "!=" if when else "==", T.U64, v, Imm(0), target)


def lower_program(program) -> list[IRFunction]:
    """One IRFunction per compiled function of a checked Program, in program order."""
    return [Lowerer(program, func).lower() for func in program.funcs]
