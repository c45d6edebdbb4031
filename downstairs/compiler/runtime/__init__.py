"""The language's built-in names, with their CPython behaviour (the host shims).

A program in the subset starts with `from downstairs.compiler.runtime import ...`. The compiler
treats every name here as built in (docs/compiler-language.md lists them); under CPython these
definitions make the same source run on the host:

- u8 .. u64, i8 .. i64: conversions that wrap a Python int to the width (two's complement).
- `record`: a class decorator for plain-data records (C struct layout in compiled code).
- `Array[T, n]` names an array type, `array(T, n)` makes one (zero filled).
- load8 .. store64, csr_read/csr_write, ecall, wfi, fence, fence_i, amoswap32/64, amoadd32/64:
  the hardware intrinsics.
  On the host they act on `host.MACHINE`, a tiny model of QEMU's `virt` board: a 16550 UART
  at 0x10000000 whose output is collected, a sifive_test exit device at 0x100000, and plain
  memory everywhere else.
"""

from downstairs.compiler.runtime import host


class IntKind:
    """A fixed-width integer type; calling it converts (wraps) a Python int."""

    def __init__(self, name: str, bits: int, signed: bool):
        self.name, self.bits, self.signed = name, bits, signed

    def __call__(self, value=0) -> int:
        value = int(value) & ((1 << self.bits) - 1)
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value

    def __repr__(self) -> str:
        return self.name


u8, u16, u32, u64 = (IntKind(f"u{b}", b, False) for b in (8, 16, 32, 64))
i8, i16, i32, i64 = (IntKind(f"i{b}", b, True) for b in (8, 16, 32, 64))


class ArraySpec:
    """`Array[T, n]`: the type of an array of n elements of T."""

    def __init__(self, elem, length: int):
        self.elem, self.length = elem, length

    def __call__(self) -> list:
        return array(self.elem, self.length)


class Array:
    def __class_getitem__(cls, key) -> ArraySpec:
        elem, length = key
        return ArraySpec(elem, length)


def _zero(kind):
    """The zero value of a field or element type: 0, a zero record, or a zero array."""
    if isinstance(kind, ArraySpec):
        return kind()
    if isinstance(kind, type) and getattr(kind, "__record_fields__", None) is not None:
        return kind()
    return 0


def array(elem, length: int) -> list:
    """A fixed-size array of `length` zero elements (records and arrays nest)."""
    return [_zero(elem) for _ in range(length)]


def record(cls):
    """Plain-data record: every annotated field starts at zero; the constructor takes the
    fields in order as optional arguments."""
    fields = list(cls.__dict__.get("__annotations__", {}).items())

    def __init__(self, *args):
        for (name, kind), value in zip(fields, list(args) + [None] * (len(fields) - len(args))):
            setattr(self, name, _zero(kind) if value is None else value)

    cls.__init__ = __init__
    cls.__record_fields__ = fields
    return cls


def at(address: int):
    """Place the decorated function at a fixed address (compiled code only)."""
    def mark(func):
        return func
    return mark


def external(func):
    """A function defined outside the program (in C, in ROM): compiled code calls the address
    given with `--symbol NAME=ADDRESS`; on the host the Python body runs as its model."""
    return func


# ---- hardware intrinsics ----------------------------------------------------------------

def load8(address: int) -> int:
    return host.MACHINE.load(address, 1)


def load16(address: int) -> int:
    return host.MACHINE.load(address, 2)


def load32(address: int) -> int:
    return host.MACHINE.load(address, 4)


def load64(address: int) -> int:
    return host.MACHINE.load(address, 8)


def store8(address: int, value: int) -> None:
    host.MACHINE.store(address, 1, value)


def store16(address: int, value: int) -> None:
    host.MACHINE.store(address, 2, value)


def store32(address: int, value: int) -> None:
    host.MACHINE.store(address, 4, value)


def store64(address: int, value: int) -> None:
    host.MACHINE.store(address, 8, value)


def csr_read(number: int) -> int:
    return host.MACHINE.csr_read(number)


def csr_write(number: int, value: int) -> None:
    host.MACHINE.csr_write(number, value)


def ecall(a7: int, a0: int = 0, a1: int = 0, a2: int = 0) -> int:
    return host.MACHINE.ecall(a7, a0, a1, a2)


def _amo(address: int, size: int, value: int, combine) -> int:
    """An atomic read-modify-write on host memory: stores combine(old, value) and returns the
    old value as the intrinsic's result type (u32 or u64) says."""
    old = host.MACHINE.load(address, size)
    host.MACHINE.store(address, size, combine(old, value))
    return old if size == 8 else u32(old)


def amoswap32(address: int, value: int) -> int:
    return _amo(address, 4, value, lambda old, new: new)


def amoswap64(address: int, value: int) -> int:
    return _amo(address, 8, value, lambda old, new: new)


def amoadd32(address: int, value: int) -> int:
    return _amo(address, 4, value, lambda old, new: old + new)


def amoadd64(address: int, value: int) -> int:
    return _amo(address, 8, value, lambda old, new: old + new)


def wfi() -> None:
    pass


def fence() -> None:
    pass


def fence_i() -> None:
    pass
