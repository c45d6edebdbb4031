"""Type checking of expressions: types, untyped constants, constant folding, calls.

The half of the checker (check.py) that works on one expression at a time: `expr` gives a node
its type (`node.ty`) and, when known at compile time, its value (`node.const`); `coerce` gives
an untyped constant the type its context wants and otherwise insists on equal types; `call`
checks calls of functions, conversions and intrinsics. Mixing integer widths is an error that
names the conversion to write (docs/compiler-language.md).
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.errors import error_at
from downstairs.compiler.symbols import (
    LIT, Const, Var, Func, Builtin, ModuleRef, CONVERSIONS, INTRINSICS, PY_BUILTINS, ARITH, UNSUPPORTED,
    FOLD, COMPARE, CMP_FOLD)


class ExprChecker:
    """Needs from its subclass: module, func (or None), program, assigned, globals_declared,
    uses."""

    def note_use(self, var, node, how):
        """Every use of a variable, in source order: "read", "write" or "borrow" (a record or
        array passed to a function, or given a second name). The ownership rules of a later
        issue (moves, borrows for non-copyable types) check this sequence against var.state."""
        self.uses.append((var, how, node))

    def err(self, node, message):
        return error_at(node, message, self.module)

    def unsupported(self, node, where):
        return UNSUPPORTED.get(type(node), f"{type(node).__name__} is not supported {where}")

    def condition(self, node):
        ty = self.expr(node, T.BOOL)
        if not (ty is T.BOOL or ty.is_int() or ty is LIT):
            raise self.err(node, f"a condition must be bool or an integer, not {ty!r}")

    def coerce(self, node, ty):
        """Give an untyped constant the type its context wants, or insist on equal types."""
        if node.ty is LIT and ty.is_int():
            if not ty.fits(node.const):
                raise self.err(node, f"constant {node.const} does not fit in {ty!r}")
            node.ty = ty
        elif node.ty is not ty and not (node.ty == ty):
            hint = f" (convert with {ty!r}(...))" if ty.is_int() and T.is_scalar(node.ty) else ""
            raise self.err(node, f"expected {ty!r}, got {node.ty!r}{hint}")

    def unify(self, a, b, node):
        if a.ty is LIT and b.ty is LIT:
            return LIT
        if a.ty is LIT:
            self.coerce(a, b.ty)
            return b.ty
        if b.ty is LIT:
            self.coerce(b, a.ty)
            return a.ty
        if a.ty is not b.ty:
            raise self.err(node, f"mixing {a.ty!r} and {b.ty!r} needs an explicit conversion")
        return a.ty

    def shift_amount(self, node):
        if node.ty is LIT:
            if not 0 <= node.const < 64:
                raise self.err(node, "a shift amount must be 0..63")
            node.ty = T.U64
        elif not node.ty.is_int():
            raise self.err(node, "a shift amount must be an integer")

    def expr(self, node, expect=None):
        node.const = None
        ty = self.expr_inner(node, expect)
        node.ty = ty
        return ty

    def expr_inner(self, node, expect):
        kind = type(node)
        if kind is ast.Constant:
            v = node.value
            if isinstance(v, bool):
                node.const = int(v)
                return T.BOOL
            if isinstance(v, int):
                node.const = v
                return LIT
            if isinstance(v, bytes):
                node.bytes_index = len(self.program.bytes_consts)
                self.program.bytes_consts.append(v)
                return T.BYTES
            raise self.err(node, "strings are not supported: use bytes constants (b'...')" if isinstance(v, str)
                           else f"{type(v).__name__} constants are not supported")
        if kind in (ast.Name, ast.Attribute) and not (kind is ast.Attribute and self.is_field(node)):
            sym = self.lookup(node)
            node.sym = sym
            if isinstance(sym, Const) and sym.bytes_index is not None:
                node.bytes_index = sym.bytes_index
                return T.BYTES
            if isinstance(sym, Const):
                node.const = sym.value
                return LIT
            if isinstance(sym, Var):
                self.note_use(sym, node, "read")
                return sym.ty
            raise self.err(node, f"{ast.unparse(node)!r} is not a value")
        if kind is ast.Attribute:
            rec = self.expr(node.value)
            if not isinstance(rec, T.RecordType):
                raise self.err(node, f"a {rec!r} has no fields: cannot take .{node.attr}")
            if node.attr not in rec.fields:
                raise self.err(node, f"record {rec.name} has no field {node.attr!r}")
            node.field = rec.fields[node.attr]
            return node.field[0]
        if kind is ast.Subscript:
            base = self.expr(node.value)
            if not isinstance(base, T.ArrayType) and base is not T.BYTES:
                raise self.err(node.value, f"cannot index a {base!r}")
            index = self.expr(node.slice)
            if index is LIT:
                if isinstance(base, T.ArrayType) and not 0 <= node.slice.const < base.length:
                    raise self.err(node.slice, f"index {node.slice.const} is outside {base!r}")
                node.slice.ty = T.U64
            elif not index.is_int():
                raise self.err(node.slice, f"an index must be an integer, not {index!r}")
            return T.U8 if base is T.BYTES else base.elem
        if kind is ast.BinOp:
            op = ARITH.get(type(node.op))
            if op is None:
                raise self.err(node, "'/' is not supported: integers divide with '//'" if isinstance(node.op, ast.Div)
                               else f"operator {type(node.op).__name__} is not supported")
            node.opname = op
            self.expr(node.left, expect)
            if op in ("<<", ">>"):
                self.expr(node.right)
                self.shift_amount(node.right)
                ty = node.left.ty
                if ty is LIT and node.right.const is None:
                    self.coerce(node.left, expect if expect is not None and expect.is_int() else T.I64)
                    ty = node.left.ty
            else:
                self.expr(node.right, node.left.ty if node.left.ty.is_int() else expect)
                if node.left.ty.is_int() and node.right.ty.is_int() and node.left.ty is not node.right.ty:
                    self.expr(node.left, node.right.ty)   # a constant's type was guessed too early
                ty = self.unify(node.left, node.right, node)
            if not (ty is LIT or ty.is_int()):
                raise self.err(node, f"arithmetic needs integers, not {ty!r}")
            if node.left.const is not None and node.right.const is not None:
                if op in ("//", "%") and node.right.const == 0:
                    raise self.err(node, "division by zero")
                value = FOLD[op](node.left.const, node.right.const)
                node.const = value if ty is LIT else ty.wrap(value)
            return ty
        if kind is ast.UnaryOp:
            ty = self.expr(node.operand, expect)
            if isinstance(node.op, ast.Not):
                if not (ty is T.BOOL or ty is LIT or ty.is_int()):
                    raise self.err(node, f"'not' needs bool or an integer, not {ty!r}")
                if node.operand.const is not None:
                    node.const = int(not node.operand.const)
                return T.BOOL
            if not (ty is LIT or ty.is_int()):
                raise self.err(node, f"arithmetic needs integers, not {ty!r}")
            if node.operand.const is not None:
                value = {ast.USub: lambda v: -v, ast.UAdd: lambda v: v, ast.Invert: lambda v: ~v}[type(node.op)](
                    node.operand.const)
                node.const = value if ty is LIT else ty.wrap(value)
            return ty
        if kind is ast.BoolOp:
            for value in node.values:
                if self.expr(value, T.BOOL) is not T.BOOL:
                    raise self.err(value, "'and'/'or' need bool operands (compare integers with != 0)")
            return T.BOOL
        if kind is ast.Compare:
            left = node.left
            self.expr(left)
            consts = True
            for op, right in zip(node.ops, node.comparators):
                if type(op) not in COMPARE:
                    raise self.err(node, f"comparison {type(op).__name__} is not supported")
                self.expr(right, left.ty if left.ty is not LIT else None)
                ty = self.unify(left, right, node)
                if ty is T.BOOL and type(op) not in (ast.Eq, ast.NotEq):
                    raise self.err(node, "bools compare with == and != only")
                if not (ty is LIT or ty.is_int() or ty is T.BOOL):
                    raise self.err(node, f"cannot compare {ty!r} values")
                consts = consts and left.const is not None and right.const is not None
                left = right
            if node.left.ty is LIT:
                self.coerce(node.left, node.comparators[0].ty if node.comparators[0].ty is not LIT else T.I64)
            for c in node.comparators:
                if c.ty is LIT:
                    self.coerce(c, node.left.ty)
            if consts:
                values = [node.left.const] + [c.const for c in node.comparators]
                node.const = int(all(CMP_FOLD[COMPARE[type(op)]](a, b)
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
        return not (isinstance(node.value, ast.Name) and isinstance(self.resolve(node.value.id), ModuleRef))

    def resolve(self, name):
        if self.func is not None:
            if name in self.func.locals:
                return self.func.locals[name]
        found = self.module.names.get(name)
        if found is None and name in PY_BUILTINS:
            return Builtin(name)
        return found

    def lookup(self, node):
        if isinstance(node, ast.Name):
            if self.func is not None and node.id in self.assigned and node.id not in self.globals_declared \
                    and node.id not in self.func.locals:
                raise self.err(node, f"{node.id!r} is used before it is assigned")
            sym = self.resolve(node.id)
            if sym is None:
                raise self.err(node, f"unknown name {node.id!r}")
            return sym
        ref = self.resolve(node.value.id)
        sym = ref.module.names.get(node.attr)
        if sym is None:
            raise self.err(node, f"module {ref.module.name!r} has no name {node.attr!r}")
        return sym

    def call(self, node, expect):
        if node.keywords:
            raise self.err(node, "keyword arguments are not supported")
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            raise self.err(node, "call a function by its name")
        callee = self.lookup(node.func)
        args = node.args
        if isinstance(callee, Func):
            params, result = callee.ftype.params, callee.ftype.result
            if len(args) != len(params):
                raise self.err(node, f"{callee.name}() takes {len(params)} arguments, not {len(args)}")
            for arg, (pname, pty) in zip(args, params):
                self.expr(arg, pty)
                self.coerce(arg, pty)
                if not pty.copyable and isinstance(getattr(arg, "sym", None), Var):
                    self.note_use(arg.sym, arg, "borrow")      # the callee sees the caller's storage
            node.target = callee
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
                self.coerce(args[0], T.I64 if T.I64.fits(args[0].const) else T.U64)
            elif not T.is_scalar(aty):
                raise self.err(args[0], f"cannot convert a {aty!r} to {name}")
            if args[0].const is not None:
                node.const = int(bool(args[0].const)) if ty is T.BOOL else ty.wrap(args[0].const)
            node.target = ("conv", ty)
            return ty
        if name == "len":
            if len(args) != 1:
                raise self.err(node, "len() takes one array")
            aty = self.expr(args[0])
            if isinstance(aty, T.ArrayType):
                node.const = aty.length
                node.target = ("len", None)
                return LIT
            if aty is T.BYTES:
                node.target = ("len", None)
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
                    if arg.const is None or not 0 <= arg.const < 4096:
                        raise self.err(arg, "a CSR number must be a constant 0..4095")
                    arg.ty = T.U64
                else:
                    self.coerce(arg, pty)
                    if not pty.copyable and isinstance(getattr(arg, "sym", None), Var):
                        self.note_use(arg.sym, arg, "borrow")
            node.target = ("intrinsic", name)
            return result
        raise self.err(node, f"{name}() cannot be called here")

    def address_of(self, node):
        """addr(x): the address (u64) of a record or array (a variable, field or element) or of
        a function; node.target says which: ("addr", "place") or ("addr", Func)."""
        if len(node.args) != 1:
            raise self.err(node, "addr() takes one record, array or function")
        arg = node.args[0]
        if isinstance(arg, (ast.Name, ast.Attribute)) and not (isinstance(arg, ast.Attribute) and self.is_field(arg)):
            sym = self.lookup(arg)
            if isinstance(sym, Func):
                arg.sym, arg.ty, arg.const = sym, T.VOID, None
                node.target = ("addr", sym)
                return T.U64
        ty = self.expr(arg)
        if ty.copyable or ty is T.BYTES:
            raise self.err(arg, f"addr() of a {ty!r}: only records, arrays and functions have an address")
        if isinstance(getattr(arg, "sym", None), Var):
            self.note_use(arg.sym, arg, "borrow")
        node.target = ("addr", "place")
        return T.U64
