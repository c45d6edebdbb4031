"""Running a program both ways: under CPython with the host shims, and compiled on a machine.

`run_host` checks the program with the compiler's own checker, then gives CPython the same
source with one change: every fixed-width arithmetic result is wrapped to its width (the
checker knows each expression's type), so `u8(250) + 10` is 4 on the host as on the hart.
The intrinsics act on `runtime.host.MACHINE` (UART output collected, sifive_test ends the run).

`run_machine` boots a compiled ELF on a machine command line, by default
`qemu-system-riscv64 -M virt -bios none -kernel ELF -nographic`; any command that takes the
same arguments (such as `python3 -m downstairs run`) can be given instead. Both return a
`Result(output, status)`: status 0 for pass, the sifive_test code for fail, "timeout" if the
machine never stopped. A trap on the host (failed assert, bad index, division by zero) maps
to the status the corpus's trap handler reports for ebreak: 0x80 | 3; an ecall to 0x80 | 11.
"""

import ast
import subprocess
import sys
import types as pytypes

from downstairs.compiler.check import check_program, LIT
from downstairs.compiler.modules import load_program
from downstairs.compiler.runtime import host

QEMU = ["qemu-system-riscv64", "-M", "virt", "-bios", "none", "-kernel", "{elf}", "-nographic"]
TRAP_STATUS = 0x80 | 3


class Result:
    """How a run ended: the console output (bytes) and the status (see the module docstring)."""

    def __init__(self, output: bytes, status):
        self.output, self.status = output, status

    def __repr__(self):
        return f"Result({self.output!r}, {self.status!r})"


def _wrap(bits, signed, value):
    """`value` wrapped to a `bits`-wide two's complement integer, signed or not."""
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


class Wrapper(ast.NodeTransformer):
    """Wraps each typed arithmetic result to its width (see the module docstring), reading
    each expression's type from the checker's table."""

    def __init__(self, types):
        self.types = types

    @staticmethod
    def wrapped(node, ty):         # __wrap__(bits, signed, node), at node's place in the source
        call = ast.Call(ast.Name("__wrap__", ast.Load()),
                        [ast.Constant(ty.bits), ast.Constant(ty.signed), node], [])
        return ast.copy_location(call, node)

    def needs(self, node):         # a typed (not untyped-constant) integer result
        ty = self.types.get(node)
        return ty is not None and ty is not LIT and ty.is_int()

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self.wrapped(node, self.types[node]) if self.needs(node) else node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.USub, ast.Invert)) and self.needs(node):
            return self.wrapped(node, self.types[node])
        return node

    def visit_AugAssign(self, node):
        """`t op= v` becomes `t = __wrap__(..., t op v)`."""
        self.generic_visit(node)
        ty, t = self.types[node.target], node.target
        # the target read as a value (its sub-expressions are shared: they only load)
        if isinstance(t, ast.Name):
            load = ast.Name(t.id, ast.Load())
        elif isinstance(t, ast.Attribute):
            load = ast.Attribute(t.value, t.attr, ast.Load())
        else:
            load = ast.Subscript(t.value, t.slice, ast.Load())
        value = self.wrapped(ast.copy_location(ast.BinOp(load, node.op, node.value), node), ty)
        return ast.copy_location(ast.Assign([node.target], value), node)


def run_host(path: str, entry: str = "main", search_path=()) -> Result:
    """Check the program, then run its `entry` under CPython on a fresh host machine: the
    UART output and the status (see the module docstring)."""
    modules = load_program(path, list(search_path))
    program = check_program(modules)
    machine = host.reset()
    saved = {m.name: sys.modules.get(m.name) for m in modules}
    status = None
    try:
        namespace = None
        for module in modules:
            tree = ast.fix_missing_locations(Wrapper(program.types).visit(module.tree))
            mod = pytypes.ModuleType(module.name)
            mod.__file__ = module.path
            mod.__dict__["__wrap__"] = _wrap
            sys.modules[module.name] = mod
            exec(compile(tree, module.path, "exec"), mod.__dict__)
            namespace = mod.__dict__
        try:
            namespace[entry]()
        except host.HostExit as done:
            status = done.status
        except (AssertionError, IndexError, ZeroDivisionError):
            status = TRAP_STATUS
        except host.HostTrap as trap:
            status = 0x80 | trap.cause
        except RecursionError:
            status = "stack overflow"
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return Result(bytes(machine.output), status)


def run_machine(elf_path: str, command=QEMU, timeout: float = 60) -> Result:
    """Boot `elf_path` with `command` ("{elf}" replaced): its console output and exit status."""
    argv = [a.replace("{elf}", elf_path) for a in command]
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return Result(err.stdout or b"", "timeout")
    return Result(proc.stdout, proc.returncode)
