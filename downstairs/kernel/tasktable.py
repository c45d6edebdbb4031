"""The task table on the host: the kernel's part of a system manifest (system.toml is ours), read
with tomllib and checked, and its binary form for the kernel (the layout is table.py's, whose
offsets this file uses; panic.py's line table is encoded here too).

A system manifest (docs/image.md, "The manifest") is one TOML file: [board], [devices], [kernel]
and [tasks.NAME] are read here; [firmware] and [files] belong to the image layer above
(downstairs/image/manifest.py), which reads the same file and hands this part to load().

Every mistake is one line that names the file, the line and the entry: `system.toml:57:
tasks.app: sends to 'stroe', which is not a task` (tomlfile.py finds the lines). The checks:
unknown or missing keys and wrong types; memory that overlaps another task's, the kernel's or a
device; memory outside RAM or not in whole pages; a device that is not on the board or is owned
twice; an interrupt of a device the task does not own; an unknown task name (sends, the
supervisor); more tasks than the kernel has room for. docs/kernel.md, "The task table", is the
schema.
"""

import pathlib
import struct

from downstairs import tomlfile
from downstairs.errors import UsageError
from downstairs.kernel import table as layout

PAGE = 4096
FAULT_BIT = 1 << 31
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
KERNEL_SECTIONS = {"board", "devices", "kernel", "tasks"}
OTHER_SECTIONS = {"firmware", "files"}     # the image layer's (downstairs/image/manifest.py)


class Device:
    """A device of the board: its registers and its PLIC source (0: none)."""

    def __init__(self, name: str, base: int, size: int, irq: int):
        self.name, self.base, self.size, self.irq = name, base, size, irq


class Task:
    """One [tasks.NAME] entry, checked: index is its place in the file; keys its path there."""

    def __init__(self, name: str, index: int, source: pathlib.Path, priority: int, base: int, size: int,
                 stack: int, sends: list[str], devices: list[str], interrupts: dict[str, int], power: bool):
        self.name, self.index, self.source, self.priority = name, index, source, priority
        self.base, self.size, self.stack = base, size, stack
        self.sends, self.devices, self.interrupts, self.power = sends, devices, interrupts, power
        self.keys = ("tasks", name)


class Table:
    """A whole task table: the board, the kernel's memory and supervisor, the devices, the tasks;
    and the document they came from (its path, and lines for errors)."""

    def __init__(self, doc: tomlfile.Document, ram: tuple[int, int], plic: int, finisher: int,
                 kernel: tuple[int, int], supervisor: str, devices: dict[str, Device], tasks: list[Task]):
        self.doc, self.path, self.ram, self.plic, self.finisher = doc, doc.path, ram, plic, finisher
        self.kernel, self.supervisor, self.devices, self.tasks = kernel, supervisor, devices, tasks

    def task(self, name: str) -> Task:
        return next(t for t in self.tasks if t.name == name)

    def blame(self, task: Task, key: str | None, message: str) -> UsageError:
        """The one-line error about `task`, at the line of its `key` (or its header)."""
        return self.doc.error(task.keys, message, key)


def load(path) -> Table:
    """Read and check the task table (the system manifest) at `path`: UsageError of one line,
    naming the file and line, on the first problem."""
    return from_document(tomlfile.read(path))


def from_document(doc: tomlfile.Document) -> Table:
    """The task table of a manifest already read (the image layer reads the file once)."""
    top = doc.root()
    top.only(KERNEL_SECTIONS | OTHER_SECTIONS)
    kernel = top.table("kernel")
    use = kernel.get("use", str, "downstairs")
    if use != "downstairs":
        kernel.fail(f"use = {use!r}: a task table is our own kernel's (use = \"downstairs\")", "use")
    kernel.only({"use", "memory", "supervisor"})
    board = top.table("board")
    board.only({"ram", "plic", "finisher"})
    ram = board.range("ram", PAGE)
    devices = {}
    for name, fields in top.get("devices", dict, {}).items():
        entry = tomlfile.Entry(doc, ("devices", name), fields)
        entry.only({"base", "size", "irq"})
        devices[name] = Device(name, entry.address("base"), entry.get("size", int), entry.get("irq", int, 0))
        if not 0 < devices[name].size <= tomlfile.PHYSICAL_LIMIT - devices[name].base:
            entry.fail("size must be positive and end within the physical addresses", "size")
        if not 0 <= devices[name].irq < 128:
            entry.fail("irq must be a PLIC source below 128", "irq")
    tasks = [read_task(doc, name, index, fields, devices)
             for index, (name, fields) in enumerate(top.get("tasks", dict).items())]
    result = Table(doc, ram, board.address("plic"), board.address("finisher", 0), kernel.range("memory", PAGE),
                   kernel.get("supervisor", str), devices, tasks)
    check(result)
    return result


def read_task(doc: tomlfile.Document, name: str, index: int, fields, devices: dict[str, Device]) -> Task:
    entry = tomlfile.Entry(doc, ("tasks", name), fields)
    entry.only({"source", "priority", "memory", "stack", "sends", "devices", "interrupts", "power"})
    if index >= layout.MAX_TASKS:
        entry.fail(f"is task {index + 1}: the kernel has room for {layout.MAX_TASKS}")
    if not name or len(name) >= layout.NAME_SIZE or set(name) - NAME_CHARS:
        entry.fail(f"a task's name is 1 to {layout.NAME_SIZE - 1} of a-z, 0-9 and _")
    priority, stack = entry.get("priority", int), entry.get("stack", int)
    if not 0 <= priority <= 255:
        entry.fail(f"priority must be 0 (most urgent) to 255, not {priority}", "priority")
    base, size = entry.range("memory", PAGE)
    if stack < 256 or stack % 16 or stack > size:
        entry.fail(f"stack must be a multiple of 16 from 256 bytes up to its memory, not {stack:#x}", "stack")
    owned = entry.names("devices")
    if len(owned) > layout.MAX_DEVICES:
        entry.fail(f"owns {len(owned)} devices: a task may own {layout.MAX_DEVICES}", "devices")
    for device in owned:
        if device not in devices:
            entry.fail(f"device {device!r} is not in [devices]", "devices")
    interrupts = entry.get("interrupts", dict, {})
    for device, bits in interrupts.items():
        if device not in owned:
            entry.fail(f"interrupts: {device!r} is not one of its devices", "interrupts")
        if not devices[device].irq:
            entry.fail(f"interrupts: device {device!r} has no irq", "interrupts")
        if isinstance(bits, bool) or not isinstance(bits, int) or not 0 < bits < 1 << 32 or bits & FAULT_BIT:
            entry.fail(f"interrupts: {device} must post notification bits within 0x7fffffff (bit 31 is "
                       f"the kernel's), not {bits!r}", "interrupts")
    source = doc.path.parent / entry.get("source", str)
    if not source.is_file():
        entry.fail(f"source {entry.data['source']!r} does not exist", "source")
    return Task(name, index, source, priority, base, size, stack, entry.names("sends"), owned, interrupts,
                entry.get("power", bool, False))


def check(t: Table) -> None:
    """What needs the whole table: names that must be tasks, devices owned once, and memory that
    overlaps nothing and lies in RAM."""
    if not t.tasks:
        raise t.doc.error(("tasks",), "there are no tasks")
    names = {task.name for task in t.tasks}
    if t.supervisor not in names:
        raise t.doc.error(("kernel", "supervisor"), f"{t.supervisor!r} is not a task")
    regions = [("kernel memory", ("kernel",), "memory", *t.kernel)]
    owners: dict[str, str] = {}
    for task in t.tasks:
        for target in task.sends:
            if target not in names:
                raise t.blame(task, "sends", f"sends to {target!r}, which is not a task")
            if target == task.name:
                raise t.blame(task, "sends", "sends to itself")
        for device in task.devices:
            if device in owners:
                raise t.blame(task, "devices", f"device {device!r} is already owned by task {owners[device]!r}")
            owners[device] = task.name
            dev = t.devices[device]
            regions.append((f"device {device!r}", task.keys, "devices", dev.base, dev.size))
        regions.append((f"memory of task {task.name!r}", task.keys, "memory", task.base, task.size))
        ram_base, ram_size = t.ram
        if not ram_base <= task.base or task.base + task.size > ram_base + ram_size:
            raise t.blame(task, "memory", f"memory {task.base:#x}-{task.base + task.size:#x} is outside RAM "
                                          f"{ram_base:#x}-{ram_base + ram_size:#x}")
    for k, (what, keys, key, base, size) in enumerate(regions):
        for other, _, _, obase, osize in regions[:k]:
            if base < obase + osize and obase < base + size:
                raise t.doc.error(keys, f"{what} {base:#x}-{base + size:#x} overlaps the {other} "
                                        f"{obase:#x}-{obase + osize:#x}", key)


# ---- the binary form (table.py) ----------------------------------------------------------

class Placed:
    """Where the build put one task: its image (code and initial data) in the kernel's memory,
    and the sizes the kernel maps (text read+execute, then data+bss read+write), and its entry."""

    def __init__(self, image: int, image_size: int, text: int, data: int, entry: int):
        self.image, self.image_size, self.text, self.data, self.entry = image, image_size, text, data, entry


def encode(t: Table, kernel_end: int, frames: int, frames_end: int, placed: list[Placed]) -> bytes:
    """The table as the kernel reads it (table.py's layout)."""
    index = {task.name: task.index for task in t.tasks}
    out = bytearray(layout.HEADER_SIZE + layout.TASK_SIZE * len(t.tasks))
    struct.pack_into("<QII", out, layout.H_MAGIC, layout.MAGIC, len(t.tasks), index[t.supervisor])
    for offset, value in ((layout.H_KERNEL_START, t.kernel[0]), (layout.H_KERNEL_END, kernel_end),
                          (layout.H_FRAMES, frames), (layout.H_FRAMES_END, frames_end), (layout.H_PLIC, t.plic)):
        struct.pack_into("<Q", out, offset, value)
    for task, where in zip(t.tasks, placed):
        at = layout.HEADER_SIZE + layout.TASK_SIZE * task.index
        out[at + layout.T_NAME:at + layout.T_NAME + len(task.name)] = task.name.encode()
        sends = sum(1 << index[name] for name in task.sends)
        struct.pack_into("<BBxxI", out, at + layout.T_PRIORITY, task.priority,
                         layout.FLAG_POWER if task.power else 0, sends)
        for offset, value in ((layout.T_IMAGE, where.image), (layout.T_IMAGE_SIZE, where.image_size),
                              (layout.T_BASE, task.base), (layout.T_SIZE, task.size), (layout.T_TEXT, where.text),
                              (layout.T_DATA, where.data), (layout.T_STACK, task.stack),
                              (layout.T_ENTRY, where.entry)):
            struct.pack_into("<Q", out, at + offset, value)
        for k, name in enumerate(task.devices):
            device = t.devices[name]
            struct.pack_into("<QQ", out, at + layout.T_DEVICES + 16 * k, device.base, device.size)
            if name in task.interrupts:
                struct.pack_into("<II", out, at + layout.T_IRQS + 8 * k, device.irq, task.interrupts[name])
    return bytes(out)


def encode_lines(t: Table, records: list[tuple[int, str, int]], start: int) -> bytes:
    """panic.py's line table (table.py's layout) from the kernel's line records (address, file
    name, line; build.kernel_lines names the files), addresses relative to `start` (the kernel's
    base); and the board's finisher."""
    files: list[str] = []
    entries = bytearray()
    for address, name, line in records:
        if name not in files:
            files.append(name)
        entries += struct.pack("<IHH", address - start, files.index(name), min(line, 0xFFFF))
    size = layout.FILE_NAME
    names = b"".join(name.encode()[:size - 1].ljust(size, b"\0") for name in files)
    return struct.pack("<QQQQ", layout.LINES_MAGIC, t.finisher, len(records), len(files)) + bytes(entries) + names


def relative(path: str, top: pathlib.Path) -> str:
    """A source file's name for the line table: from `top` (the repository), or its base name."""
    resolved = pathlib.Path(path).resolve()
    try:
        return str(resolved.relative_to(top))
    except ValueError:
        return resolved.name
