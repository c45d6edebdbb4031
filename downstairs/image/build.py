"""Building a system image from its manifest: plan the steps (steps.py), realise the image step
in the store (store.py), and say what was built.

    plan(MANIFEST)      every step with its key, nothing run: what `downstairs image show` prints
    build(MANIFEST)     the image in the store, running only the steps whose output is missing

Without a manifest, the demo system's: downstairs/kernel/system.toml, the kernel's own task table
(one file is both: the kernel reads its sections, the image all of them).
"""

import pathlib
import tempfile

from downstairs.image import manifest as manifests
from downstairs.image import steps
from downstairs.image.store import Step, Store, default_root
from downstairs.kernel import build as kernel_build

DEFAULT_MANIFEST = kernel_build.DEFAULT_TABLE


class Plan:
    """A manifest's steps: `parts` by kind (firmware, bootloader, kernel or linux), the task
    steps, and the image step (its key is the image id)."""

    def __init__(self, manifest: manifests.Manifest, parts: dict[str, Step], tasks: list[Step], image: Step):
        self.manifest, self.parts, self.tasks, self.image = manifest, parts, tasks, image

    def steps(self) -> list[Step]:
        return list(self.parts.values()) + self.tasks + [self.image]


class Built:
    """A realised plan: the image file, the firmware for -bios, the boot loader for -kernel, and
    the steps that ran (the others were in the store)."""

    def __init__(self, plan: Plan, store: Store):
        self.plan, self.id = plan, plan.image.key
        self.image = store.folder(plan.image) / "os.img"
        self.firmware = store.folder(plan.parts["firmware"]) / steps.FIRMWARE_FILES[plan.manifest.firmware]
        self.loader = store.folder(plan.parts["bootloader"]) / "loader.elf"
        self.ran = [step.kind + " " + step.name for step in store.ran]


def plan(path=None, store: Store | None = None) -> Plan:
    """The steps of the manifest at `path` (the demo's by default), with their keys."""
    m = manifests.load(path or DEFAULT_MANIFEST)
    store = store or Store(default_root())
    parts = {"firmware": steps.firmware(m), "bootloader": steps.loader(m)}
    tasks = []
    if m.kernel == "downstairs":
        parts["kernel"] = steps.kernel(m)
        with tempfile.TemporaryDirectory(prefix="downstairs-slots-") as generated:
            folder = pathlib.Path(generated)
            (folder / "slots.py").write_text(kernel_build.slots(m.table))
            tasks = [steps.task(m, t, folder) for t in m.table.tasks]
    else:
        parts["linux"] = steps.linux(m)
    return Plan(m, parts, tasks, steps.image(m, store, parts, tasks))


def build(path=None, store: Store | None = None, progress=lambda step: None) -> Built:
    """The image of the manifest at `path` in the store (default: $DOWNSTAIRS_CACHE/store)."""
    store = store or Store(default_root())
    p = plan(path, store)
    store.realise(p.image, progress)
    return Built(p, store)
