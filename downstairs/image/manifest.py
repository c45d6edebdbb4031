"""The system manifest: one TOML file that says what a system is made of (docs/image.md, "The
manifest"). Data only: no functions, no conditionals, no language.

    [firmware]  use = "downstairs" (ours, the default) or "opensbi" (Debian's fw_dynamic.bin)
    [kernel]    use = "downstairs" (ours, the default): memory, supervisor, and the kernel's
                [board], [devices] and [tasks.NAME], read by downstairs/kernel/tasktable.py
                use = "linux": Linux 6.1 from Debian's linux-source-6.1 with our init as its only
                program; config = "tiny" or "gc" (guests/linux/config.py), append = its command line
    [board]     ram = { base, size } (and for our kernel plic, finisher)
    [files]     what the system's disk starts with: NAME = "text" or NAME = { file = "path" }
                (our kernel: records of the store; Linux: files of the ext2 file system on /mnt)

Every mistake is one line naming the file and the line (tomlfile.py).
"""

from downstairs import tomlfile
from downstairs.kernel import tasktable
from downstairs.kernel.tasks import storeformat
from downstairs.machine.virt import RAM_BASE

FIRMWARES = ("downstairs", "opensbi")
KERNELS = ("downstairs", "linux")
LINUX_SECTIONS = {"firmware", "kernel", "board", "files"}
MIB = 1 << 20                                # the unit of -m, which says how much RAM
DEFAULT_RAM = (RAM_BASE, 0x8000000)          # QEMU's virt board with its default 128 MiB
LINUX_APPEND = "console=ttyS0"
EXT2_NAME = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Manifest:
    """A checked manifest: its document; which firmware and kernel; our kernel's task table or
    Linux's configuration and command line; the RAM; the files the disk starts with (name ->
    bytes, in the file's order)."""

    def __init__(self, doc: tomlfile.Document, firmware: str, kernel: str, table: tasktable.Table | None,
                 linux: str | None, append: str, ram: tuple[int, int], files: dict[str, bytes]):
        self.doc, self.path, self.firmware, self.kernel = doc, doc.path, firmware, kernel
        self.table, self.linux, self.append, self.ram, self.files = table, linux, append, ram, files

    @property
    def name(self) -> str:
        return self.path.stem


def load(path) -> Manifest:
    """Read and check the manifest at `path` (UsageError of one line on the first mistake)."""
    doc = tomlfile.read(path)
    top = doc.root()
    firmware = top.table("firmware", {})
    firmware.only({"use"})
    firmware_use = firmware.choice("use", FIRMWARES, "downstairs")
    kernel = top.table("kernel")
    kernel_use = kernel.choice("use", KERNELS, "downstairs")
    if kernel_use == "downstairs":
        board_ram(top.table("board"))
        table = tasktable.from_document(doc)
        files = read_files(top, store_name)
        if len(files) > storeformat.SLOTS:
            top.fail(f"{len(files)} files: the store holds {storeformat.SLOTS}", "files")
        return Manifest(doc, firmware_use, kernel_use, table, None, "", table.ram, files)
    from downstairs.guests.linux.config import CONFIGS

    top.only(LINUX_SECTIONS)
    kernel.only({"use", "config", "append"})
    config = kernel.choice("config", tuple(CONFIGS), "tiny")
    append = kernel.get("append", str, LINUX_APPEND)
    board = top.table("board", {})
    board.only({"ram"})
    return Manifest(doc, firmware_use, kernel_use, None, config, append, board_ram(board),
                    read_files(top, ext2_name))


def board_ram(board: tomlfile.Entry) -> tuple[int, int]:
    """[board]'s ram (base, size), DEFAULT_RAM when it has none. A system runs on QEMU's virt
    board (`image run` says -M virt), whose RAM starts at RAM_BASE; `-m` gives only its size,
    in whole MiB."""
    if "ram" not in board.data:
        return DEFAULT_RAM
    ram = board.range("ram", tasktable.PAGE)
    if ram[0] != RAM_BASE:
        board.fail(f"ram must start at {RAM_BASE:#x}, where the virt board's RAM is, not {ram[0]:#x}", "ram")
    if ram[1] % MIB:
        board.fail(f"ram's size must be whole MiB, as -m gives it, not {ram[1]:#x}", "ram")
    return ram


def read_files(top: tomlfile.Entry, check_name) -> dict[str, bytes]:
    """[files]: each NAME = "text" (UTF-8) or { file = "path" } (relative to the manifest), its
    name checked by `check_name(entry, name, data)`."""
    files = {}
    section = top.table("files", {})
    for name, value in section.data.items():
        if isinstance(value, str):
            data = value.encode()
        elif isinstance(value, dict):
            entry = section.table(name)
            entry.only({"file"})
            path = top.doc.path.parent / entry.get("file", str)
            try:
                data = path.read_bytes()
            except OSError as err:
                entry.fail(f"file {entry.data['file']!r}: {err.strerror}", "file")
        else:
            section.fail(f"{name} must be text or {{ file = \"path\" }}, not {value!r}", name)
        check_name(section, name, data)
        files[name] = data
    return files


def store_name(section: tomlfile.Entry, name: str, data: bytes) -> None:
    """A record of our store: a key of 1 to KEY_MAX bytes, a value of up to VALUE_MAX."""
    if not 0 < len(name.encode()) <= storeformat.KEY_MAX:
        section.fail(f"the store's keys are 1 to {storeformat.KEY_MAX} bytes, not {len(name.encode())}", name)
    if len(data) > storeformat.VALUE_MAX:
        section.fail(f"{name} has {len(data)} bytes: the store's records hold {storeformat.VALUE_MAX}", name)


def ext2_name(section: tomlfile.Entry, name: str, data: bytes) -> None:
    """A file of the Linux system's ext2: a relative path of plain names."""
    parts = name.split("/")
    if not all(part and part not in (".", "..") and set(part) <= EXT2_NAME for part in parts):
        section.fail(f"{name!r} is not a relative path of names made of letters, digits, '.', '_' and '-'",
                     name)
