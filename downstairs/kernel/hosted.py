"""The kernel under plain CPython, for pytest and for a learner with a debugger.

load() runs the kernel's modules as the compiler runs any program under CPython (compiler/
cpython.py: every fixed-width result wrapped, ownership enforced, the intrinsics acting on the
board model of compiler/runtime/host.py). boot() then places a task table in the model's memory
and runs boot.setup() on it, so every task has its record, its address space and its memory,
exactly as on a hart; syscall() is a task's ecall:

    k = hosted.boot("tests/kernel/systems/logic.toml")
    hosted.syscall(k, CLIENT, abi.SEND, SERVER, op, 1, 2, 3, 4, 0)    # break in ipc.send to step it
    k["task"].tasks[CLIENT].state                                     # SENDING, until the server receives

Tasks do not run here (they are separate programs): a test plays each task's part by making its
system calls, and looks at what the kernel did to their records and registers.
"""

import pathlib

from downstairs.compiler.cpython import checked, load_modules
from downstairs.compiler.runtime import host
from downstairs.kernel import tasktable

HERE = pathlib.Path(__file__).resolve().parent
TABLE_AT = 0x80208000           # where boot() puts the task table in the model's memory
IMAGES_AT = 0x80210000          # then one page of image per task
FRAMES = (0x80280000, 0x80300000)
PAGE = 4096
S_MODE = 1
ECALL_SIZE = 4


def load() -> dict:
    """A fresh board model and fresh kernel modules (module-level state at its start), by name."""
    host.reset()
    return load_modules(*checked(str(HERE / "boot.py"), [str(HERE)]))


def place(table: tasktable.Table, image: bytes = b"") -> None:
    """Write `table` in binary into the model's memory at TABLE_AT, each task's image a page of
    `image` (zeros by default) at IMAGES_AT + index pages; a task's text and data one page each."""
    placed = [tasktable.Placed(IMAGES_AT + PAGE * t.index, PAGE, PAGE, PAGE, t.base) for t in table.tasks]
    put_bytes(TABLE_AT, tasktable.encode(table, 0x80208000, FRAMES[0], FRAMES[1], placed))
    for t in table.tasks:
        put_bytes(IMAGES_AT + PAGE * t.index, image[:PAGE])


def boot(table_path) -> dict:
    """Fresh kernel modules booted (boot.setup) on the task table at `table_path`."""
    k = load()
    place(tasktable.load(table_path))
    host.MACHINE.mode = S_MODE
    k["boot"].setup(TABLE_AT)
    return k


def syscall(k: dict, index: int, number: int, *args: int) -> list:
    """Task `index` makes system call `number` with a0, a1, ... = args: the kernel's dispatch
    runs as after the system-call entry (which also steps the pc over the ecall). Returns the
    task's registers afterwards."""
    t = k["task"].tasks[index]
    for j, value in enumerate(args):
        t.frame.regs[10 + j] = value & ((1 << 64) - 1)
    t.frame.regs[17] = number
    t.frame.pc += ECALL_SIZE
    k["task"].hart.current = index
    k["syscall"].dispatch(t)
    return t.frame.regs


def put_bytes(address: int, data: bytes) -> None:
    for j, byte in enumerate(data):
        host.MACHINE.memory[address + j] = byte


def get_bytes(address: int, length: int) -> bytes:
    return bytes(host.MACHINE.memory.get(address + j, 0) for j in range(length))
