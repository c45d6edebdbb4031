"""Type checking of expressions: types, untyped constants, constant folding, calls.

The half of the checker (check.py) that works on one expression at a time: `expr` records a
node's type (`types[node]`) and, when known at compile time, its value (`consts[node]`);
`coerce` gives an untyped constant the type its context wants and otherwise insists on equal
types; `call` checks calls of functions, conversions and intrinsics. Mixing integer widths is
an error that names the conversion to write (docs/compiler-language.md). The tables are the
Program's (check.py); nothing is stored on the `ast` nodes.
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.errors import error_at
from downstairs.compiler.symbols import (
    LIT, Const, Var, Func, Builtin, ModuleRef, CONVERSIONS, INTRINSICS, PY_BUILTINS, ARITH, UNSUPPORTED,
    FOLD, UNARY_FOLD, COMPARE, CMP_FOLD, TRAP_FRAME)


class ExprChecker:
    """Needs from its subclass: module, func (or None), program, assigned, globals_declared, and
    the program's tables under the names types, consts, symbols, fields, calls, strings."""

    def err(self, node, message):
        """A CompileError pointing at `node` in the module being checked (raise it)."""
        return error_at(node, message, self.module)

    def unsupported(self, node, where):
        """The message for a construct outside the language (symbols.UNSUPPORTED)."""
        return UNSUPPORTED.get(type(node), f"{type(node).__name__} is not supported {where}")

    def condition(self, node):
        """Check the test of an if, while, assert or conditional: a bool or an integer."""
        ty = self.expr(node, T.BOOL)
        if not (ty is T.BOOL or ty.is_int() or ty is LIT):
            raise self.err(node, f"a condition must be bool or an integer, not {ty!r}")

    def coerce(self, node, ty):
        """Give an untyped constant the type its context wants, or insist on equal types."""
        have = self.types[node]
        if have is LIT and ty.is_int():
            if not ty.fits(self.consts[node]):
                raise self.err(node, f"constant {self.consts[node]} does not fit in {ty!r}")
            self.types[node] = ty
        elif have is not ty and not (have == ty):
            hint = f" (convert with {ty!r}(...))" if ty.is_int() and T.is_scalar(have) else ""
            raise self.err(node, f"expected {ty!r}, got {have!r}{hint}")

    def unify(self, a, b, node):
        """The common type of two checked operands (an untyped one takes the other's type);
        different typed operands are an error at `node`."""
        aty, bty = self.types[a], self.types[b]
        if aty is LIT and bty is LIT:
            return LIT
        if aty is LIT:
            self.coerce(a, bty)
            return bty
        if bty is LIT:
            self.coerce(b, aty)
            return aty
        if aty is not bty:
            raise self.err(node, f"mixing {aty!r} and {bty!r} needs an explicit conversion")
        return aty

    def shift_amount(self, node):
        """A checked shift amount: any integer type; an untyped constant must be 0..63 and is
        given type u64."""
        if self.types[node] is LIT:
            if not 0 <= self.consts[node] < 64:
                raise self.err(node, "a shift amount must be 0..63")
            self.types[node] = T.U64
        elif not self.types[node].is_int():
            raise self.err(node, "a shift amount must be an integer")

    def expr(self, node, expect=None):
        """Check an expression: record its type (returned too) and its compile-time value, if
        any. `expect` is the type the context wants, a hint for untyped constants only."""
        self.consts.pop(node, None)
        ty = self.expr_inner(node, expect)
        self.types[node] = ty
        return ty

    def expr_inner(self, node, expect):
        """The type of `node`, its parts checked; sets consts[node] when the value is known."""
        kind = type(node)
        types, consts = self.types, self.consts
        if kind is ast.Constant:
            v = node.value
            if isinstance(v, bool):
                consts[node] = int(v)
                return T.BOOL
            if isinstance(v, int):
                consts[node] = v
                return LIT
            if isinstance(v, bytes):
                self.strings[node] = len(self.program.bytes_consts)
                self.program.bytes_consts.append(v)
                return T.BYTES
            raise self.err(node, "strings are not supported: use bytes constants (b'...')" if isinstance(v, str)
                           else f"{type(v).__name__} constants are not supported")
        if kind in (ast.Name, ast.Attribute) and not (kind is ast.Attribute and self.is_field(node)):
            sym = self.lookup(node)
            self.symbols[node] = sym
            if isinstance(sym, Const) and sym.bytes_index is not None:
                self.strings[node] = sym.bytes_index
                return T.BYTES
            if isinstance(sym, Const):
                consts[node] = sym.value
                return LIT
            if isinstance(sym, Var):
                return sym.ty
            raise self.err(node, f"{ast.unparse(node)!r} is not a value")
        if kind is ast.Attribute:
            rec = self.expr(node.value)
            if not isinstance(rec, T.RecordType):
                raise self.err(node, f"a {rec!r} has no fields: cannot take .{node.attr}")
            if node.attr not in rec.fields:
                raise self.err(node, f"record {rec.name} has no field {node.attr!r}")
            self.fields[node] = rec.fields[node.attr]
            return rec.fields[node.attr][0]
        if kind is ast.Subscript:
            base = self.expr(node.value)
            if not isinstance(base, T.ArrayType) and base is not T.BYTES:
                raise self.err(node.value, f"cannot index a {base!r}")
            index = self.expr(node.slice)
            if index is LIT:
                if isinstance(base, T.ArrayType) and not 0 <= consts[node.slice] < base.length:
                    raise self.err(node.slice, f"index {consts[node.slice]} is outside {base!r}")
                types[node.slice] = T.U64
            elif not index.is_int():
                raise self.err(node.slice, f"an index must be an integer, not {index!r}")
            return T.U8 if base is T.BYTES else base.elem
        if kind is ast.BinOp:
            op = ARITH.get(type(node.op))
            if op is None:
                raise self.err(node, "'/' is not supported: integers divide with '//'" if isinstance(node.op, ast.Div)
                               else f"operator {type(node.op).__name__} is not supported")
            left, right = node.left, node.right
            self.expr(left, expect)
            if op in ("<<", ">>"):
                self.expr(right)
                self.shift_amount(right)
                ty = types[left]
                if ty is LIT and right not in consts:
                    self.coerce(left, expect if expect is not None and expect.is_int() else T.I64)
                    ty = types[left]
            else:
                self.expr(right, types[left] if types[left].is_int() else expect)
                if types[left].is_int() and types[right].is_int() and types[left] is not types[right]:
                    self.expr(left, types[right])   # a constant's type was guessed too early
                ty = self.unify(left, right, node)
            if not (ty is LIT or ty.is_int()):
                raise self.err(node, f"arithmetic needs integers, not {ty!r}")
            if left in consts and right in consts:
                if op in ("//", "%") and consts[right] == 0:
                    raise self.err(node, "division by zero")
                value = FOLD[op](consts[left], consts[right])
                consts[node] = value if ty is LIT else ty.wrap(value)
            return ty
        if kind is ast.UnaryOp:
            ty = self.expr(node.operand, expect)
            if isinstance(node.op, ast.Not):
                if not (ty is T.BOOL or ty is LIT or ty.is_int()):
                    raise self.err(node, f"'not' needs bool or an integer, not {ty!r}")
                if node.operand in consts:
                    consts[node] = int(not consts[node.operand])
                return T.BOOL
            if not (ty is LIT or ty.is_int()):
                raise self.err(node, f"arithmetic needs integers, not {ty!r}")
            if node.operand in consts:
                value = UNARY_FOLD[type(node.op)](consts[node.operand])
                consts[node] = value if ty is LIT else ty.wrap(value)
            return ty
        if kind is ast.BoolOp:
            for value in node.values:
                if self.expr(value, T.BOOL) is not T.BOOL:
                    raise self.err(value, "'and'/'or' need bool operands (compare integers with != 0)")
            return T.BOOL
        if kind is ast.Compare:
            left = node.left
            self.expr(left)
            known = True
            for op, right in zip(node.ops, node.comparators):
                if type(op) not in COMPARE:
                    raise self.err(node, f"comparison {type(op).__name__} is not supported")
                self.expr(right, types[left] if types[left] is not LIT else None)
                ty = self.unify(left, right, node)
                if ty is T.BOOL and type(op) not in (ast.Eq, ast.NotEq):
                    raise self.err(node, "bools compare with == and != only")
                if not (ty is LIT or ty.is_int() or ty is T.BOOL):
                    raise self.err(node, f"cannot compare {ty!r} values")
                known = known and left in consts and right in consts
                left = right
            first = node.comparators[0]
            if types[node.left] is LIT:
                self.coerce(node.left, types[first] if types[first] is not LIT else T.I64)
            for c in node.comparators:
                if types[c] is LIT:
                    self.coerce(c, types[node.left])
            if known:
                values = [consts[node.left]] + [consts[c] for c in node.comparators]
                consts[node] = int(all(CMP_FOLD[COMPARE[type(op)]](a, b)
                                       for op, a, b in zip(node.ops, values, values[1:])))
            return T.BOOL
        if kind is ast.IfExp:
            self.condition(node.test)
            self.expr(node.body, expect)
            self.expr(node.orelse, expect)
            ty = self.unify(node.body, node.orelse, node)
            if ty is LIT:                  # two constants: the type the context wants, else int
                ty = expect if expect is not None and expect.is_int() else T.I64
                self.coerce(node.body, ty)
                self.coerce(node.orelse, ty)
            if not T.is_scalar(ty):
                raise self.err(node, "a conditional expression chooses between integers")
            return ty
        if kind is ast.Call:
            return self.call(node, expect)
        raise self.err(node, self.unsupported(node, "here"))

    def is_field(self, node):
        """Whether an Attribute is a record field (p.x) rather than a module's name (uart.putc,
        pkg.mod.putc)."""
        return self.module_of(node.value) is None

    def module_of(self, node):
        """The ModuleRef that a name or a dotted name (`import pkg.mod` binds `pkg.mod`) stands
        for here, or None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        found = self.resolve(node.id) if not parts else self.module.names.get(".".join([node.id, *reversed(parts)]))
        return found if isinstance(found, ModuleRef) else None

    def resolve(self, name):
        """What a bare name stands for here (local, module name, Python built-in), or None."""
        if self.func is not None:
            if name in self.func.locals:
                return self.func.locals[name]
        found = self.module.names.get(name)
        if found is None and name in PY_BUILTINS:
            return Builtin(name)
        return found

    def lookup(self, node):
        """The symbol a Name or a module's Attribute names; an unknown name, or a local read
        before its first assignment, is an error."""
        if isinstance(node, ast.Name):
            if self.func is not None and node.id in self.assigned and node.id not in self.globals_declared \
                    and node.id not in self.func.locals:
                raise self.err(node, f"{node.id!r} is used before it is assigned")
            sym = self.resolve(node.id)
            if sym is None:
                raise self.err(node, f"unknown name {node.id!r}")
            return sym
        ref = self.module_of(node.value)
        sym = ref.module.names.get(node.attr)
        if sym is None:
            raise self.err(node, f"module {ref.module.name!r} has no name {node.attr!r}")
        return sym

    def call(self, node, expect):
        """The result type of a call; records what it calls in calls[node]: a Func,
        ("conv", type), ("len", None) or ("intrinsic", name)."""
        if node.keywords:
            raise self.err(node, "keyword arguments are not supported")
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise self.err(node, "call a function by its name")
        if isinstance(node.func, ast.Attribute) and self.is_field(node.func):
            raise self.err(node, f"{ast.unparse(node.func)!r} is not a function: records have no methods")
        callee = self.lookup(node.func)
        args = node.args
        if isinstance(callee, Func):
            params, result = callee.ftype.params, callee.ftype.result
            if len(args) != len(params):
                raise self.err(node, f"{callee.name}() takes {len(params)} arguments, not {len(args)}")
            for arg, (pname, pty) in zip(args, params):
                self.expr(arg, pty)
                self.coerce(arg, pty)
            self.calls[node] = callee
            return result
        if isinstance(callee, T.RecordType) or (isinstance(callee, Builtin) and callee.name == "array"):
            raise self.err(node, "records and arrays are created only as a variable's initial value")
        if not isinstance(callee, Builtin):
            raise self.err(node, f"{ast.unparse(node.func)!r} is not a function")
        name = callee.name
        if name in CONVERSIONS:
            ty = CONVERSIONS[name]
            if len(args) != 1:
                raise self.err(node, f"{name}() converts one value")
            aty = self.expr(args[0])
            if aty is LIT:
                self.coerce(args[0], T.I64 if T.I64.fits(self.consts[args[0]]) else T.U64)
            elif not T.is_scalar(aty):
                raise self.err(args[0], f"cannot convert a {aty!r} to {name}")
            if args[0] in self.consts:
                value = self.consts[args[0]]
                self.consts[node] = int(bool(value)) if ty is T.BOOL else ty.wrap(value)
            self.calls[node] = ("conv", ty)
            return ty
        if name == "len":
            if len(args) != 1:
                raise self.err(node, "len() takes one array")
            aty = self.expr(args[0])
            if isinstance(aty, T.ArrayType):
                self.consts[node] = aty.length
                self.calls[node] = ("len", None)
                return LIT
            if aty is T.BYTES:
                self.calls[node] = ("len", None)
                return T.U64
            raise self.err(args[0], f"len() of a {aty!r}")
        if name == "addr":
            return self.address_of(node)
        if name in INTRINSICS:
            params, result = INTRINSICS[name]
            if len(args) != len(params):
                raise self.err(node, f"{name}() takes {len(params)} arguments, not {len(args)}")
            for arg, pty in zip(args, params):
                self.expr(arg, None if pty == "csr" else pty)
                if pty == "csr":
                    if arg not in self.consts or not 0 <= self.consts[arg] < 4096:
                        raise self.err(arg, "a CSR number must be a constant 0..4095")
                    self.types[arg] = T.U64
                else:
                    self.coerce(arg, pty)
            if name == "trap_return":
                self.check_scratch_frame(args[0])
            self.calls[node] = ("intrinsic", name)
            return result
        raise self.err(node, f"{name}() cannot be called here")

    def check_scratch_frame(self, arg) -> None:
        """With a @supervisor_syscall handler that takes a record R, the frame trap_return
        leaves for must be R's first field (of an R): the next system call's frame is then an R's."""
        handler = next((f for f in self.program.funcs if f.syscall), None)
        if handler is None or handler.ftype.params[0][1] is TRAP_FRAME:
            return
        record = handler.ftype.params[0][1]
        first = next(iter(record.fields))
        if not (isinstance(arg, ast.Attribute) and arg.attr == first and self.types.get(arg.value) is record):
            raise self.err(arg, f"trap_return() here must leave for the {first!r} of a {record.name} "
                                f"(the record the system-call handler {handler.name!r} takes)")

    def address_of(self, node):
        """addr(x): the address (u64) of a record or array (a variable, field or element), of
        a function, or of a bytes value's first byte; calls[node] says which: ("addr",
        "place"), ("addr", Func) or ("addr", "bytes")."""
        if len(node.args) != 1:
            raise self.err(node, "addr() takes one record, array, function or bytes value")
        arg = node.args[0]
        if isinstance(arg, (ast.Name, ast.Attribute)) and not (isinstance(arg, ast.Attribute) and self.is_field(arg)):
            sym = self.lookup(arg)
            if isinstance(sym, Func):
                self.symbols[arg], self.types[arg] = sym, T.VOID
                self.calls[node] = ("addr", sym)
                return T.U64
        ty = self.expr(arg)
        if ty is T.BYTES:
            self.calls[node] = ("addr", "bytes")
            return T.U64
        if ty.copyable:
            raise self.err(arg, f"addr() of a {ty!r}: only records, arrays, functions and bytes have an address")
        self.calls[node] = ("addr", "place")
        return T.U64
