"""What `downstairs image show` prints: a manifest's closure as a tree, or an image file's header.

The tree has the image at its root and a line for every input of every step, each with its
hash (the first HASH_CHARS hex digits), and for steps whether their output is in the store:

    image system f0d35a7dbd78c936  built
    ├── firmware downstairs-sbi 3a7c...  built
    │   ├── source downstairs/firmware/boot.py  9b1e...
    │   ├── compiler (Python 3.11): 29 files  51d0...
    │   └── flags base=0x80000000  0c4f...
    ...
"""

from downstairs.image import imagefile
from downstairs.image.bootloader import header as H
from downstairs.image.store import Input, Step, Store

HASH_CHARS = 16
KERNELS = {H.KERNEL_DOWNSTAIRS: "downstairs", H.KERNEL_LINUX: "linux"}
FIRMWARES = {H.FIRMWARE_DOWNSTAIRS: "downstairs", H.FIRMWARE_OPENSBI: "opensbi"}


def step_line(step: Step, store: Store) -> str:
    """A step's line: kind, name, key and whether its output is in the store."""
    return f"{step.kind} {step.name} {step.key[:HASH_CHARS]}  {'built' if store.built(step) else 'not built'}"


def input_line(i: Input) -> str:
    """An input's line: its name (a value's text, a set's size) and its hash."""
    if i.kind == "files":
        return f"{i.name}: {len(i.files)} file{'' if len(i.files) == 1 else 's'}  {i.digest[:HASH_CHARS]}"
    if i.kind == "value" and i.text:
        return f"{i.name} {i.text}  {i.digest[:HASH_CHARS]}"
    return f"{i.name}  {i.digest[:HASH_CHARS]}"


def tree(step: Step, store: Store, prefix: str = "") -> list[str]:
    """The lines under `step`: each input, and under a step input its own inputs."""
    lines = []
    for k, i in enumerate(step.inputs):
        last = k == len(step.inputs) - 1
        branch, inner = ("└── ", "    ") if last else ("├── ", "│   ")
        if i.step is not None:
            lines.append(prefix + branch + step_line(i.step, store))
            lines += tree(i.step, store, prefix + inner)
        else:
            lines.append(prefix + branch + input_line(i))
    return lines


def closure(image: Step, store: Store) -> list[str]:
    """The whole tree under the image step, as lines."""
    return [step_line(image, store)] + tree(image, store)


def image_file(blob: bytes, name: str) -> list[str]:
    """An image file's header, its segments, and what the boot loader would say of it."""
    h = imagefile.read_header(blob, name)
    lines = [f"{name}: system image version {h.version}, {len(blob):,} bytes ({h.sectors} sectors in its header)",
             f"  image id        {h.image_id}",
             f"  kernel          {KERNELS.get(h.kernel, h.kernel)}, entry {h.entry:#x}; built for firmware "
             f"{FIRMWARES.get(h.firmware, h.firmware)}",
             f"  payload         {h.payload_bytes:,} bytes from sector {h.payload_sector}, sha256 {h.payload_sha256}",
             f"  data            from sector {h.data_sector}",
             f"  segments        {h.count}:"]
    lines += [f"    {load:#x}-{load + memory:#x}  {size:,} bytes loaded, {memory - size:,} zeroed"
              for load, size, memory in h.segments]
    found = imagefile.problems(blob, h)
    lines.append("  check           " + ("; ".join(found) if found else "header and payload sha256 good"))
    return lines
