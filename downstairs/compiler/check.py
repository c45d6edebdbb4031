"""The type checker: resolves names and gives every expression of the program a type.

Works on Python's `ast` and annotates it in place for the later passes:
  expr.ty     its Type (LIT for an integer constant not yet given a type by its context)
  expr.const  its value when known at compile time (constant folding), else None
  Name/Attribute.sym   the Var, Const or Func it names;  Attribute.field  (type, offset)
  Call.target  a Func, ("conv", type), ("intrinsic", name) or ("len", None)
The language (docs/compiler-language.md): fixed-width integers that never mix without an
explicit conversion, records and fixed-size arrays passed by reference, static storage only.
Anything else is a CompileError at the offending node.

Each Var records how it is bound (`kind`) and keeps a `state` slot: the ownership checker of a
later issue (move, borrow) will track it there for the types whose `copyable` flag is False.
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.errors import error_at
from downstairs.compiler.modules import RUNTIME


class LiteralType(T.Type):
    def __repr__(self) -> str:
        return "int"


LIT = LiteralType()


class Const:
    def __init__(self, name, value):
        self.name, self.value = name, value


class Var:
    def __init__(self, name, ty, kind, symbol=None, init=None):
        self.name, self.ty, self.kind = name, ty, kind       # kind: param, local, global
        self.symbol, self.init = symbol, init                # globals: ELF symbol, initial value
        self.state = "live"                                  # for the ownership checker to come


class Func:
    def __init__(self, name, module, node, ftype):
        self.name, self.module, self.node, self.ftype = name, module, node, ftype
        self.symbol = name
        self.address = None          # @at(ADDR): fixed placement
        self.locals: dict[str, Var] = {}


class Builtin:
    def __init__(self, name):
        self.name = name


class ModuleRef:
    def __init__(self, module):
        self.module = module


CONVERSIONS = {n: t for n, t in T.TYPE_NAMES.items() if t.is_int() or t is T.BOOL}
# intrinsic -> (parameter types, result type); "csr" marks a compile-time CSR number
INTRINSICS = {
    "load8": ([T.U64], T.U8), "load16": ([T.U64], T.U16), "load32": ([T.U64], T.U32),
    "load64": ([T.U64], T.U64),
    "store8": ([T.U64, T.U8], T.VOID), "store16": ([T.U64, T.U16], T.VOID),
    "store32": ([T.U64, T.U32], T.VOID), "store64": ([T.U64, T.U64], T.VOID),
    "csr_read": (["csr"], T.U64), "csr_write": (["csr", T.U64], T.VOID),
    "ecall": ([T.U64, T.U64, T.U64, T.U64], T.U64),
    "wfi": ([], T.VOID), "fence": ([], T.VOID), "fence_i": ([], T.VOID),
}
BUILTINS = set(CONVERSIONS) | set(INTRINSICS) | {"int", "Array", "array", "record", "at", "len", "range"}
PY_BUILTINS = {"len", "range", "int", "bool"}      # usable without an import, as in Python
ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
         ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
UNSUPPORTED = {
    ast.Try: "exceptions are not supported", ast.Raise: "exceptions are not supported",
    ast.With: "'with' is not supported", ast.Lambda: "lambdas are not supported",
    ast.Dict: "dicts are not supported", ast.DictComp: "dicts are not supported",
    ast.Set: "sets are not supported", ast.List: "lists are not supported: use array(T, n)",
    ast.ListComp: "list comprehensions are not supported", ast.Tuple: "tuples are not supported",
    ast.GeneratorExp: "generators are not supported", ast.Yield: "generators are not supported",
    ast.YieldFrom: "generators are not supported", ast.Await: "async is not supported",
    ast.JoinedStr: "f-strings are not supported", ast.Delete: "'del' is not supported",
    ast.Nonlocal: "nested functions are not supported", ast.AsyncFunctionDef: "async is not supported",
    ast.FunctionDef: "nested functions are not supported", ast.ClassDef: "classes inside functions are not supported",
    ast.Import: "imports belong at module level", ast.ImportFrom: "imports belong at module level",
    ast.Starred: "starred expressions are not supported", ast.NamedExpr: "':=' is not supported",
    ast.Match: "'match' is not supported", ast.Slice: "slices are not supported",
}
FOLD = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "//": lambda a, b: a // b, "%": lambda a, b: a % b, "&": lambda a, b: a & b,
        "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "<<": lambda a, b: a << b,
        ">>": lambda a, b: a >> b}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
CMP_FOLD = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class Program:
    def __init__(self, modules):
        self.modules = modules
        self.funcs: list[Func] = []
        self.globals: list[Var] = []
        self.bytes_consts: list[bytes] = []


class Checker:
    def __init__(self, modules):
        self.program = Program(modules)
        self.module = None
        self.func = None
        self.loops = 0

    def err(self, node, message):
        return error_at(node, message, self.module)

    # ---- module level ---------------------------------------------------------------------

    def run(self) -> Program:
        for module in self.program.modules:
            self.module = module
            self.declare(module)
        for func in self.program.funcs:
            self.module = func.module
            self.check_function(func)
        self.name_symbols()
        return self.program

    def name_symbols(self):
        """ELF symbol names: the plain name where it is unique, else module.name."""
        counts: dict[str, int] = {}
        for item in self.program.funcs + self.program.globals:
            counts[item.name] = counts.get(item.name, 0) + 1
        for item in self.program.funcs + self.program.globals:
            mod = item.module.name if isinstance(item, Func) else item.symbol
            item.symbol = item.name if counts[item.name] == 1 else f"{mod}.{item.name}"

    def declare(self, module):
        names = module.names
        later = []
        for i, node in enumerate(module.tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == RUNTIME:
                        raise self.err(node, f"use 'from {RUNTIME} import ...'")
                    target = next(m for m in self.program.modules if m.name == alias.name)
                    names[alias.asname or alias.name] = ModuleRef(target)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        raise self.err(node, "'import *' is not supported: name what you import")
                    if node.module == RUNTIME:
                        if alias.name not in BUILTINS:
                            raise self.err(node, f"{RUNTIME} has no built-in {alias.name!r}")
                        names[alias.asname or alias.name] = Builtin(alias.name)
                    else:
                        other = next(m for m in self.program.modules if m.name == node.module)
                        if alias.name not in other.names:
                            raise self.err(node, f"module {node.module!r} has no name {alias.name!r}")
                        names[alias.asname or alias.name] = other.names[alias.name]
            elif isinstance(node, ast.ClassDef):
                names[node.name] = self.declare_record(node)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) and not self.is_storage(node.value):
                self.expr(node.value)
                if node.value.const is None or node.value.ty not in (LIT, T.BOOL):
                    raise self.err(node.value, "a module-level constant must be an integer known at compile time")
                names[node.targets[0].id] = Const(node.targets[0].id, node.value.const)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and i == 0:
                pass          # the module docstring
            elif isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'":
                pass          # how the file runs under CPython: ignored when compiling
            else:
                later.append(node)
        for node in later:
            if isinstance(node, ast.FunctionDef):
                names[node.name] = self.declare_function(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self.declare_global(node)
            else:
                raise self.err(node, self.unsupported(node, "at module level"))

    def unsupported(self, node, where):
        return UNSUPPORTED.get(type(node), f"{type(node).__name__} is not supported {where}")

    def declare_record(self, node):
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if decorators != ["record"] or node.bases or node.keywords:
            raise self.err(node, "classes are records only: '@record' and typed fields, no bases")
        fields = []
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is None:
                fields.append((item.target.id, self.type_of(item.annotation)))
            elif isinstance(item, ast.Pass) or (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)):
                pass
            elif isinstance(item, ast.FunctionDef):
                raise self.err(item, "records have fields only: methods are not supported")
            else:
                raise self.err(item, "a record body holds typed fields ('name: type') only")
        return T.RecordType(node.name, fields)

    def declare_function(self, node):
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            raise self.err(node, "functions take plain positional parameters only")
        params = []
        for a in args.args:
            if a.annotation is None:
                raise self.err(a, f"parameter {a.arg!r} needs a type annotation")
            params.append((a.arg, self.type_of(a.annotation)))
        result = T.VOID if node.returns is None else self.type_of(node.returns)
        if not (result is T.VOID or T.is_scalar(result)):
            raise self.err(node.returns, "functions return integers, bool or None only")
        if len(params) > 8:
            raise self.err(node, "at most 8 parameters (they travel in a0..a7)")
        func = Func(node.name, self.module, node, T.FuncType(params, result))
        for d in node.decorator_list:
            if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "at" and len(d.args) == 1:
                self.expr(d.args[0])
                if d.args[0].const is None:
                    raise self.err(d, "@at needs a constant address")
                func.address = d.args[0].const
            else:
                raise self.err(d, "the only function decorator is @at(ADDRESS)")
        self.program.funcs.append(func)
        return func

    def is_storage(self, value):
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
            value.func.id == "array" or isinstance(self.module.names.get(value.func.id), T.RecordType))

    def declare_global(self, node):
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if (isinstance(node, ast.Assign) and len(node.targets) != 1) or not isinstance(target, ast.Name):
            raise self.err(node, "module-level assignment to one name only")
        declared = self.type_of(node.annotation) if isinstance(node, ast.AnnAssign) else None
        if node.value is None:
            raise self.err(node, "a global needs an initial value")
        if self.is_storage(node.value):
            ty = self.storage(node.value)
            if declared is not None and declared != ty:
                raise self.err(node, f"declared {declared!r} but initialised with {ty!r}")
            init = self.record_bytes(ty, node.value.args) if node.value.args and isinstance(ty, T.RecordType) else None
        else:
            if declared is None:
                raise self.err(node, "internal: unannotated global")
            self.expr(node.value, declared)
            self.coerce(node.value, declared)
            if node.value.const is None:
                raise self.err(node.value, "a global's initial value must be known at compile time")
            ty, init = declared, node.value.const
        var = Var(target.id, ty, "global", symbol=self.module.name, init=init)
        var.module = self.module
        self.program.globals.append(var)
        self.module.names[target.id] = var

    def record_bytes(self, rec, args):
        """The initial bytes of a global record built from constants (little-endian fields)."""
        blob = bytearray(rec.size)
        for arg, (ftype, offset) in zip(args, rec.fields.values()):
            if arg.const is None:
                raise self.err(arg, "a global record's fields must be constants")
            blob[offset:offset + ftype.size] = (arg.const & ((1 << (8 * ftype.size)) - 1)).to_bytes(ftype.size, "little")
        return bytes(blob)

    def storage(self, call):
        """The type of an `array(T, n)` or `Record(...)` initialiser (zero filled)."""
        if call.keywords:
            raise self.err(call, "keyword arguments are not supported")
        if call.func.id == "array":
            if len(call.args) != 2:
                raise self.err(call, "array(T, n) takes an element type and a length")
            elem = self.type_of(call.args[0])
            self.expr(call.args[1])
            n = call.args[1].const
            if n is None or n <= 0:
                raise self.err(call.args[1], "an array length must be a positive constant")
            return T.ArrayType(elem, n)
        rec = self.module.names[call.func.id]
        if len(call.args) > len(rec.fields):
            raise self.err(call, f"{rec.name} has {len(rec.fields)} fields")
        for arg, (ftype, _) in zip(call.args, rec.fields.values()):
            if not T.is_scalar(ftype):
                raise self.err(arg, "only integer fields can be given in a record constructor")
            self.expr(arg, ftype)
            self.coerce(arg, ftype)
        return rec

    def type_of(self, node):
        """The type an annotation names."""
        if isinstance(node, ast.Constant) and node.value is None:
            return T.VOID
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Array":
            if not (isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2):
                raise self.err(node, "Array[T, n] names an element type and a length")
            elem = self.type_of(node.slice.elts[0])
            self.expr(node.slice.elts[1])
            n = node.slice.elts[1].const
            if n is None or n <= 0:
                raise self.err(node.slice.elts[1], "an array length must be a positive constant")
            return T.ArrayType(elem, n)
        sym = None
        if isinstance(node, ast.Name):
            if node.id in T.TYPE_NAMES and isinstance(self.module.names.get(node.id, Builtin(node.id)), Builtin):
                return T.TYPE_NAMES[node.id]
            sym = self.module.names.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and isinstance(self.module.names.get(node.value.id), ModuleRef):
            sym = self.module.names[node.value.id].module.names.get(node.attr)
        if isinstance(sym, T.RecordType):
            return sym
        raise self.err(node, f"{ast.unparse(node)!r} is not a type of the language")

    # ---- functions ------------------------------------------------------------------------

    def check_function(self, func):
        self.func = func
        node = func.node
        self.globals_declared = set()
        self.assigned = set()
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                self.assigned |= {t.id for t in targets if isinstance(t, ast.Name)}
            elif isinstance(sub, ast.Global):
                self.globals_declared |= set(sub.names)
        for name, ty in func.ftype.params:
            func.locals[name] = Var(name, ty, "param")
        self.block(node.body)
        if func.ftype.result is not T.VOID and not self.terminates(node.body):
            raise self.err(node, f"function {func.name!r} can end without returning a {func.ftype.result!r}")

    def terminates(self, body):
        if not body:
            return False
        last = body[-1]
        if isinstance(last, ast.Return):
            return True
        if isinstance(last, ast.If):
            return self.terminates(last.body) and self.terminates(last.orelse)
        if isinstance(last, ast.While):
            return last.test.const is not None and bool(last.test.const) and \
                not any(isinstance(n, ast.Break) for n in ast.walk(last))
        if isinstance(last, ast.Assert):
            return last.test.const is not None and not last.test.const
        return False

    def block(self, body):
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node):
        kind = type(node)
        if kind is ast.Expr:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return      # a docstring or comment string
            if type(node.value) in UNSUPPORTED:
                raise self.err(node.value, self.unsupported(node.value, "here"))
            if not isinstance(node.value, ast.Call):
                raise self.err(node, "an expression statement must be a call")
            self.expr(node.value)
        elif kind is ast.Assign and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple):
            names, values = node.targets[0].elts, node.value
            if not (isinstance(values, ast.Tuple) and len(values.elts) == len(names)
                    and all(isinstance(n, ast.Name) and n.id in self.func.locals for n in names)):
                raise self.err(node, "tuple assignment is only 'a, b = x, y' between existing local variables")
            for name, value in zip(names, values.elts):
                var = self.func.locals[name.id]
                if not T.is_scalar(var.ty):
                    raise self.err(name, "tuple assignment moves integers only")
                name.sym, name.ty, name.const = var, var.ty, None
                self.expr(value, var.ty)
                self.coerce(value, var.ty)
        elif kind is ast.Assign:
            if len(node.targets) != 1:
                raise self.err(node, "chained assignment is not supported")
            self.assign(node.targets[0], node.value, None, node)
        elif kind is ast.AnnAssign:
            if node.value is None:
                raise self.err(node, "a variable needs an initial value")
            self.assign(node.target, node.value, self.type_of(node.annotation), node)
        elif kind is ast.AugAssign:
            if type(node.op) not in ARITH:
                raise self.err(node, "'/' is not supported: integers divide with '//'")
            ty = self.target(node.target)
            if not ty.is_int():
                raise self.err(node.target, f"augmented assignment needs an integer, not {ty!r}")
            self.expr(node.value, ty)
            if ARITH[type(node.op)] in ("<<", ">>"):
                self.shift_amount(node.value)
            else:
                self.coerce(node.value, ty)
        elif kind in (ast.If, ast.While):
            self.condition(node.test)
            if kind is ast.While:
                if node.orelse:
                    raise self.err(node, "'while ... else' is not supported")
                self.loops += 1
                self.block(node.body)
                self.loops -= 1
            else:
                self.block(node.body)
                self.block(node.orelse)
        elif kind is ast.For:
            self.for_range(node)
        elif kind in (ast.Break, ast.Continue):
            if not self.loops:
                raise self.err(node, f"'{'break' if kind is ast.Break else 'continue'}' outside a loop")
        elif kind is ast.Return:
            want = self.func.ftype.result
            if node.value is None:
                if want is not T.VOID:
                    raise self.err(node, f"return needs a {want!r} value")
            else:
                if want is T.VOID:
                    raise self.err(node.value, f"function {self.func.name!r} returns None")
                self.expr(node.value, want)
                self.coerce(node.value, want)
        elif kind is ast.Assert:
            self.condition(node.test)
            if node.msg is not None and not isinstance(node.msg, ast.Constant):
                raise self.err(node.msg, "an assert message must be a constant")
        elif kind is ast.Pass:
            pass
        elif kind is ast.Global:
            for name in node.names:
                var = self.module.names.get(name)
                if not (isinstance(var, Var) and T.is_scalar(var.ty)):
                    raise self.err(node, f"{name!r} is not a module-level integer variable")
        else:
            raise self.err(node, self.unsupported(node, "in a function"))

    def for_range(self, node):
        call = node.iter
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "range"
                and isinstance(node.target, ast.Name) and 1 <= len(call.args) <= 3 and not call.keywords):
            raise self.err(node, "loops are 'for NAME in range(...)' only")
        if node.orelse:
            raise self.err(node, "'for ... else' is not supported")
        var = self.func.locals.get(node.target.id)
        ty = var.ty if var else None
        for arg in call.args:
            self.expr(arg, ty)
            if ty is None and arg.ty is not LIT:
                ty = arg.ty
        ty = ty or T.I64
        if not ty.is_int():
            raise self.err(node.target, "a range loop counts with an integer")
        for arg in call.args:
            self.coerce(arg, ty)
        if len(call.args) == 3 and not call.args[2].const:
            raise self.err(call.args[2], "a range step must be a nonzero constant")
        if var is None:
            var = self.func.locals[node.target.id] = Var(node.target.id, ty, "local")
        node.target.sym, node.target.ty, node.target.const = var, ty, None
        for sub in ast.walk(ast.Module(node.body, [])):
            targets = sub.targets if isinstance(sub, ast.Assign) else \
                [sub.target] if isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.For)) else []
            for t in targets:
                for name in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if isinstance(name, ast.Name) and name.id == node.target.id:
                        raise self.err(name, f"{name.id!r} counts this loop: it cannot be assigned inside it")
        self.loops += 1
        self.block(node.body)
        self.loops -= 1

    def assign(self, target, value, declared, node):
        if isinstance(target, ast.Name) and target.id in self.assigned and target.id not in self.globals_declared:
            var = self.func.locals.get(target.id)
            if var is None:
                kind = "local"
                if isinstance(value, ast.Call) and self.is_storage(value):
                    ty = self.storage(value)
                elif isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) and \
                        not T.is_scalar(self.expr(value)) and value.ty is not T.BYTES:
                    ty, kind = value.ty, "ref"     # a second name for a record or array, as in Python
                else:
                    self.expr(value, declared)
                    ty = declared or (T.I64 if value.ty is LIT else value.ty)
                    if not T.is_scalar(ty) and ty is not T.BYTES:
                        raise self.err(value, f"a {value.ty!r} cannot be copied into a new variable")
                if declared is not None and declared != ty:
                    raise self.err(node, f"declared {declared!r} but given {ty!r}")
                var = self.func.locals[target.id] = Var(target.id, ty, kind)
                target.sym, target.ty, target.const = var, ty, None
                if T.is_scalar(ty) or ty is T.BYTES:
                    self.coerce(value, ty)
                return
            if declared is not None and declared != var.ty:
                raise self.err(node, f"{target.id!r} is already a {var.ty!r}")
        ty = self.target(target)
        if isinstance(target, ast.Name) and target.sym.kind == "ref":
            if not isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) or self.expr(value) != ty:
                raise self.err(value, f"{target.id!r} names a {ty!r} elsewhere: give it another one")
            return
        if not T.is_scalar(ty):
            if isinstance(value, ast.Call) and self.is_storage(value):
                if self.storage(value) != ty:
                    raise self.err(value, f"expected {ty!r}")
                return
            raise self.err(value, f"a {ty!r} is stored in place: assign its fields or elements")
        self.expr(value, ty)
        self.coerce(value, ty)

    def target(self, node):
        """The type of an assignment target (a variable, a field or an element)."""
        if isinstance(node, ast.Name):
            var = self.func.locals.get(node.id)
            if var is None:
                var = self.module.names.get(node.id)
                if not isinstance(var, Var):
                    raise self.err(node, f"cannot assign to {node.id!r}")
                if node.id not in self.globals_declared and T.is_scalar(var.ty):
                    raise self.err(node, f"assigning global {node.id!r} needs 'global {node.id}'")
            node.sym, node.ty, node.const = var, var.ty, None
            return var.ty
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            ty = self.expr(node)
            if isinstance(node, ast.Subscript) and node.value.ty is T.BYTES:
                raise self.err(node, "byte strings are constant")
            return ty
        raise self.err(node, "cannot assign to this (one name, field or element at a time)")

    def condition(self, node):
        ty = self.expr(node, T.BOOL)
        if not (ty is T.BOOL or ty.is_int() or ty is LIT):
            raise self.err(node, f"a condition must be bool or an integer, not {ty!r}")

    # ---- expressions ----------------------------------------------------------------------

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
            if isinstance(sym, Const):
                node.const = sym.value
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
            if ty is LIT:
                self.coerce(node.body, T.I64)
                self.coerce(node.orelse, T.I64)
                ty = T.I64
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
            node.target = ("intrinsic", name)
            return result
        raise self.err(node, f"{name}() cannot be called here")


def check_program(modules) -> Program:
    return Checker(modules).run()
