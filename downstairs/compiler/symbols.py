"""The checker's vocabulary: symbols a name can stand for, and the built-in names and operators.

A name resolves to a `Const` (compile-time integer), a `Var` (parameter, local, reference or
global), a `Func`, a `Builtin` (from downstairs.compiler.runtime) or a `ModuleRef`. `LIT` is
the type of an integer constant that its context has not typed yet (docs/compiler-language.md,
"Untyped constants").
"""

import ast
import operator

from downstairs.compiler import runtime, types as T


class LiteralType(T.Type):
    def __repr__(self) -> str:
        return "int"


LIT = LiteralType()


class Const:
    """A compile-time integer, or (bytes_index set) a byte-string constant in read-only data."""

    def __init__(self, name, value, bytes_index=None):
        self.name, self.value, self.bytes_index = name, value, bytes_index


class Var:
    """A variable: kind "param", "local", "ref" (a second name for a record or array) or
    "global" (which has an ELF symbol, an initial value and its module)."""

    def __init__(self, name, ty, kind, symbol=None, init=None, module=None, address=None, noinit=False):
        self.name, self.ty, self.kind = name, ty, kind
        self.symbol, self.init, self.module = symbol, init, module
        self.address = address           # a global placed with at(ADDRESS, ...), or None
        self.noinit = noinit             # a global declared noinit(...): the entry code leaves it


class Func:
    """A function: its signature (ftype), its `def` node, and its locals once checked."""

    def __init__(self, name, module, node, ftype):
        self.name, self.module, self.node, self.ftype = name, module, node, ftype
        self.symbol = name
        self.address = None          # @at(ADDR): fixed placement
        self.external = False        # @external: defined outside the program, found by --symbol
        self.trap = None             # @machine_trap / @supervisor_trap: "m" or "s"
        self.syscall = None          # @supervisor_syscall: "s"
        self.boot = None             # @entry(...): (harts, stack bytes per hart, secondary name)
        self.locals: dict[str, Var] = {}


class Builtin:
    """A name imported from downstairs.compiler.runtime (a type, conversion or intrinsic)."""

    def __init__(self, name):
        self.name = name


class ModuleRef:
    """A module's name, from `import NAME`: `NAME.thing` looks in its names."""

    def __init__(self, module):
        self.module = module


def record_type_of(cls) -> T.RecordType:
    """The compiler's RecordType for a @record class of the runtime (its fields are IntKinds
    and Array[...] specs): the runtime's definition is the one source of the layout."""
    def kind(k):
        if hasattr(k, "length"):
            return T.ArrayType(kind(k.elem), k.length)
        return T.TYPE_NAMES[k.name]
    return T.RecordType(cls.__name__, [(name, kind(k)) for name, k in cls.__record_fields__])


TRAP_FRAME = record_type_of(runtime.TrapFrame)
REGS8 = T.ArrayType(T.U64, 8)
CONVERSIONS = {n: t for n, t in T.TYPE_NAMES.items() if t.is_int() or t is T.BOOL}
# intrinsic -> (parameter types, result type); "csr" marks a compile-time CSR number
INTRINSICS = {
    "load8": ([T.U64], T.U8), "load16": ([T.U64], T.U16), "load32": ([T.U64], T.U32),
    "load64": ([T.U64], T.U64),
    "store8": ([T.U64, T.U8], T.VOID), "store16": ([T.U64, T.U16], T.VOID),
    "store32": ([T.U64, T.U32], T.VOID), "store64": ([T.U64, T.U64], T.VOID),
    "csr_read": (["csr"], T.U64), "csr_write": (["csr", T.U64], T.VOID),
    "csr_set": (["csr", T.U64], T.VOID), "csr_clear": (["csr", T.U64], T.VOID),
    "ecall": ([T.U64, T.U64, T.U64, T.U64], T.U64),
    # A extension, with aq and rl set (sequentially consistent): the old value comes back
    "amoswap32": ([T.U64, T.U32], T.U32), "amoswap64": ([T.U64, T.U64], T.U64),
    "amoadd32": ([T.U64, T.U32], T.U32), "amoadd64": ([T.U64, T.U64], T.U64),
    "wfi": ([], T.VOID), "fence": ([], T.VOID), "fence_i": ([], T.VOID),
    "amoor32": ([T.U64, T.U32], T.U32), "amoor64": ([T.U64, T.U64], T.U64),
    "amoand32": ([T.U64, T.U32], T.U32), "amoand64": ([T.U64, T.U64], T.U64),
    # privileged: harts, traps, address translation (docs/compiler-language.md)
    "mret": ([], T.VOID), "sret": ([], T.VOID), "sfence_vma": ([], T.VOID),
    "sfence_vma_page": ([T.U64], T.VOID), "sfence_vma_asid": ([T.U64], T.VOID),
    "hart_id": ([], T.U64), "image_start": ([], T.U64), "image_end": ([], T.U64),
    "trap_return": ([TRAP_FRAME], T.VOID), "ecall_regs": ([REGS8], T.VOID),
    "cas32": ([T.U64, T.U32, T.U32], T.U32), "cas64": ([T.U64, T.U64, T.U64], T.U64),
    **{f"mprv_load{b}": ([T.U64], T.TYPE_NAMES[f"u{b}"]) for b in (8, 16, 32, 64)},
    **{f"mprv_store{b}": ([T.U64, T.TYPE_NAMES[f"u{b}"]], T.VOID) for b in (8, 16, 32, 64)},
}
# intrinsics that are calls to a routine the compiler adds to the program (entry.py)
HELPER_INTRINSICS = {"trap_return", "cas32", "cas64",
                     *(f"mprv_{op}{b}" for op in ("load", "store") for b in (8, 16, 32, 64))}
DECORATORS = {"at", "external", "entry", "machine_trap", "supervisor_trap", "supervisor_syscall"}
BUILTIN_TYPES = {"TrapFrame": TRAP_FRAME}
BUILTINS = set(CONVERSIONS) | set(INTRINSICS) | DECORATORS | set(BUILTIN_TYPES) | {
    "int", "Array", "array", "record", "len", "range", "addr", "resource", "linear", "Ref", "MutRef", "run",
    "noinit"}
RECORD_DECORATORS = {"record": None, "resource": "resource", "linear": "linear"}    # -> RecordType.ownership
BORROWS = {"Ref": "shared", "MutRef": "exclusive"}          # parameter annotations Ref[T], MutRef[T]
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
    ast.JoinedStr: "f-strings are not supported",
    ast.Nonlocal: "nested functions are not supported", ast.AsyncFunctionDef: "async is not supported",
    ast.FunctionDef: "nested functions are not supported", ast.ClassDef: "classes inside functions are not supported",
    ast.Import: "imports belong at module level", ast.ImportFrom: "imports belong at module level",
    ast.Starred: "starred expressions are not supported", ast.NamedExpr: "':=' is not supported",
    ast.Match: "'match' is not supported", ast.Slice: "slices are not supported",
}
FOLD = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
        "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift}
UNARY_FOLD = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
CMP_FOLD = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}
NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}     # not (a CMP b)
