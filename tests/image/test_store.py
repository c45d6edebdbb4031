"""The content-addressed build: each step runs only when its inputs changed, counted by the steps
the store ran; keys do not depend on where the checkout is; `image show` tells what is built."""

import shutil
import subprocess
import sys

from downstairs.image import show
from downstairs.image.build import build, plan
from downstairs.image.store import Store

from tests.image.conftest import demo_copy

EVERY_STEP = ["firmware downstairs-sbi", "bootloader downstairs-boot", "kernel downstairs-kernel", "task supervisor",
              "task uart", "task blk", "task store", "task crasher", "task app", "image system"]


def again(store: Store) -> Store:
    """The same store, as the next command sees it (nothing run yet)."""
    return Store(store.root)


def test_nothing_changed_is_no_work_and_one_task_changed_is_that_task_and_the_image(tmp_path, store):
    manifest = demo_copy(tmp_path)
    first = build(manifest, store)
    assert first.ran == EVERY_STEP
    second = build(manifest, again(store))
    assert second.ran == [] and second.id == first.id and second.image.read_bytes() == first.image.read_bytes()
    app = tmp_path / "tasks" / "app.py"
    app.write_text(app.read_text().replace("app: done, powering off", "app: done; powering off"))
    third = build(manifest, again(store))
    assert third.ran == ["task app", "image system"] and third.id != first.id
    userlib = tmp_path / "tasks" / "userlib.py"                 # every task imports it
    userlib.write_text(userlib.read_text() + "\n# changed\n")
    fourth = build(manifest, again(store))
    assert fourth.ran == [s for s in EVERY_STEP if s.startswith("task")] + ["image system"]


def test_each_manifest_change_rebuilds_what_reads_it(tmp_path, store):
    manifest = demo_copy(tmp_path)
    build(manifest, store)
    text = manifest.read_text()
    changes = {
        "a file for the store": (lambda s: s.replace('motd = "a system', 'motd = "still a system'), ["image system"]),
        "a task's priority": (lambda s: s.replace("priority = 3", "priority = 4"), ["image system"]),
        "a task's stack": (lambda s: s.replace("stack = 0x2000", "stack = 0x3000"), ["task app", "image system"]),
        "the firmware": (lambda s: s.replace('use = "downstairs"                        # our SBI',
                                             'use = "opensbi" #'),
                         ["firmware opensbi", "image system"]),
        "the kernel's memory": (lambda s: s.replace("memory = { base = 0x80200000, size = 0x100000 }",
                                                    "memory = { base = 0x80200000, size = 0x180000 }"),
                                ["image system"]),
        "a comment": (lambda s: s.replace("# The demo system", "# Our demo system"), []),
    }
    for name, (change, expected) in changes.items():
        manifest.write_text(change(text))
        assert build(manifest, again(store)).ran == expected, name


def test_the_kernels_base_recompiles_the_kernel_alone(tmp_path, store):
    manifest = demo_copy(tmp_path)
    build(manifest, store)
    manifest.write_text(manifest.read_text().replace("memory = { base = 0x80200000, size = 0x100000 }",
                                                     "memory = { base = 0x80300000, size = 0x100000 }"))
    assert build(manifest, again(store)).ran == ["kernel downstairs-kernel", "image system"]


def test_keys_do_not_depend_on_the_checkout_path(tmp_path, store):
    a = demo_copy(tmp_path / "a")
    b = demo_copy(tmp_path / "somewhere" / "much" / "deeper")
    assert plan(a, store).image.key == plan(b, store).image.key
    first = build(a, store)
    assert build(b, again(store)).ran == [] and first.id == plan(b, store).image.key


def test_the_demo_image_is_at_most_64_kib(store):
    built = build(store=store)
    assert built.image.stat().st_size <= 64 * 1024


def test_show_prints_the_closure_with_hashes_and_what_is_built(tmp_path, store):
    manifest = demo_copy(tmp_path)
    p = plan(manifest, store)
    before = show.closure(p.image, store)
    assert before[0] == f"image system {p.image.key[:16]}  not built"
    for step in p.steps():
        assert any(line.endswith(f"{step.kind} {step.name} {step.key[:16]}  not built") for line in before)
    assert any("source tasks/app.py" in line for line in before)                   # from the manifest's folder
    assert any("source downstairs/kernel/tasks/virtio.py" in line for line in before)   # from the repository
    assert any("slots.py (generated)" in line for line in before)
    assert any("compiler (Python 3." in line and "files" in line for line in before)
    assert any("flags base=0x80438000 size=0x10000 stack=0x2000" in line for line in before)
    build(manifest, store)
    after = show.closure(plan(manifest, store).image, store)
    assert "not built" not in "\n".join(after) and len(after) == len(before)
    assert all(line.startswith(("image", "├── ", "└── ", "│   ", "    ")) for line in after)


def test_the_commands_build_show_and_copy(tmp_path):
    import os

    env = dict(os.environ, DOWNSTAIRS_CACHE=str(tmp_path / "cache"))
    manifest = demo_copy(tmp_path)

    def downstairs(*args):
        return subprocess.run([sys.executable, "-m", "downstairs", "image", *args], capture_output=True, text=True,
                              env=env, timeout=300)

    first = downstairs("build", str(manifest), "-o", str(tmp_path / "os.img"))
    assert first.returncode == 0 and first.stdout.startswith("image ") and "10 steps run" in first.stdout
    assert "building task app" in first.stderr
    image_id = first.stdout.split()[1]
    second = downstairs("build", str(manifest))
    assert second.stdout.split()[1] == image_id and "0 steps run: all in the store" in second.stdout
    shown = downstairs("show", str(manifest))
    assert shown.returncode == 0 and shown.stdout.startswith(f"image system {image_id[:16]}  built")
    header = downstairs("show", str(tmp_path / "os.img"))
    assert header.returncode == 0 and image_id in header.stdout and "header and payload sha256 good" in header.stdout
    (tmp_path / "bad.img").write_bytes(b"not an image")
    bad = downstairs("show", str(tmp_path / "bad.img"))
    assert bad.returncode == 2 and "bad.img: not a system image" in bad.stderr
    assert downstairs().returncode == 2 and downstairs("--help").returncode == 0
    unwritable = downstairs("build", str(manifest), "-o", str(tmp_path / "no" / "such" / "dir" / "os.img"))
    assert unwritable.returncode == 2 and "No such file or directory" in unwritable.stderr
    shutil.rmtree(tmp_path / "cache")
