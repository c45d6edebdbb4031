"""The same program under CPython: Python runs a program module as its machine code would.

The checker knows the type of every expression, so CPython is given each module's checked
tree with what the machine does that Python would not made explicit (docs/compiler-language.md,
"Under CPython"):
  - every fixed-width result that can leave its range is wrapped to its width, inline:
    `(a + b) & 0xff` for a u8, `((a - b + 0x80) & 0xff) - 0x80` for an i8 (a, b in range);
  - an index of a signed type is checked not to be negative (the machine traps where Python
    would count from the end): `__nonneg__(i)`;
  - ownership at run time: a move copies the value and retires the old one, a parameter that
    takes a resource takes it at entry (so a caller in plain Python loses it too), `del`
    destroys; using a retired value raises OwnershipError (runtime.Owned).
The intrinsics act on `runtime.host.MACHINE` (UART output, sifive_test ends the run).

Three ways in, one transform (`host_code`):
  run_program(path)   the whole program, fresh modules on a fresh host machine: the tests,
                      `downstairs compile --run-host`, and `run(main)` under `python3 prog.py`;
  install()           an import hook: `import NAME` of a program module (one that imports
                      names from downstairs.compiler.runtime) from Python code, such as pytest,
                      loads it checked and transformed.
A run's status mirrors the machine's: 0 pass or the sifive_test fail code; a trap (failed
assert, bad index, division by zero) is 0x80 | 3 as the examples' trap handler reports for
ebreak, an ecall 0x80 | 11.
"""

import ast
import importlib.machinery
import importlib.util
import os
import sys
import types as pytypes

from downstairs.compiler import runtime
from downstairs.compiler import types as T
from downstairs.compiler.check import check_program, LIT
from downstairs.compiler.errors import CompileError
from downstairs.compiler.modules import RUNTIME, load_program
from downstairs.compiler.ownership import check_ownership
from downstairs.compiler.runtime import host
from downstairs.compiler.symbols import ARITH, BUILTINS, Func

TRAP_STATUS = 0x80 | 3
# Operations whose result stays in its type's range when the operands are in range.
IN_RANGE = {False: {"&", "|", "^", ">>", "//", "%"}, True: {"&", "|", "^", ">>", "%"}}


class Result:
    """How a run ended: the console output (bytes) and the status (see the module docstring;
    "stack overflow", or None if the entry function returned)."""

    def __init__(self, output: bytes, status):
        self.output, self.status = output, status

    def __repr__(self):
        return f"Result({self.output!r}, {self.status!r})"


def nonneg(index: int) -> int:
    """A signed index: negative is out of range, as on the machine."""
    if index < 0:
        raise IndexError(f"index {index} is negative")
    return index


def wrapped(node, ty):
    """`node` wrapped to the width of the integer type `ty`, as inline arithmetic."""
    mask = ast.Constant((1 << ty.bits) - 1)
    if not ty.signed:
        return ast.BinOp(node, ast.BitAnd(), mask)
    half = ast.Constant(1 << (ty.bits - 1))
    return ast.BinOp(ast.BinOp(ast.BinOp(node, ast.Add(), half), ast.BitAnd(), mask), ast.Sub(), half)


def helper(name, *args):
    """A call of one of the helpers each module gets (__move__, __take__, __destroy__, __nonneg__)."""
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


class HostTree(ast.NodeTransformer):
    """Rewrites one checked module's tree as the module docstring says (reading the
    checker's tables; the tree is the module's own, parsed for this run)."""

    def __init__(self, program):
        self.types, self.consts = program.types, program.consts
        self.funcs = {f.node: f for f in program.funcs + program.externals}
        self.temps: list[str] = []          # names of the temporaries visit_AugAssign made

    def int_type(self, node):          # the fixed-width integer type of an expression, or None
        ty = self.types.get(node)
        return ty if ty is not None and ty is not LIT and ty.is_int() else None

    def visit_BinOp(self, node):         # a + b -> wrapped, unless the result cannot leave the range
        self.generic_visit(node)
        ty = self.int_type(node)
        if ty is None or ARITH[type(node.op)] in IN_RANGE[ty.signed]:
            return node
        return ast.copy_location(wrapped(node, ty), node)

    def visit_UnaryOp(self, node):       # -a (and ~a unsigned) -> wrapped
        self.generic_visit(node)
        ty = self.int_type(node)
        if ty is not None and (isinstance(node.op, ast.USub) or (isinstance(node.op, ast.Invert) and not ty.signed)):
            return ast.copy_location(wrapped(node, ty), node)
        return node

    def visit_AugAssign(self, node):
        """`t op= v` becomes `t = wrap(t op v)`. The target's container and index are read
        once, as Python does: into temporaries first if they contain a call."""
        self.generic_visit(node)
        ty, t = self.int_type(node.target), node.target
        if ty is None or ARITH[type(node.op)] in IN_RANGE[ty.signed]:
            return node
        before = []
        if not isinstance(t, ast.Name) and any(isinstance(n, ast.Call) for n in ast.walk(t)):
            parts = [("value", t.value)] + ([("slice", t.slice)] if isinstance(t, ast.Subscript) else [])
            for field, part in parts:
                temp = f"__aug{len(self.temps)}__"
                self.temps.append(temp)
                before.append(ast.copy_location(ast.Assign([ast.Name(temp, ast.Store())], part), node))
                setattr(t, field, ast.Name(temp, ast.Load()))
        if isinstance(t, ast.Name):
            load = ast.Name(t.id, ast.Load())
        elif isinstance(t, ast.Attribute):
            load = ast.Attribute(t.value, t.attr, ast.Load())
        else:
            load = ast.Subscript(t.value, t.slice, ast.Load())
        value = wrapped(ast.copy_location(ast.BinOp(load, node.op, node.value), node), ty)
        return before + [ast.copy_location(ast.Assign([t], value), node)]

    def visit_Subscript(self, node):     # a[i], i signed -> a[__nonneg__(i)]
        self.generic_visit(node)
        index = self.types.get(node.slice)
        if index is not None and index is not LIT and index.is_int() and index.signed and node.slice not in self.consts:
            node.slice = ast.copy_location(helper("__nonneg__", node.slice), node.slice)
        return node

    def visit_Assign(self, node):
        return self.moved(node, node.targets[0])

    def visit_AnnAssign(self, node):
        return self.moved(node, node.target)

    def moved(self, node, target):
        """`target = name` of a resource: the value moves (copied, the old one retired)."""
        self.generic_visit(node)
        if T.is_resource(self.types.get(target)) and isinstance(node.value, ast.Name):
            node.value = ast.copy_location(
                helper("__move__", node.value, ast.Constant(f"moved into {ast.unparse(target)!r}")), node.value)
        return node

    def visit_Delete(self, node):        # del f -> __destroy__(f); del f
        name = node.targets[0]
        destroy = ast.Expr(helper("__destroy__", ast.Name(name.id, ast.Load())))
        return [ast.copy_location(destroy, node), node]

    def visit_FunctionDef(self, node):
        """A parameter that takes a resource takes it at entry: the caller's value is retired."""
        self.generic_visit(node)
        func = self.funcs.get(node)
        if func is None:
            return node
        takes = []
        for (name, ty), borrow in zip(func.ftype.params, func.ftype.borrows):
            if T.is_resource(ty) and borrow is None:
                take = helper("__take__", ast.Name(name, ast.Load()), ast.Constant(f"moved into {func.name}()"))
                takes.append(ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], take), node))
        docstring = 1 if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) else 0
        node.body[docstring:docstring] = takes
        return node


HELPERS = {"__move__": runtime._move, "__take__": runtime._move, "__destroy__": runtime._destroy,
           "__nonneg__": nonneg}


def host_code(program, module):
    """The code object CPython runs for one checked module of `program`; run it in a
    namespace that has HELPERS."""
    tree = ast.fix_missing_locations(HostTree(program).visit(module.tree))
    return compile(tree, module.path, "exec")


def checked(path: str, search_path) -> tuple:
    """Load and check the program whose main module is `path`: (its modules, the Program)."""
    modules = load_program(path, list(search_path))
    program = check_program(modules)
    check_ownership(program)
    return modules, program


def load_modules(modules, program) -> dict[str, pytypes.ModuleType]:
    """Run each checked module's host code (dependencies first) as a fresh module object under
    its own name; returns them by name, main module last. sys.modules holds them only while
    they load (so their imports of each other resolve), so a test or a debugger can load a
    program again from its initial state and call any of its functions."""
    saved = {m.name: sys.modules.get(m.name) for m in modules}
    loaded = {}
    try:
        for module in modules:
            mod = pytypes.ModuleType(module.name)
            mod.__file__ = module.path
            mod.__dict__.update(HELPERS)
            sys.modules[module.name] = mod
            exec(host_code(program, module), mod.__dict__)
            loaded[module.name] = mod
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return loaded


def run_program(path: str, entry: str = "main", search_path=(), echo=None) -> Result:
    """Run a program under CPython from fresh modules on a fresh host machine: check it, run
    each module's host code (dependencies first) under its own name, call `entry` (an @entry
    function gets a0 = hart 0 and a1 = a2 = 0). UART output is collected (and written to the
    binary stream `echo` as it comes, if given). A CompileError is raised before anything runs."""
    modules, program = checked(path, search_path)
    start = modules[-1].names.get(entry)
    if not isinstance(start, Func) or (start.ftype.params and not start.boot) or start.external:
        raise CompileError(f"no function {entry}() without parameters to start at in {path} (or an @entry one)", path)
    machine = host.reset(echo)
    status = None
    function = load_modules(modules, program)[modules[-1].name].__dict__[entry]
    try:
        function(*[0] * len(start.ftype.params))
    except host.HostExit as done:
        status = done.status
    except (AssertionError, IndexError, ZeroDivisionError):
        status = TRAP_STATUS
    except host.HostTrap as trap:
        status = 0x80 | trap.cause
    except host.HostLeft as left:
        status = f"left for mode {left.mode} at {left.pc:#x}"
    except RecursionError:
        status = "stack overflow"
    machine.flush()
    return Result(bytes(machine.output), status)


def exit_status(result: Result) -> int:
    """The process exit status that stands for a run's status (a note on stderr where the
    machine would not have stopped: it returned from main, or overflowed its stack)."""
    if isinstance(result.status, int):
        return result.status & 0xFF
    if result.status is None:
        print("note: the entry function returned; a hart would now wait (wfi) forever", file=sys.stderr)
        return 0
    print(f"error: {result.status}", file=sys.stderr)
    return 1


def run_main(path: str, entry: str = "main", search_path=()) -> int:
    """Run a program as `python3 prog.py` or `downstairs compile --run-host` do: output to
    stdout as it comes; returns the exit status (1 after printing a CompileError)."""
    try:
        result = run_program(path, entry, [*search_path, *sys.path], echo=sys.stdout.buffer)
    except CompileError as err:
        print(err, file=sys.stderr)
        return 1
    except BrokenPipeError:                 # the reader went away (`| head`): end quietly, as QEMU
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return exit_status(result)


# ---- importing program modules from Python code ------------------------------------------

def is_program_module(path: str) -> bool:
    """Whether the Python file at `path` is a program module: it imports built-in names
    from downstairs.compiler.runtime at its top level (the runtime itself is not one)."""
    if os.path.dirname(os.path.abspath(path)) == os.path.dirname(os.path.abspath(runtime.__file__)):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        if RUNTIME not in source:
            return False
        tree = ast.parse(source)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return False
    return any(isinstance(node, ast.ImportFrom) and node.module == RUNTIME
               and all(alias.name in BUILTINS for alias in node.names) for node in tree.body)


class ProgramLoader:
    """Loads one program module: checked with what it imports, then its host code run (the
    loader protocol of importlib: create_module, exec_module)."""

    def __init__(self, path: str):
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module):       # check the file with what it imports, run its host code
        modules, program = checked(self.path, [p for p in sys.path if p and os.path.isdir(p)])
        module.__dict__.update(HELPERS)
        exec(host_code(program, modules[-1]), module.__dict__)


class ProgramFinder:
    """The import hook (a meta path finder): a module Python finds as a source file that
    is_program_module gets a ProgramLoader; any other import goes on as usual."""

    def find_spec(self, fullname, path, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader) \
                or not is_program_module(spec.origin):
            return None
        return importlib.util.spec_from_file_location(fullname, spec.origin, loader=ProgramLoader(spec.origin))


def install() -> None:
    """Put the import hook in sys.meta_path (before the standard path finder); idempotent."""
    if not any(isinstance(f, ProgramFinder) for f in sys.meta_path):
        at = next((k for k, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder), len(sys.meta_path))
        sys.meta_path.insert(at, ProgramFinder())


def uninstall() -> None:
    """Take the import hook out again (modules it loaded stay in sys.modules)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, ProgramFinder)]
