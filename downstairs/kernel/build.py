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


def compile_one(path: pathlib.Path, options, fail):
    """Compile the program at `path`; a compile error becomes `fail(message)`, a UsageError."""
    from downstairs.compiler.asm import AsmError
    from downstairs.compiler.driver import compile_file
    from downstairs.compiler.errors import CompileError

    try:
        return compile_file(str(path), options)
    except CompileError as error:
        raise fail(f"does not compile: {str(error).splitlines()[0]}") from None
    except AsmError as error:
        raise fail(f"does not lay out: {error}") from None


def symbol(image, name: str) -> int | None:
    return next((address for sym, address, *_ in image.symbols if sym == name), None)


def compile_kernel(base: int):
    """The kernel (boot.py and its modules) compiled to run from `base`."""
    from downstairs.compiler.driver import Options

    return compile_one(HERE / "boot.py", Options(base=base, search_path=[str(HERE)]),
                       lambda message: UsageError(f"the kernel {message}"))


def kernel_lines(kernel) -> list[tuple[int, str, int]]:
    """The kernel's line records (address, file, line) with files named from the repository's top,
    for the line table (tasktable.encode_lines)."""
    return [(address, "(the compiler's entry code)" if path is None else tasktable.relative(path, TOP), line)
            for address, path, line in kernel.lines]


def task_search_path(generated: pathlib.Path, task: tasktable.Task) -> list[str]:
    """Where a task's imports are found: the generated slots.py, its own folder, the kernel's tasks."""
    return [str(generated), str(task.source.parent), str(TASKS), str(HERE)]


def compile_task(table: tasktable.Table, task: tasktable.Task, generated: pathlib.Path):
    """One task compiled at its memory's base with no entry code and its data on a page of its
    own, and where it goes (a Placed with no image address yet): (image, placed). Its imports
    find slots.py in `generated`."""
    from downstairs.compiler.driver import Options

    options = Options(base=task.base, entry=None, stack_size=0, data_align=PAGE,
                      search_path=task_search_path(generated, task))
    image = compile_one(task.source, options, lambda message: table.blame(task, "source", message))
    main = symbol(image, "main")
    if main is None:
        raise table.blame(task, "source", f"{task.source.name} has no main()")
    text = image.data_addr - task.base
    data = align(image.bss_addr + image.bss_size) - image.data_addr
    need = text + data + PAGE + task.stack
    if need > task.size:
        raise table.blame(task, "memory", f"needs {need:#x} bytes of memory (code {text:#x}, data and bss "
                                          f"{data:#x}, a guard page, stack {task.stack:#x}), not {task.size:#x}")
    return image, tasktable.Placed(0, len(flat_binary(image)), text, data, main)


def flat_binary(image) -> bytes:
    from downstairs.compiler.elf import flat_binary as flat

    return flat(image)


def link(table: tasktable.Table, kernel: bytes, kernel_end: int, lines: list[tuple[int, str, int]],
         tasks: list[tuple[bytes, tasktable.Placed]]) -> tuple[bytes, str]:
    """The system's image from the kernel's flat bytes (its image ending at `kernel_end`), its
    line records and each task's flat bytes and Placed (whose image address is set here), laid
    out as the module docstring draws: (the image's bytes, a description of where things went)."""
    base, size = table.kernel
    table_at = align(kernel_end)
    line_table = tasktable.encode_lines(table, lines, base)
    lines_at = table_at + LINES_OFFSET
    at = align(lines_at + len(line_table))
    for _, where in tasks:
        where.image = at
        at = align(at + where.image_size)
    frames, frames_end = at, base + size
    if (frames_end - frames) // PAGE < MAX_TABLES * len(table.tasks):
        raise table.doc.error(("kernel",), f"memory of {size:#x} bytes is too small: the kernel, the table and "
                                           f"the task images end at {frames:#x}, leaving "
                                           f"{max(0, frames_end - frames) // PAGE} page-table frames where the "
                                           f"tasks may need {MAX_TABLES * len(table.tasks)}", "memory")
    out = bytearray(kernel)
    out += bytes(table_at - base - len(out))
    out += tasktable.encode(table, kernel_end, frames, frames_end, [where for _, where in tasks])
    out += bytes(lines_at - base - len(out)) + line_table
    for blob, where in tasks:
        out += bytes(where.image - base - len(out)) + blob
    notes = [f"task {task.index} {task.name:12} memory {task.base:#x}-{task.base + task.size:#x}: code "
             f"{where.text:#x}, data+bss {where.data:#x}, stack {task.stack:#x}, priority {task.priority}"
             for task, (_, where) in zip(table.tasks, tasks)]
    layout = (f"kernel      {base:#x}-{kernel_end:#x} (code and data {len(kernel):#x})\n"
              f"task table  {table_at:#x}, line table {lines_at:#x} ({len(lines)} lines)\n"
              + "".join(f"image of {task.name:12} {where.image:#x} ({where.image_size:#x} bytes)\n"
                        for task, (_, where) in zip(table.tasks, tasks))
              + f"page frames {frames:#x}-{frames_end:#x}\n" + "".join(note + "\n" for note in notes))
    return bytes(out), layout


def make(table: tasktable.Table, folder: pathlib.Path) -> None:
    """Compile everything and write the image and its companions into `folder`."""
    from downstairs.compiler.elf import write_elf

    kernel = compile_kernel(table.kernel[0])
    (folder / "kernel.elf").write_bytes(write_elf(kernel))
    (folder / "slots.py").write_text(slots(table))
    (folder / "tasks").mkdir()
    tasks = []
    for task in table.tasks:
        image, where = compile_task(table, task, folder)
        tasks.append((flat_binary(image), where))
        (folder / "tasks" / f"{task.name}.elf").write_bytes(write_elf(image))
    out, layout = link(table, flat_binary(kernel), symbol(kernel, "__image_end"), kernel_lines(kernel), tasks)
    (folder / "kernel.bin").write_bytes(out)
    (folder / "layout.txt").write_text(layout)


def slots(table: tasktable.Table) -> str:
    """The subset module the tasks import to name each other (`from slots import STORE`)."""
    lines = [f'"""The tasks of {table.path.name}, by index: generated by downstairs/kernel/build.py."""', ""]
    lines += [f"{task.name.upper()} = {task.index}" for task in table.tasks]
    return "\n".join(lines) + "\n"
