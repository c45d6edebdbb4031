"""The language's built-in names, with their CPython behaviour (the host shims).

A program in the subset starts with `from downstairs.compiler.runtime import ...`. The compiler
treats every name here as built in (docs/compiler-language.md lists them); under CPython these
definitions make the same source run on the host:

- u8 .. u64, i8 .. i64: conversions that wrap a Python int to the width (two's complement).
- `record`: a class decorator for plain-data records (C struct layout in compiled code).
- `resource` and `linear`: records with one owner (docs/ownership.md). On the host a value
  that was moved or destroyed raises OwnershipError when used, and a linear value that is
  garbage collected without being consumed gives a ResourceWarning.
- `Ref[T]`, `MutRef[T]`: parameter annotations that borrow (read-only, or exclusively).
- `Array[T, n]` names an array type, `array(T, n)` makes one (zero filled).
- `run(main)`: in `if __name__ == "__main__":`, runs the program on the host as compiled
  code would run (downstairs/compiler/cpython.py) and exits with its status.
- load8 .. store64, csr_read/csr_write, ecall, wfi, fence, fence_i, amoswap32/64, amoadd32/64:
  the hardware intrinsics.
  On the host they act on `host.MACHINE`, a tiny model of QEMU's `virt` board: a 16550 UART
  at 0x10000000 whose output is collected, a sifive_test exit device at 0x100000, and plain
  memory everywhere else.
- The privileged part (docs/compiler-language.md, "Harts, traps and privilege"): `TrapFrame`,
  the decorators `entry`, `machine_trap`, `supervisor_trap` and `supervisor_syscall`, and `trap_return`, `mret`,
  `sret`, `sfence_vma*`, `hart_id`, `addr`, `image_start`/`image_end`, `cas32/64`,
  `amoor32/64`, `amoand32/64`, `ecall_regs`, `csr_set`/`csr_clear` and the
  `mprv_load*`/`mprv_store*` family. On the host a trap is a Python call: an ecall from a
  lower mode calls the program's trap handler with a filled-in TrapFrame, and trap_return
  calls the function the frame's pc names.
"""

import copy
import sys
import warnings

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


class HostArray(list):
    """An array on the host: a list that knows its element type (for addr(): host.py)."""

    def __init__(self, elem, values):
        super().__init__(values)
        self.elem = elem


def array(elem, length: int) -> list:
    """A fixed-size array of `length` zero elements (records and arrays nest)."""
    return HostArray(elem, [_zero(elem) for _ in range(length)])


def record(cls):
    """Plain-data record: every annotated field starts at zero; the constructor takes the
    fields in order as optional arguments."""
    fields = list(cls.__dict__.get("__annotations__", {}).items())

    def __init__(self, *args):
        for (name, kind), value in zip(fields, list(args) + [None] * (len(fields) - len(args))):
            setattr(self, name, _zero(kind) if value is None else value)
        if fields and fields[0][1] is TrapFrame:     # a record that begins with a TrapFrame (a task's)
            host.ENCLOSING[getattr(self, fields[0][0])] = self

    cls.__init__ = __init__
    cls.__record_fields__ = fields
    return cls


class OwnershipError(Exception):
    """A resource used after it was moved or destroyed. The compiler rejects programs that
    do this; on the host it catches Python code (a test, say) that breaks the rules."""


class Owned:
    """What @resource adds to a record on the host: `_gone` says how the value left (None
    while it is usable); every field access checks it."""

    _gone = None

    def __getattribute__(self, name):
        gone = object.__getattribute__(self, "_gone")
        if gone is not None and not name.startswith("__"):
            raise OwnershipError(f"this {type(self).__name__} was {gone}: it cannot be used any more")
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        gone = object.__getattribute__(self, "_gone")
        if gone is not None:
            raise OwnershipError(f"this {type(self).__name__} was {gone}: it cannot be changed any more")
        object.__setattr__(self, name, value)


class OwnedLinear(Owned):
    """@linear on the host: a value collected while still usable was never consumed."""

    def __del__(self):
        if object.__getattribute__(self, "_gone") is None:
            warnings.warn(f"a linear {type(self).__name__} was never consumed (moved, returned or destroyed)",
                          ResourceWarning, stacklevel=2)


def _owned(cls, base):
    """A record class that also derives from Owned or OwnedLinear."""
    made = type(cls.__name__, (base,), {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")})
    return record(made)


def resource(cls):
    """A record with exactly one owner: assigning, passing, returning or storing it moves it."""
    return _owned(cls, Owned)


def linear(cls):
    """A resource that must be consumed: moved, returned or destroyed (`del`) by its module."""
    return _owned(cls, OwnedLinear)


def _retire(value, how):
    """Mark a value and every resource inside it as gone (`how` says why)."""
    if isinstance(value, list):
        for item in value:
            _retire(item, how)
    elif getattr(type(value), "__record_fields__", None) is not None:
        for name, _ in type(value).__record_fields__:
            _retire(object.__getattribute__(value, name), how)
        if isinstance(value, Owned):
            object.__setattr__(value, "_gone", how)


def _usable(value) -> None:
    """A resource about to move or end must still be usable (OwnershipError if not)."""
    if isinstance(value, Owned):
        gone = object.__getattribute__(value, "_gone")
        if gone is not None:
            raise OwnershipError(f"this {type(value).__name__} was {gone}: it cannot be moved or destroyed again")


def _move(value, how="moved"):
    """A move on the host: a fresh copy of the value, and the old one marked gone. (Compiled
    code copies the bytes too; the old name is dead.)"""
    _usable(value)
    moved = copy.deepcopy(value)
    _retire(value, how)
    return moved


def _destroy(value):
    """`del name` of a resource: it is gone (no code on the machine)."""
    _usable(value)
    _retire(value, "destroyed")


class BorrowSpec:
    """`Ref[T]` or `MutRef[T]`: a parameter that borrows a T for the call."""

    def __init__(self, kind: str, of):
        self.kind, self.of = kind, of


class Ref:
    def __class_getitem__(cls, of) -> BorrowSpec:
        return BorrowSpec("shared", of)


class MutRef:
    def __class_getitem__(cls, of) -> BorrowSpec:
        return BorrowSpec("exclusive", of)


def run(entry) -> None:
    """`run(main)` in `if __name__ == "__main__":` runs the program that defines `entry` on the
    host's model of the board, as the compiled program runs on a machine: its output to
    stdout, then exit with its status (downstairs/compiler/cpython.py)."""
    from downstairs.compiler.cpython import run_main
    sys.exit(run_main(sys.modules[entry.__module__].__file__, entry.__name__))


def at(address: int, value=None):
    """`@at(ADDRESS)` places the decorated function at a fixed address; `name = at(ADDRESS,
    initial value)` places a global there (compiled code only: on the host the value is
    the variable, as without `at`)."""
    if value is not None:
        return value

    def mark(func):
        return func
    return mark


def noinit(value):
    """`name = noinit(array(T, n))` or `noinit(Record())`: a global the entry code does not zero
    (compiled code: its bytes are whatever memory held until the program writes them; on the
    host the value itself, zeros)."""
    return value


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


def csr_set(number: int, bits: int) -> None:
    host.MACHINE.csr_write(number, host.MACHINE.csr_read(number) | bits)


def csr_clear(number: int, bits: int) -> None:
    host.MACHINE.csr_write(number, host.MACHINE.csr_read(number) & ~bits)


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


# ---- harts, traps and privilege (docs/compiler-language.md) -----------------------------

@record
class TrapFrame:
    """What a trap entry saves, and what trap_return restores. regs[i] is register xi
    (regs[0] reads 0); pc is xepc; status, cause and tval are xstatus, xcause and xtval at
    the trap. `hart` and `stack` belong to the entry code: the hart index and the stack the
    handler runs on when the trap comes from a lower mode (trap_return fills them in)."""
    regs: Array[u64, 32]
    pc: u64
    status: u64
    cause: u64
    tval: u64
    hart: u64
    stack: u64


def entry(harts: int = 1, stack: int = 0x10000, secondary=None):
    """`@entry(harts=N, stack=BYTES, secondary=FUNC)`: the decorated function is where the boot
    hart starts (compiled code: every hart gets its own stack; see the language page)."""
    def mark(func):
        return func
    return mark


def machine_trap(func):
    """The decorated function handles traps into M-mode: compiled, mtvec points at an entry
    that saves every register in a TrapFrame and calls it; on the host, an ecall or a fault
    from a lower mode calls it the same way."""
    host.TRAP_HANDLERS[host.PRV_M] = func
    return func


def supervisor_trap(func):
    """As machine_trap, for traps into S-mode (stvec, sscratch, sepc, sret)."""
    host.TRAP_HANDLERS[host.PRV_S] = func
    return func


def supervisor_syscall(func):
    """The decorated function handles system calls, ecalls from U-mode, beside the program's
    @supervisor_trap: compiled, the trap entry saves only what the system-call ABI keeps (see
    the language page) and calls it with the frame sscratch named, or the record that frame
    begins; on the host, an ecall from U-mode calls it with the frame the last trap_return
    into U-mode left for (or that frame's record)."""
    host.SYSCALL_HANDLERS[host.PRV_S] = func
    return func


def trap_return(frame: TrapFrame) -> None:
    """Leave for the mode and pc in `frame` with every register from it (never returns)."""
    host.MACHINE.trap_return(frame)


def mret() -> None:
    raise host.HostLeft(host.PRV_M)


def sret() -> None:
    raise host.HostLeft(host.PRV_S)


def sfence_vma() -> None:
    host.MACHINE.tlb_flushes += 1


def sfence_vma_page(vaddr: int) -> None:
    host.MACHINE.tlb_flushes += 1


def sfence_vma_asid(asid: int) -> None:
    host.MACHINE.tlb_flushes += 1


def hart_id() -> int:
    return host.MACHINE.hart


def addr(thing) -> int:
    """The address of a record, an array, a function or a bytes value's first byte (on the
    host: a stable made-up one)."""
    return host.MACHINE.address_of(thing)


def image_start() -> int:
    return host.MACHINE.image_start


def image_end() -> int:
    return host.MACHINE.image_end


def cas32(address: int, expected: int, new: int) -> int:
    old = u32(host.MACHINE.load(address, 4))
    if old == u32(expected):
        host.MACHINE.store(address, 4, new)
    return old


def cas64(address: int, expected: int, new: int) -> int:
    old = host.MACHINE.load(address, 8)
    if old == u64(expected):
        host.MACHINE.store(address, 8, new)
    return old


def amoor32(address: int, value: int) -> int:
    return _amo(address, 4, value, lambda old, new: old | new)


def amoor64(address: int, value: int) -> int:
    return _amo(address, 8, value, lambda old, new: old | new)


def amoand32(address: int, value: int) -> int:
    return _amo(address, 4, value, lambda old, new: old & new)


def amoand64(address: int, value: int) -> int:
    return _amo(address, 8, value, lambda old, new: old & new)


def ecall_regs(regs: list) -> None:
    """a0..a7 from regs[0..7], ecall, a0..a7 back into regs."""
    host.MACHINE.ecall_regs(regs)


def mprv_load8(address: int) -> int:
    return host.MACHINE.lower_load(address, 1)


def mprv_load16(address: int) -> int:
    return host.MACHINE.lower_load(address, 2)


def mprv_load32(address: int) -> int:
    return host.MACHINE.lower_load(address, 4)


def mprv_load64(address: int) -> int:
    return host.MACHINE.lower_load(address, 8)


def mprv_store8(address: int, value: int) -> None:
    host.MACHINE.lower_store(address, 1, value)


def mprv_store16(address: int, value: int) -> None:
    host.MACHINE.lower_store(address, 2, value)


def mprv_store32(address: int, value: int) -> None:
    host.MACHINE.lower_store(address, 4, value)


def mprv_store64(address: int, value: int) -> None:
    host.MACHINE.lower_store(address, 8, value)
