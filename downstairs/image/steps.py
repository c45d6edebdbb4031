"""The build steps of a system, from its manifest: what each step reads and how it makes its
output (store.py keeps the outputs by the hash of the inputs).

    firmware     ours: downstairs/firmware compiled         -> downstairs-sbi.bin, .elf
                 opensbi: Debian's fw_dynamic.bin, copied   -> fw_dynamic.bin
    bootloader   downstairs/image/bootloader compiled at LOADER_BASE -> loader.elf, loader.bin
    kernel       ours: downstairs/kernel/boot.py compiled at kernel.memory's base
                                                            -> kernel.bin, kernel.elf, kernel.json
    task NAME    one task compiled at its memory's base    -> task.bin, task.elf, task.json, slots.py
    linux        Linux built from linux-source-6.1 with our init (guests/linux), copied -> Image
    image        the system's memory laid out (kernel/build.py's link), cut into segments, with the
                 disk's first data (the store's records, or an ext2 file system)  -> os.img, memory.bin

Every compiled step reads its program's modules (the compiler's own import search: only what
it imports, so one task's change rebuilds that task alone), the compiler's source, its flags
and its recipe (the host files that make it). The image reads every other step and the
manifest's entries; its key is the image id.
"""

import functools
import json
import pathlib
import shutil
import sys

from downstairs.errors import UsageError
from downstairs.image import imagefile
from downstairs.image.bootloader import header as H
from downstairs.image.manifest import Manifest
from downstairs.image.store import Input, Step, file_input, files_input, step_input, value_input
from downstairs.kernel import build as kernel_build
from downstairs.kernel import tasktable

PACKAGE = pathlib.Path(__file__).resolve().parents[1]
REPO = PACKAGE.parent
LOADER = PACKAGE / "image" / "bootloader"
# The boot loader runs from here: above the firmware's memory (ours 64 KiB, OpenSBI's 512 KiB from
# 0x80000000) and below where kernels load (0x80200000, two MiB into RAM, as fw_jump and Linux want).
LOADER_BASE = 0x80100000
LOADER_STACK = 0x1000
LOADER_SEARCH = [str(PACKAGE / "kernel" / "tasks"), str(PACKAGE / "kernel")]   # virtio.py, storeformat.py, sbi.py
LINUX_BASE = 0x80200000
OPENSBI = pathlib.Path("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin")
FIRMWARE_FILES = {"downstairs": "downstairs-sbi.bin", "opensbi": "fw_dynamic.bin"}
FIRMWARE_CODES = {"downstairs": H.FIRMWARE_DOWNSTAIRS, "opensbi": H.FIRMWARE_OPENSBI}


def name_of(path: pathlib.Path, manifest_dir: pathlib.Path) -> str:
    """A source file's name in the closure: from the repository's top or the manifest's folder,
    so that it is the same in every checkout."""
    path = path.resolve()
    for top in (REPO, manifest_dir.resolve()):
        if path.is_relative_to(top):
            return str(path.relative_to(top))
    return path.name


def program(main: pathlib.Path, search: list[str], manifest_dir: pathlib.Path, fail,
            generated: pathlib.Path | None = None) -> list[Input]:
    """The modules of the program whose main file is `main`, found as the compiler finds them,
    as file inputs; a module that cannot be found or parsed is `fail(message)`."""
    from downstairs.compiler.errors import CompileError
    from downstairs.compiler.modules import load_program

    try:
        modules = load_program(str(main), search)
    except CompileError as error:
        raise fail(f"does not compile: {str(error).splitlines()[0]}") from None
    inputs = []
    for module in modules:
        path = pathlib.Path(module.path)
        generated_here = generated is not None and path.parent.resolve() == generated.resolve()
        name = f"{path.name} (generated)" if generated_here else name_of(path, manifest_dir)
        inputs.append(file_input(f"source {name}", path))
    return inputs


@functools.cache
def compiler() -> Input:
    """The compiler's own source (downstairs/compiler without its examples, and the instruction
    encoder it uses) and the Python that runs it."""
    folder = PACKAGE / "compiler"
    paths = sorted(p for p in folder.rglob("*.py") if "examples" not in p.relative_to(folder).parts)
    files = [(str(p.relative_to(REPO)), p.read_bytes()) for p in paths + [PACKAGE / "isa" / "encode.py"]]
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return files_input(f"compiler (Python {version})", files + [("python", version.encode())])


def recipe(*paths: str) -> Input:
    """The host files that make a step (this one always): their change is a change of the step."""
    names = ("downstairs/image/steps.py",) + paths
    return files_input("recipe", [(name, (REPO / name).read_bytes()) for name in names])


def write_json(path: pathlib.Path, data) -> None:
    """`data` as JSON with sorted keys: the same bytes for the same data."""
    path.write_text(json.dumps(data, sort_keys=True, indent=1) + "\n")


def compile_program(main: pathlib.Path, options, what: str):
    """Compile the program at `main`; a compile error is one line starting with `what`."""
    return kernel_build.compile_one(main, options, lambda message: UsageError(f"{what} {message}"))


# ---- firmware and boot loader -------------------------------------------------------------

def firmware(m: Manifest) -> Step:
    """The firmware the manifest chooses: ours compiled, or Debian's OpenSBI copied."""
    if m.firmware == "opensbi":
        if not OPENSBI.is_file():
            raise m.doc.error(("firmware",), f"Debian's OpenSBI is not installed ({OPENSBI}): apt-get install "
                                             f"opensbi", "use")
        return Step("firmware", "opensbi", [file_input(f"file {OPENSBI}", OPENSBI)],
                    lambda folder: shutil.copyfile(OPENSBI, folder / FIRMWARE_FILES["opensbi"]))
    from downstairs.firmware import build as firmware_build

    main = firmware_build.HERE / "boot.py"
    inputs = program(main, [], m.path.parent, lambda message: UsageError(f"the firmware {message}"))
    inputs += [compiler(), value_input("flags", "base=0x80000000"), recipe("downstairs/firmware/build.py")]
    return Step("firmware", "downstairs-sbi", inputs, firmware_build.compile_into)


def loader(m: Manifest) -> Step:
    """The boot loader, compiled at LOADER_BASE; loader.json says where its memory ends."""
    from downstairs.compiler.driver import Options
    from downstairs.compiler.elf import flat_binary, write_elf

    main = LOADER / "boot.py"

    def make(folder: pathlib.Path) -> None:
        image = compile_program(main, Options(base=LOADER_BASE, search_path=LOADER_SEARCH), "the boot loader")
        (folder / "loader.elf").write_bytes(write_elf(image))
        (folder / "loader.bin").write_bytes(flat_binary(image))
        write_json(folder / "loader.json", {"start": image.base, "end": kernel_build.symbol(image, "__image_end")})

    inputs = program(main, LOADER_SEARCH, m.path.parent, lambda message: UsageError(f"the boot loader {message}"))
    inputs += [compiler(), value_input("flags", f"base={LOADER_BASE:#x}"), recipe()]
    return Step("bootloader", "downstairs-boot", inputs, make)


# ---- our kernel and its tasks ----------------------------------------------------------------

def kernel(m: Manifest) -> Step:
    """Our kernel compiled at its memory's base; kernel.json keeps its end and its line records."""
    from downstairs.compiler.elf import flat_binary, write_elf

    base = m.table.kernel[0]

    def make(folder: pathlib.Path) -> None:
        image = kernel_build.compile_kernel(base)
        (folder / "kernel.elf").write_bytes(write_elf(image))
        (folder / "kernel.bin").write_bytes(flat_binary(image))
        write_json(folder / "kernel.json", {"end": kernel_build.symbol(image, "__image_end"),
                                            "lines": kernel_build.kernel_lines(image)})

    main = kernel_build.HERE / "boot.py"
    inputs = program(main, [str(kernel_build.HERE)], m.path.parent, lambda message: UsageError(f"the kernel {message}"))
    inputs += [compiler(), value_input("flags", f"base={base:#x}"), recipe("downstairs/kernel/build.py")]
    return Step("kernel", "downstairs-kernel", inputs, make)


def task(m: Manifest, t: tasktable.Task, generated: pathlib.Path) -> Step:
    """Task `t`; `generated` holds slots.py while the keys are computed (the step writes its own)."""
    from downstairs.compiler.elf import write_elf

    slots = kernel_build.slots(m.table)

    def make(folder: pathlib.Path) -> None:
        (folder / "slots.py").write_text(slots)
        image, where = kernel_build.compile_task(m.table, t, folder)
        (folder / "task.elf").write_bytes(write_elf(image))
        (folder / "task.bin").write_bytes(kernel_build.flat_binary(image))
        write_json(folder / "task.json", {"text": where.text, "data": where.data, "entry": where.entry})

    inputs = program(t.source, kernel_build.task_search_path(generated, t), m.path.parent,
                     lambda message: m.table.blame(t, "source", message), generated)
    flags = f"base={t.base:#x} size={t.size:#x} stack={t.stack:#x} entry=none data_align={kernel_build.PAGE:#x}"
    inputs += [compiler(), value_input("flags", flags), recipe("downstairs/kernel/build.py")]
    return Step("task", t.name, inputs, make)


def system_entries(table: tasktable.Table) -> str:
    """The task table's entries as canonical text: what the image's bytes take from the manifest
    beyond the compiled steps."""
    return json.dumps({
        "ram": table.ram, "plic": table.plic, "finisher": table.finisher, "kernel": table.kernel,
        "supervisor": table.supervisor,
        "devices": {name: [d.base, d.size, d.irq] for name, d in sorted(table.devices.items())},
        "tasks": [{"name": t.name, "priority": t.priority, "memory": [t.base, t.size], "stack": t.stack,
                   "sends": t.sends, "devices": t.devices, "interrupts": t.interrupts, "power": t.power}
                  for t in table.tasks]}, sort_keys=True)


# ---- Linux ---------------------------------------------------------------------------------

def linux(m: Manifest) -> Step:
    """Linux built by guests/linux (in its own cache, keyed by the same parts) and copied."""
    from downstairs.guests.linux import kernel as linux_kernel

    cfg = linux_kernel.get_config(m.linux)
    try:
        parts = linux_kernel.key_parts(cfg)
    except UsageError as error:
        raise m.doc.error(("kernel",), str(error), "use") from None

    def make(folder: pathlib.Path) -> None:
        built = linux_kernel.build(m.linux)
        shutil.copyfile(built.image, folder / "Image")

    inputs = [value_input(name, value) for name, value in parts]
    inputs.append(recipe("downstairs/guests/linux/kernel.py"))
    return Step("linux", f"linux-{m.linux}", inputs, make)


# ---- the image -----------------------------------------------------------------------------

def files_inputs(m: Manifest) -> list[Input]:
    """Each of the manifest's [files] as an input of the image."""
    return [value_input(f"file {name}", data) for name, data in m.files.items()]


def image(m: Manifest, store, parts: dict[str, Step], tasks: list[Step]) -> Step:
    """The image step over the steps in `parts` (firmware, bootloader, kernel or linux) and the
    task steps; `store` finds their outputs when it runs."""
    from downstairs.guests.linux import disk

    fw_code = FIRMWARE_CODES[m.firmware]

    def make_ours(folder: pathlib.Path) -> None:
        kernel_folder = store.folder(parts["kernel"])
        info = json.loads((kernel_folder / "kernel.json").read_text())
        placed = []
        for t in tasks:
            where = json.loads((store.folder(t) / "task.json").read_text())
            blob = (store.folder(t) / "task.bin").read_bytes()
            placed.append((blob, tasktable.Placed(0, len(blob), where["text"], where["data"], where["entry"])))
        flat, layout = kernel_build.link(m.table, (kernel_folder / "kernel.bin").read_bytes(), info["end"],
                                         [tuple(line) for line in info["lines"]], placed)
        base = m.table.kernel[0]
        check_clear_of_loader(m, store, parts, base, len(flat), ("kernel",), "memory")
        segments = imagefile.segments_of(base, flat)
        blob = imagefile.image_with_data_after(segments, base, H.KERNEL_DOWNSTAIRS, fw_code,
                                               bytes.fromhex(step.key), imagefile.store_area(m.files))
        (folder / "memory.bin").write_bytes(flat)
        (folder / "layout.txt").write_text(layout)
        (folder / "os.img").write_bytes(blob)

    def make_linux(folder: pathlib.Path) -> None:
        kernel_image = (store.folder(parts["linux"]) / "Image").read_bytes()
        check_clear_of_loader(m, store, parts, LINUX_BASE, len(kernel_image), ("kernel",), "use")
        ext2 = folder / "files.ext2"
        try:
            disk.make_ext2(m.files, ext2)
        except UsageError as error:
            raise m.doc.error(("files",), f"the files do not make an ext2 of {disk.SIZE // 1024} KiB: {error}")
        segments = imagefile.segments_of(LINUX_BASE, kernel_image)
        blob = imagefile.image_with_data_first(segments, LINUX_BASE, H.KERNEL_LINUX, fw_code,
                                               bytes.fromhex(step.key), ext2.read_bytes())
        ext2.unlink()
        (folder / "os.img").write_bytes(blob)

    inputs = [step_input(s) for s in parts.values()] + [step_input(t) for t in tasks]
    if m.kernel == "downstairs":
        inputs.append(value_input("task table", system_entries(m.table)))
        make = make_ours
        used = ("downstairs/kernel/build.py", "downstairs/kernel/tasktable.py", "downstairs/kernel/table.py",
                "downstairs/kernel/tasks/storeformat.py")
    else:
        from downstairs.guests.linux.disk import mke2fs_version

        inputs += [value_input("kernel command line", m.append), value_input("ram", f"{m.ram[0]:#x}+{m.ram[1]:#x}"),
                   value_input("mke2fs", mke2fs_version())]
        make = make_linux
        used = ("downstairs/guests/linux/disk.py",)
    inputs += files_inputs(m)
    inputs.append(recipe("downstairs/image/imagefile.py", "downstairs/image/bootloader/header.py", *used))
    step = Step("image", m.name, inputs, make)
    return step


def check_clear_of_loader(m: Manifest, store, parts: dict[str, Step], base: int, size: int,
                          keys: tuple[str, ...], key: str) -> None:
    """The system's memory [base, base + size) must leave the boot loader's alone."""
    where = json.loads((store.folder(parts["bootloader"]) / "loader.json").read_text())
    if base < where["end"] and where["start"] < base + size:
        raise m.doc.error(keys, f"the system's memory {base:#x}-{base + size:#x} overlaps the boot loader's "
                                f"{where['start']:#x}-{where['end']:#x}", key)
