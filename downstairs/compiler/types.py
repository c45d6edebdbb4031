"""The language's types: fixed-width integers, bool, records, arrays, byte strings, functions.

Sizes and alignments follow the RISC-V psABI (LP64): a record is laid out like a C struct
(each field at the next multiple of its alignment, the size rounded up to the largest
alignment), an array is its elements back to back. In registers, 32-bit values (signed or
unsigned) are kept sign-extended to 64 bits as the psABI does, 8- and 16-bit values are kept
extended by their signedness; so compiled code can call C and be called from it.

Each type says whether values of it are `copyable` (integers, bool) or are places passed by
reference (records, arrays). A record declared `@resource` or `@linear` has one owner: its
values move and are borrowed (ownership.py, docs/ownership.md).
"""


class Type:
    size = 8
    align = 8
    copyable = True

    def is_int(self) -> bool:
        return False


class IntType(Type):
    def __init__(self, name: str, bits: int, signed: bool):
        self.name, self.bits, self.signed = name, bits, signed
        self.size = self.align = max(1, bits // 8)

    def is_int(self) -> bool:
        return True

    def wrap(self, value: int) -> int:
        """`value` wrapped to this width (two's complement for signed types)."""
        value &= (1 << self.bits) - 1
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value

    def fits(self, value: int) -> bool:
        """Whether `value` is representable in this type without wrapping."""
        if self.signed:
            return -(1 << (self.bits - 1)) <= value < (1 << (self.bits - 1))
        return 0 <= value < (1 << self.bits)

    def __repr__(self) -> str:
        return self.name


class BoolType(Type):
    name = "bool"
    size = align = 1
    bits = 8
    signed = False

    def __repr__(self) -> str:
        return "bool"


class VoidType(Type):
    size = align = 0

    def __repr__(self) -> str:
        return "None"


class BytesType(Type):
    """A constant byte string: a pointer to [u64 length][bytes] in read-only data."""

    def __repr__(self) -> str:
        return "bytes"


class RecordType(Type):
    """A record: `fields` maps each name to (type, byte offset) in C struct layout.
    `ownership` is None for a plain @record, "resource" (one owner; moves) or "linear" (a
    resource that must be consumed); `module` names the module that declares it."""
    copyable = False

    def __init__(self, name: str, fields: list[tuple[str, Type]], ownership: str | None = None,
                 module: str = ""):
        self.name, self.ownership, self.module = name, ownership, module
        self.fields: dict[str, tuple[Type, int]] = {}
        offset, align = 0, 1
        for fname, ftype in fields:
            offset = (offset + ftype.align - 1) // ftype.align * ftype.align
            self.fields[fname] = (ftype, offset)
            offset += ftype.size
            align = max(align, ftype.align)
        self.align = align
        self.size = (offset + align - 1) // align * align

    def __repr__(self) -> str:
        return self.name


class ArrayType(Type):
    copyable = False

    def __init__(self, elem: Type, length: int):
        self.elem, self.length = elem, length
        self.size = elem.size * length
        self.align = elem.align

    def __eq__(self, other) -> bool:
        return isinstance(other, ArrayType) and other.elem == self.elem and other.length == self.length

    def __hash__(self) -> int:
        return hash((id(self.elem), self.length))

    def __repr__(self) -> str:
        return f"Array[{self.elem!r}, {self.length}]"


class FuncType(Type):
    """A signature: params [(name, type)], the result type, and for each parameter how it
    holds a record or array: None (a plain reference; for a resource: ownership moves in),
    "shared" (`Ref[T]`, read-only for the call) or "exclusive" (`MutRef[T]`)."""

    def __init__(self, params: list[tuple[str, Type]], result: Type, borrows: list | None = None):
        self.params, self.result = params, result
        self.borrows = borrows or [None] * len(params)


U8, U16, U32, U64 = (IntType(f"u{b}", b, False) for b in (8, 16, 32, 64))
I8, I16, I32, I64 = (IntType(f"i{b}", b, True) for b in (8, 16, 32, 64))
BOOL, VOID, BYTES = BoolType(), VoidType(), BytesType()

# Names a program may use as types. `int` is i64, as C's `long` on LP64.
TYPE_NAMES = {"u8": U8, "u16": U16, "u32": U32, "u64": U64, "i8": I8, "i16": I16, "i32": I32,
              "i64": I64, "int": I64, "bool": BOOL, "bytes": BYTES}


def is_resource(t: Type) -> bool:
    """Whether values of `t` have one owner: a @resource or @linear record."""
    return isinstance(t, RecordType) and t.ownership is not None


def is_linear(t: Type) -> bool:
    """Whether values of `t` must be consumed: a @linear record."""
    return isinstance(t, RecordType) and t.ownership == "linear"


def resources_in(t: Type) -> list:
    """The resource types a value of `t` holds: itself, its fields', its elements' (each once)."""
    found: list = []
    if isinstance(t, ArrayType):
        found = resources_in(t.elem)
    elif isinstance(t, RecordType):
        found = [t] if t.ownership else []
        for ftype, _ in t.fields.values():
            found += [r for r in resources_in(ftype) if r not in found]
    return found


def is_scalar(t: Type) -> bool:
    """Integers and bool: the types held in one register and copied by assignment."""
    return t.is_int() or t is BOOL
