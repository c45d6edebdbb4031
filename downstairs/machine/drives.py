"""QEMU's -drive and -device options for the virt board's eight virtio-mmio slots.

    -drive file=IMG,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0
    -drive file=IMG,format=raw,if=virtio[,readonly=on]
    -device virtio-rng-device

Slots follow QEMU's virt board (hw/riscv/virt.c): it creates the eight transports from
0x10001000 upwards, but each new bus goes to the front of the list a device looks for a free
bus in, so the first device plugged gets the highest slot, 0x10008000 (PLIC source 8), the
next one 0x10007000 (source 7), and so on. `info qtree` on qemu-system-riscv64 7.2 shows it.

One difference: QEMU turns `if=virtio` into a virtio-blk-pci device on the board's PCIe bus.
This board has no PCI, so an `if=virtio` drive becomes a virtio-blk-device on the next free
mmio slot instead, taken after all -device options as QEMU orders them. Linux calls either one
/dev/vda, so a kernel command line such as root=/dev/vda means the same on both. A bare-metal
program that looks for the disk in the mmio slots needs the `if=none` + `-device` spelling,
which is the same machine on both.

Only raw images, whose size is a whole number of 512-byte sectors (QEMU would accept a ragged
tail; here it is refused so no request can reach past the last whole sector). A host file that
cannot be written needs readonly=on. The checks, and the lock an open image holds, are
host.Disk's, the same for `vm --drive`. Every problem is a one-line UsageError before the
machine starts, with the image left untouched.
"""

import os

from downstairs.errors import UsageError
from downstairs.host import Disk

SLOTS = 8
# Keys QEMU accepts on -drive that change nothing for a raw image here (host caching, AIO
# engine, discard handling, zero detection), each with the values QEMU allows.
HARMLESS = {
    "cache": {"writeback", "none", "writethrough", "directsync", "unsafe"},
    "aio": {"threads", "native", "io_uring"},
    "discard": {"ignore", "off", "unmap", "on"},
    "detect-zeroes": {"off", "on", "unmap"},
    "media": {"disk"},
}
BOOLEAN = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}


class Drive:
    def __init__(self, path: str, read_only: bool = False, interface: str = "virtio",
                 id: str | None = None, used: bool = False):
        """A -drive: its image, and how it is attached (if=virtio: a device of its own; if=none:
        waiting for a -device naming its id)."""
        self.path = path
        self.read_only = read_only
        self.interface = interface       # "virtio" (a device of its own) or "none" (for -device)
        self.id = id
        self.used = used


class VirtioSpec:
    """One device for a virtio-mmio slot: a disk ("blk") or the entropy source ("rng")."""
    def __init__(self, kind: str, drive: Drive | None = None, serial: str = ""):
        """A device for a slot: "rng", or "blk" with its drive and GET_ID serial."""
        self.kind = kind
        self.drive = drive
        self.serial = serial             # virtio-blk GET_ID answer; QEMU's default is empty


def split_options(text: str) -> list[tuple[str, str | None]]:
    """QEMU's option syntax: key=value pairs separated by commas; ",," is a literal comma."""
    items, current, i = [], "", 0
    while i < len(text):
        if text[i] == ",":
            if text[i + 1:i + 2] == ",":
                current += ","
                i += 2
                continue
            items.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    items.append(current)
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        out.append((key, value if eq else None))
    return out


def parse_drive(text: str) -> Drive:
    """One -drive option in QEMU's syntax: a checked raw image (host.Disk), or a UsageError."""
    options = {}
    for key, value in split_options(text):
        if value is None:
            raise UsageError(f"-drive {text}: {key!r} needs a value (key=value)")
        if key in options:
            raise UsageError(f"-drive {text}: {key} given twice")
        options[key] = value
    fmt = options.pop("format", "raw")
    if fmt != "raw":
        raise UsageError(f"-drive {text}: format {fmt!r} is not supported (only raw)")
    interface = options.pop("if", None)
    if interface is None:
        raise UsageError(f"-drive {text}: the virt board has no IDE bus: give if=virtio, or "
                         f"if=none,id=ID with -device virtio-blk-device,drive=ID")
    if interface not in ("virtio", "none"):
        raise UsageError(f"-drive {text}: if={interface} is not supported (virtio or none)")
    read_only = BOOLEAN.get(options.pop("readonly", "off"))
    if read_only is None:
        raise UsageError(f"-drive {text}: readonly must be on or off")
    path = options.pop("file", None)
    if not path:
        raise UsageError(f"-drive {text}: file=IMAGE is missing")
    drive_id = options.pop("id", None)
    for key, value in options.items():
        if key not in HARMLESS:
            raise UsageError(f"-drive {text}: unknown option {key!r} (known: file, format, if, "
                             f"readonly, id, {', '.join(HARMLESS)})")
        if value not in HARMLESS[key]:
            raise UsageError(f"-drive {text}: invalid {key}={value}")
    Disk(path, read_only).check()
    return Drive(path, read_only, interface, drive_id)


def parse_device(text: str, drives: dict[str, Drive]) -> VirtioSpec:
    """One -device option: the entropy source, or a disk naming an if=none -drive by id."""
    (driver, first), *rest = split_options(text)
    if first is not None:
        raise UsageError(f"-device {text}: start with the device name, e.g. virtio-rng-device")
    options = {}
    for key, value in rest:
        if value is None:
            raise UsageError(f"-device {text}: {key!r} needs a value (key=value)")
        options[key] = value
    options.pop("id", None)
    if driver == "virtio-rng-device":
        if options:
            raise UsageError(f"-device {text}: unknown option {next(iter(options))!r}")
        return VirtioSpec("rng")
    if driver == "virtio-blk-device":
        name = options.pop("drive", None)
        serial = options.pop("serial", "")
        if options:
            raise UsageError(f"-device {text}: unknown option {next(iter(options))!r} "
                             f"(known: drive, serial, id)")
        if name is None:
            raise UsageError(f"-device {text}: drive=ID is missing")
        drive = drives.get(name)
        if drive is None:
            raise UsageError(f"-device {text}: no -drive with id={name}")
        if drive.interface != "none":
            raise UsageError(f"-device {text}: drive {name} has if={drive.interface}, which "
                             f"makes a device of its own (use if=none)")
        if drive.used:
            raise UsageError(f"-device {text}: drive {name} is already in use")
        drive.used = True
        return VirtioSpec("blk", drive, serial)
    raise UsageError(f"-device {driver}: unknown device (this board has virtio-blk-device "
                     f"and virtio-rng-device)")


def virtio_devices(drive_options: list[str], device_options: list[str]) -> list[VirtioSpec]:
    """The devices for the virtio slots in QEMU's order: the -device options as given, then
    the if=virtio drives. The i-th device goes in slot 7 - i (boards.py)."""
    drives = [parse_drive(text) for text in drive_options]
    by_id: dict[str, Drive] = {}
    for drive in drives:
        if drive.id is not None:
            if drive.id in by_id:
                raise UsageError(f"-drive id={drive.id} is given twice")
            by_id[drive.id] = drive
    seen: dict[tuple[int, int], str] = {}
    for drive in drives:
        info = os.stat(drive.path)
        key = (info.st_dev, info.st_ino)
        if key in seen:
            raise UsageError(f"{drive.path}: the same image is already used by another -drive "
                             f"({seen[key]})")
        seen[key] = drive.path
    specs = [parse_device(text, by_id) for text in device_options]
    specs += [VirtioSpec("blk", d) for d in drives if d.interface == "virtio"]
    if len(specs) > SLOTS:
        raise UsageError(f"{len(specs)} virtio devices, but the virt board has {SLOTS} slots")
    return specs
