"""The type checker: resolves names and gives every expression of the program a type.

Works on Python's `ast` and records what it finds in the Program's tables, keyed by node (the
later passes read them; nothing is hung on the nodes):
  types[expr]    its Type (LIT for an integer constant not yet given a type by its context)
  consts[expr]   its value when known at compile time (constant folding); absent otherwise
  symbols[name]  the Var, Const or Func a Name (or module.name Attribute) stands for
  fields[attr]   (field type, byte offset) of a record field access
  calls[call]    a Func, ("conv", type), ("intrinsic", name) or ("len", None)
  strings[expr]  the index of a byte-string constant in bytes_consts
The language (docs/compiler-language.md): fixed-width integers that never mix without an
explicit conversion, records and fixed-size arrays passed by reference, static storage only.
Anything else is a CompileError at the offending node. This file checks modules, functions and
statements; check_expr.py checks expressions, symbols.py names what a name can stand for.

Each Var records how it is bound (`kind`). The rules for resources (moves, borrows) are
checked afterwards, by ownership.py, on the checked tree.
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.check_expr import ExprChecker
from downstairs.compiler.modules import RUNTIME
from downstairs.compiler.symbols import (  # noqa: F401  (Var, Func, LIT are used by the later passes)
    LIT, Const, Var, Func, Builtin, ModuleRef, BUILTINS, ARITH, UNSUPPORTED, RECORD_DECORATORS, BORROWS,
    BUILTIN_TYPES, TRAP_FRAME)



def defined_names(node) -> list[str]:
    """The names a module-level statement binds: imports, a def, a class, an assignment."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name for alias in node.names if alias.name != "*"]
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []

class Program:
    """A checked program: its modules (dependencies first), functions, storage, and the tables
    of what the checker found (see the module docstring)."""

    def __init__(self, modules):
        self.modules = modules
        self.funcs: list[Func] = []
        self.globals: list[Var] = []
        self.bytes_consts: list[bytes] = []
        self.externals: list[Func] = []
        self.types: dict[ast.AST, T.Type] = {}
        self.consts: dict[ast.AST, int] = {}
        self.symbols: dict[ast.AST, object] = {}
        self.fields: dict[ast.Attribute, tuple] = {}
        self.calls: dict[ast.Call, object] = {}
        self.strings: dict[ast.AST, int] = {}


class Checker(ExprChecker):
    def __init__(self, modules):
        self.program = program = Program(modules)
        self.types, self.consts, self.symbols = program.types, program.consts, program.symbols
        self.fields, self.calls, self.strings = program.fields, program.calls, program.strings
        self.module = None
        self.func = None
        self.loops = 0
        self.assigned: set[str] = set()            # names the current function assigns (its locals)
        self.globals_declared: set[str] = set()    # names in its `global` statements

    # ---- module level ---------------------------------------------------------------------

    def run(self) -> Program:
        """Declare every module's names (dependencies first), then check every function."""
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
        for item in self.program.funcs + self.program.globals + self.program.externals:
            counts[item.name] = counts.get(item.name, 0) + 1
        for func in self.program.externals:
            if counts[func.name] > 1:
                raise self.err(func.node, f"external function {func.name!r} clashes with another {func.name!r}")
        for item in self.program.funcs + self.program.globals:
            mod = item.module.name if isinstance(item, Func) else item.symbol
            item.symbol = item.name if counts[item.name] == 1 else f"{mod}.{item.name}"

    def declare(self, module):
        """Enter a module's top-level names in module.names: imports, records and constants
        first, then functions and globals (whose types may name those)."""
        names = module.names
        later = []
        first: dict[str, int] = {}          # name -> the line that defined it
        for node in module.tree.body:
            for name in defined_names(node):
                if name in first:
                    raise self.err(node, f"{name!r} is defined twice in this module (first at line {first[name]}): "
                                         f"rename one")
                first[name] = node.lineno
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
                        names[alias.asname or alias.name] = BUILTIN_TYPES.get(alias.name) or Builtin(alias.name)
                    else:
                        other = next(m for m in self.program.modules if m.name == node.module)
                        if alias.name not in other.names:
                            raise self.err(node, f"module {node.module!r} has no name {alias.name!r}")
                        names[alias.asname or alias.name] = other.names[alias.name]
            elif isinstance(node, ast.ClassDef):
                names[node.name] = self.declare_record(node)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and not self.is_storage(node.value) and not self.is_placed(node.value) \
                    and not self.is_builtin_call(node.value, "noinit", 1):
                ty = self.expr(node.value)
                if ty is T.BYTES and isinstance(node.value, ast.Constant):
                    names[node.targets[0].id] = Const(node.targets[0].id, None, self.strings[node.value])
                    continue
                if node.value not in self.consts or ty not in (LIT, T.BOOL):
                    raise self.err(node.value, "a module-level constant must be an integer known at compile time, or bytes")
                names[node.targets[0].id] = Const(node.targets[0].id, self.consts[node.value])
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

    def declare_record(self, node):
        """The RecordType a `@record`, `@resource` or `@linear` class declares (its fields laid
        out as a C struct). A record that holds a resource must be one itself, a linear one
        if what it holds is linear (else dropping it would drop what it holds)."""
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if len(decorators) != 1 or decorators[0] not in RECORD_DECORATORS or node.bases or node.keywords:
            raise self.err(node, "classes are records only: '@record' (or '@resource', '@linear') and typed "
                                 "fields, no bases")
        ownership = RECORD_DECORATORS[decorators[0]]
        fields = []
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is None:
                ftype = self.type_of(item.annotation)
                held = T.resources_in(ftype)
                if held and ownership is None:
                    raise self.err(item, f"a record holding a {held[0].name} must be a @resource itself")
                if any(r.ownership == "linear" for r in held) and ownership != "linear":
                    raise self.err(item, f"a record holding a linear "
                                         f"{next(r for r in held if r.ownership == 'linear').name} must be @linear itself")
                fields.append((item.target.id, ftype))
            elif isinstance(item, ast.Pass) or (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)):
                pass
            elif isinstance(item, ast.FunctionDef):
                raise self.err(item, "records have fields only: methods are not supported")
            else:
                raise self.err(item, "a record body holds typed fields ('name: type') only")
        return T.RecordType(node.name, fields, ownership, self.module.name)

    def declare_function(self, node):
        """The Func a `def` declares (signature and decorators; its body is checked later)."""
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            raise self.err(node, "functions take plain positional parameters only")
        params, borrows = [], []
        for a in args.args:
            if a.annotation is None:
                raise self.err(a, f"parameter {a.arg!r} needs a type annotation")
            ty, borrow = self.param_type(a.annotation)
            params.append((a.arg, ty))
            borrows.append(borrow)
        result = T.VOID if node.returns is None else self.type_of(node.returns, result=True)
        if not (result is T.VOID or T.is_scalar(result) or T.is_resource(result)):
            raise self.err(node.returns, "functions return integers, bool, None or a resource only")
        hidden = 1 if T.is_resource(result) and result.size > 16 else 0     # the result's address (lower.py)
        if len(params) + hidden > 8:
            raise self.err(node, "at most 8 parameters (they travel in a0..a7)" +
                           (", and a big resource result takes a0" if hidden else ""))
        func = Func(node.name, self.module, node, T.FuncType(params, result, borrows))
        for d in node.decorator_list:
            if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "at" and len(d.args) == 1:
                func.address = self.constant(d.args[0], "@at needs a constant address")
            elif isinstance(d, ast.Name) and d.id == "external":
                func.external = True          # defined elsewhere (C, ROM): its body runs on the host only
            elif isinstance(d, ast.Name) and d.id in ("machine_trap", "supervisor_trap"):
                if [t for _, t in params] != [TRAP_FRAME] or result is not T.VOID:
                    raise self.err(node, f"a @{d.id} function takes one TrapFrame and returns None")
                func.trap = d.id[0]
            elif isinstance(d, ast.Name) and d.id == "supervisor_syscall":
                first = next(iter(params[0][1].fields.values()), None) \
                    if len(params) == 1 and isinstance(params[0][1], T.RecordType) else None
                if first is None or not (params[0][1] is TRAP_FRAME or first == (TRAP_FRAME, 0)) \
                        or result is not T.VOID:
                    raise self.err(node, "a @supervisor_syscall function takes one TrapFrame, or one record "
                                         "whose first field is a TrapFrame, and returns None")
                func.syscall = "s"
            elif isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "entry":
                func.boot = self.entry_options(d)
                if len(params) > 3 or any(t is not T.U64 for _, t in params) or result is not T.VOID:
                    raise self.err(node, "an @entry function takes up to three u64 (a0, a1, a2) and returns None")
            else:
                raise self.err(d, "function decorators are @at(ADDRESS), @external, @entry(...), "
                                  "@machine_trap, @supervisor_trap and @supervisor_syscall")
        if func.external:
            self.program.externals.append(func)
        else:
            self.program.funcs.append(func)
        return func

    def constant(self, node, message) -> int:
        """The value of a compile-time integer expression (a decorator's argument)."""
        self.expr(node)
        if node not in self.consts:
            raise self.err(node, message)
        return self.consts[node]

    def entry_options(self, call):
        """@entry(harts=N, stack=BYTES, secondary=FUNC): (harts, stack, secondary name or None)."""
        if call.args:
            raise self.err(call, "@entry takes keyword arguments only: harts=, stack=, secondary=")
        harts, stack, secondary = 1, 0x10000, None
        for kw in call.keywords:
            if kw.arg == "harts":
                harts = self.constant(kw.value, "harts= needs a constant")
            elif kw.arg == "stack":
                stack = self.constant(kw.value, "stack= needs a constant")
            elif kw.arg == "secondary" and isinstance(kw.value, ast.Name):
                secondary = kw.value.id
            else:
                raise self.err(kw.value, "@entry knows harts=N, stack=BYTES and secondary=FUNCTION")
        if not 1 <= harts <= 4096 or stack < 256 or stack % 16:
            raise self.err(call, "@entry wants 1..4096 harts and a stack of at least 256 bytes, a multiple of 16")
        return harts, stack, secondary

    def is_placed(self, value):
        """`at(ADDRESS, initial value)`: a global at a fixed address."""
        return self.is_builtin_call(value, "at", 2)

    def is_builtin_call(self, value, name, nargs):
        """Whether an expression is a call of the runtime's `name` with nargs arguments."""
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == name \
            and isinstance(self.module.names.get(name), Builtin) and len(value.args) == nargs and not value.keywords

    def is_storage(self, value):
        """Whether an expression is `array(T, n)` or `Record(...)`: a creation of storage."""
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and (
            value.func.id == "array" or isinstance(self.module.names.get(value.func.id), T.RecordType))

    def declare_global(self, node):
        """A module-level variable: storage (array, record) or an annotated integer whose
        initial value is known at compile time."""
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if (isinstance(node, ast.Assign) and len(node.targets) != 1) or not isinstance(target, ast.Name):
            raise self.err(node, "module-level assignment to one name only")
        declared = self.type_of(node.annotation) if isinstance(node, ast.AnnAssign) else None
        if node.value is None:
            raise self.err(node, "a global needs an initial value")
        address, noinit = None, False
        if self.is_placed(node.value):               # name = at(ADDRESS, initial value)
            address = self.constant(node.value.args[0], "at() needs a constant address")
            node.value = node.value.args[1]
        elif self.is_builtin_call(node.value, "noinit", 1):     # name = noinit(array(...) or Record())
            storage = node.value.args[0]
            if not self.is_storage(storage) or (storage.func.id != "array" and storage.args):
                raise self.err(node.value, "noinit() takes array(T, n) or Record() with no field values")
            noinit, node.value = True, node.value.args[0]
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
            if node.value not in self.consts:
                raise self.err(node.value, "a global's initial value must be known at compile time")
            ty, init = declared, self.consts[node.value]
        var = Var(target.id, ty, "global", symbol=self.module.name, init=init, module=self.module, address=address,
                  noinit=noinit)
        self.program.globals.append(var)
        self.module.names[target.id] = var

    def record_bytes(self, rec, args):
        """The initial bytes of a global record built from constants (little-endian fields)."""
        blob = bytearray(rec.size)
        for arg, (ftype, offset) in zip(args, rec.fields.values()):
            if arg not in self.consts:
                raise self.err(arg, "a global record's fields must be constants")
            blob[offset:offset + ftype.size] = (self.consts[arg] & ((1 << (8 * ftype.size)) - 1)).to_bytes(ftype.size, "little")
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
            n = self.consts.get(call.args[1])
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

    def param_type(self, node):
        """A parameter's annotation: (type, None) for a plain one, (T, "shared") for Ref[T],
        (T, "exclusive") for MutRef[T], T a record or array."""
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(self.module.names.get(node.value.id), Builtin) and node.value.id in BORROWS:
            ty = self.type_of(node.slice)
            if T.is_scalar(ty) or ty is T.BYTES:
                raise self.err(node, f"{node.value.id}[...] borrows a record or an array, not a {ty!r}")
            return ty, BORROWS[node.value.id]
        return self.type_of(node), None

    def type_of(self, node, result: bool = False):
        """The type an annotation names. None names one only as a function's `result`: a
        variable, parameter, field or element must hold a value."""
        if isinstance(node, ast.Constant) and node.value is None:
            if not result:
                raise self.err(node, "None is not a type a value can have: only a function's result can be None")
            return T.VOID
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Array":
            if not (isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2):
                raise self.err(node, "Array[T, n] names an element type and a length")
            elem = self.type_of(node.slice.elts[0])
            self.expr(node.slice.elts[1])
            n = self.consts.get(node.slice.elts[1])
            if n is None or n <= 0:
                raise self.err(node.slice.elts[1], "an array length must be a positive constant")
            return T.ArrayType(elem, n)
        sym = None
        if isinstance(node, ast.Name):
            if node.id in T.TYPE_NAMES and isinstance(self.module.names.get(node.id, Builtin(node.id)), Builtin):
                return T.TYPE_NAMES[node.id]
            sym = self.module.names.get(node.id)
        elif isinstance(node, ast.Attribute) and self.module_of(node.value) is not None:
            sym = self.module_of(node.value).module.names.get(node.attr)
        if isinstance(sym, T.RecordType):
            return sym
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in BORROWS:
            raise self.err(node, f"{node.value.id}[...] is for parameters only: a borrow lasts for a call")
        raise self.err(node, f"{ast.unparse(node)!r} is not a type of the language")

    # ---- functions ------------------------------------------------------------------------

    def check_function(self, func):
        """Check a function's body; one that returns a value must not fall off its end."""
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
        """Whether control cannot fall off the end of `body` (it returns, loops forever or
        fails an `assert False` on every path)."""
        if not body:
            return False
        last = body[-1]
        if isinstance(last, ast.Return):
            return True
        if isinstance(last, ast.If):
            return self.terminates(last.body) and self.terminates(last.orelse)
        if isinstance(last, ast.While):
            return bool(self.consts.get(last.test)) and not any(isinstance(n, ast.Break) for n in ast.walk(last))
        if isinstance(last, ast.Assert):
            return last.test in self.consts and not self.consts[last.test]
        return False

    def block(self, body):
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node):
        """Check one statement of a function body (docs/compiler-language.md, "Statements")."""
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
                self.symbols[name], self.types[name] = var, var.ty
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
        elif kind is ast.Delete:
            names = node.targets
            if not (len(names) == 1 and isinstance(names[0], ast.Name) and names[0].id in self.func.locals
                    and T.is_resource(self.func.locals[names[0].id].ty)):
                raise self.err(node, "'del NAME' destroys a resource held in a variable; nothing else is deleted")
            self.expr(names[0])
        elif kind is ast.Global:
            for name in node.names:
                var = self.module.names.get(name)
                if not (isinstance(var, Var) and (T.is_scalar(var.ty) or T.is_resource(var.ty))):
                    raise self.err(node, f"{name!r} is not a module-level integer or resource variable")
        else:
            raise self.err(node, self.unsupported(node, "in a function"))

    def for_range(self, node):
        """`for NAME in range(...)`: the counter takes the type of the typed bounds (i64 if all
        are untyped) and cannot be assigned in the body."""
        call = node.iter
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "range"
                and isinstance(node.target, ast.Name) and 1 <= len(call.args) <= 3 and not call.keywords):
            raise self.err(node, "loops are 'for NAME in range(...)' only")
        if node.orelse:
            raise self.err(node, "'for ... else' is not supported")
        var = self.func.locals.get(node.target.id)
        ty = var.ty if var else None
        for arg in call.args:
            aty = self.expr(arg, ty)
            if ty is None and aty is not LIT:
                ty = aty
        ty = ty or T.I64
        if not ty.is_int():
            raise self.err(node.target, "a range loop counts with an integer")
        for arg in call.args:
            self.coerce(arg, ty)
        if len(call.args) == 3 and not self.consts.get(call.args[2]):
            raise self.err(call.args[2], "a range step must be a nonzero constant")
        if var is None:
            var = self.func.locals[node.target.id] = Var(node.target.id, ty, "local")
        self.symbols[node.target], self.types[node.target] = var, ty
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
        """`target = value` (`declared` is the annotation's type or None). The first assignment
        of a local creates it: a scalar, new storage, or a second name (kind "ref") for an
        existing record or array. A resource value moves: into a local's own storage, a
        field, an element or a global (ownership.py checks where it may come from)."""
        if isinstance(target, ast.Name) and target.id in self.assigned and target.id not in self.globals_declared:
            var = self.func.locals.get(target.id)
            if var is None:
                kind = "local"
                if isinstance(value, ast.Call) and self.is_storage(value):
                    ty = self.storage(value)
                else:
                    vty = self.expr(value, declared)
                    ty = declared or (T.I64 if vty is LIT else vty)
                    if T.is_resource(vty):
                        ty = vty                  # moved into the variable's own storage
                    elif isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) and \
                            not T.is_scalar(vty) and vty is not T.BYTES and vty is not LIT:
                        ty, kind = vty, "ref"     # a second name for a record or array, as in Python
                    elif not T.is_scalar(ty) and ty is not T.BYTES:
                        raise self.err(value, f"a {vty!r} cannot be copied into a new variable")
                if declared is not None and declared != ty:
                    raise self.err(node, f"declared {declared!r} but given {ty!r}")
                var = self.func.locals[target.id] = Var(target.id, ty, kind)
                self.symbols[target], self.types[target] = var, ty
                if T.is_scalar(ty) or ty is T.BYTES:
                    self.coerce(value, ty)
                return
            if declared is not None and declared != var.ty:
                raise self.err(node, f"{target.id!r} is already a {var.ty!r}")
        ty = self.target(target)
        if isinstance(target, ast.Name) and self.symbols[target].kind == "ref":
            if not isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) or self.expr(value) != ty:
                raise self.err(value, f"{target.id!r} names a {ty!r} elsewhere: give it another one")
            return
        if not T.is_scalar(ty):
            if isinstance(value, ast.Call) and self.is_storage(value):
                if self.storage(value) != ty:
                    raise self.err(value, f"expected {ty!r}")
                return
            if T.is_resource(ty):
                self.expr(value, ty)
                self.coerce(value, ty)
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
            self.symbols[node], self.types[node] = var, var.ty
            return var.ty
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            ty = self.expr(node)
            if isinstance(node, ast.Subscript) and self.types[node.value] is T.BYTES:
                raise self.err(node, "byte strings are constant")
            return ty
        raise self.err(node, "cannot assign to this (one name, field or element at a time)")


def check_program(modules) -> Program:
    """Check modules (dependencies first, as modules.load_program gives them): the Program,
    or a CompileError at the first problem."""
    return Checker(modules).run()
