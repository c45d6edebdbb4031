"""Building the system: the kernel and every task of a task table through our compiler, laid out
as one image for -kernel, into the cache.

    $DOWNSTAIRS_CACHE/kernel/<table>-<key>/kernel.bin     the image: loaded at the kernel's base
                                          /kernel.elf     the kernel alone, with its symbols
                                          /tasks/NAME.elf each task, with its symbols
                                          /slots.py       the task indexes, generated for the tasks
                                          /layout.txt     where everything went
    (DOWNSTAIRS_CACHE defaults to ~/.cache/downstairs: guests/cache.py)

The key hashes every input: the table, every task's source, the kernel's sources and the
compiler's own (downstairs/compiler and the encoder in downstairs/isa).

The image, from the kernel's memory base (0x80200000, where fw_dynamic jumps):

    kernel text, data | bss, stack (zeros) | task table | line table | task images ... | page-table frames
    ^ base                     image end ^  ^ next page  ^ next page  ^ each on a page  ^ to base + size

Each task is compiled at its own memory base with no entry code, its data on a page of its
own (--data-align 4096): the kernel copies its image to its memory at every start, maps the
code read+execute and the data read+write, zeroes its bss and starts it at main() with sp at
the top of its memory.
"""

import pathlib

from downstairs.errors import UsageError
from downstairs.kernel import tasktable

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE.parent
TOP = PACKAGE.parent
TASKS = HERE / "tasks"
DEFAULT_TABLE = HERE / "system.toml"
PAGE = tasktable.PAGE
LINES_OFFSET = tasktable.layout.LINES_OFFSET      # the line table: the page after the task table's
MAX_TABLES = 8                      # vm.py's page tables per task


class Built:
    def __init__(self, folder: pathlib.Path, cached: bool):
        self.folder, self.cached = folder, cached
        self.image, self.elf, self.layout = folder / "kernel.bin", folder / "kernel.elf", folder / "layout.txt"


def align(value: int) -> int:
    return (value + PAGE - 1) // PAGE * PAGE


def inputs(table: tasktable.Table) -> list[pathlib.Path]:
    """Every file the build reads, in a fixed order."""
    ours = sorted(HERE.rglob("*.py"))
    compiler = sorted((PACKAGE / "compiler").rglob("*.py")) + [PACKAGE / "isa" / "encode.py"]
    sources = sorted({task.source.resolve() for task in table.tasks} - set(ours))
    return [table.path.resolve()] + ours + sources + compiler


def entry(table: tasktable.Table) -> pathlib.Path:
    from downstairs.guests import cache

    parts = []
    for path in inputs(table):
        parts += [str(path), path.read_bytes()]
    return cache.cache_dir("kernel") / f"{table.path.stem}-{cache.digest(*parts)}"


def build(table_path=DEFAULT_TABLE) -> Built:
    """The system of the task table at `table_path`, built into the cache if this set of inputs
    is new. Bad input is a UsageError of one line."""
    from downstairs.guests import cache

    table = tasktable.load(table_path)
    where = entry(table)
    cached = where.is_dir() or cache.publish(where, lambda folder: make(table, folder))
    return Built(where, cached)


def compile_one(path: pathlib.Path, what: str, options):
    from downstairs.compiler.asm import AsmError
    from downstairs.compiler.driver import compile_file
    from downstairs.compiler.errors import CompileError

    try:
        return compile_file(str(path), options)
    except CompileError as error:
        raise UsageError(f"{what} does not compile: {str(error).splitlines()[0]}") from None
    except AsmError as error:
        raise UsageError(f"{what} does not lay out: {error}") from None


def symbol(image, name: str) -> int | None:
    return next((address for sym, address, *_ in image.symbols if sym == name), None)


def make(table: tasktable.Table, folder: pathlib.Path) -> None:
    """Compile everything and write the image and its companions into `folder`."""
    from downstairs.compiler.driver import Options
    from downstairs.compiler.elf import flat_binary, write_elf

    base, size = table.kernel
    kernel = compile_one(HERE / "boot.py", "the kernel", Options(base=base, search_path=[str(HERE)]))
    kernel_end = symbol(kernel, "__image_end")
    (folder / "kernel.elf").write_bytes(write_elf(kernel))
    (folder / "slots.py").write_text(slots(table))
    (folder / "tasks").mkdir()
    images, placed, notes = [], [], []
    for task in table.tasks:
        image = compile_one(task.source, f"{table.path.name}: tasks.{task.name}",
                            Options(base=task.base, entry=None, stack_size=0, data_align=PAGE,
                                    search_path=[str(folder), str(task.source.parent), str(TASKS), str(HERE)]))
        main = symbol(image, "main")
        if main is None:
            raise UsageError(f"{table.path.name}: tasks.{task.name}: {task.source.name} has no main()")
        text = image.data_addr - task.base
        data = align(image.bss_addr + image.bss_size) - image.data_addr
        need = text + data + PAGE + task.stack
        if need > task.size:
            raise UsageError(f"{table.path.name}: tasks.{task.name}: needs {need:#x} bytes of memory (code "
                             f"{text:#x}, data and bss {data:#x}, a guard page, stack {task.stack:#x}), "
                             f"not {task.size:#x}")
        blob = flat_binary(image)
        images.append(blob)
        placed.append(tasktable.Placed(0, len(blob), text, data, main))
        (folder / "tasks" / f"{task.name}.elf").write_bytes(write_elf(image))
        notes.append(f"task {task.index} {task.name:12} memory {task.base:#x}-{task.base + task.size:#x}: code "
                     f"{text:#x}, data+bss {data:#x}, stack {task.stack:#x}, priority {task.priority}")
    table_at = align(kernel_end)
    lines = tasktable.encode_lines(table, kernel.lines, base, TOP)
    lines_at = table_at + LINES_OFFSET
    at = align(lines_at + len(lines))
    for where, blob in zip(placed, images):
        where.image = at
        at = align(at + len(blob))
    frames, frames_end = at, base + size
    if (frames_end - frames) // PAGE < MAX_TABLES * len(table.tasks):
        raise UsageError(f"{table.path.name}: kernel.memory: {size:#x} bytes is too small: the kernel, the table "
                         f"and the task images end at {frames:#x}, leaving {max(0, frames_end - frames) // PAGE} "
                         f"page-table frames where the tasks may need {MAX_TABLES * len(table.tasks)}")
    out = bytearray(flat_binary(kernel))
    out += bytes(table_at - base - len(out))
    out += tasktable.encode(table, kernel_end, frames, frames_end, placed)
    out += bytes(lines_at - base - len(out)) + lines
    for where, blob in zip(placed, images):
        out += bytes(where.image - base - len(out)) + blob
    (folder / "kernel.bin").write_bytes(bytes(out))
    (folder / "layout.txt").write_text(
        f"kernel      {base:#x}-{kernel_end:#x} (code and data {len(kernel.text) + len(kernel.data):#x})\n"
        f"task table  {table_at:#x}, line table {lines_at:#x} ({len(kernel.lines)} lines)\n"
        + "".join(f"image of {task.name:12} {where.image:#x} ({where.image_size:#x} bytes)\n"
                  for task, where in zip(table.tasks, placed))
        + f"page frames {frames:#x}-{frames_end:#x}\n" + "".join(note + "\n" for note in notes))


def slots(table: tasktable.Table) -> str:
    """The subset module the tasks import to name each other (`from slots import STORE`)."""
    lines = [f'"""The tasks of {table.path.name}, by index: generated by downstairs/kernel/build.py."""', ""]
    lines += [f"{task.name.upper()} = {task.index}" for task in table.tasks]
    return "\n".join(lines) + "\n"
