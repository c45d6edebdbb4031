"""What a system image costs: its size, its build time, and the instructions from reset to the
first task.

    downstairs bench --image [--quick]

- Size: the demo system's image (goal: at most 64 KiB; distroless static is about 2 MiB), its
  payload and segments; the Linux system's (--quick leaves Linux out).
- Build: the demo from an empty store (every step runs), again (nothing to do), and after one
  task's source changed (that task and the image), each the median of three, wall time on this
  host (a measurement, never a test's assert).
- Boot: on our machine with -icount shift=0 (exact, the same every run), with our firmware and
  with OpenSBI: reset, the boot loader's first instruction, the kernel's (the first fetch outside
  the loaded files: the loader put it there), the first task's (the first U-mode instruction)
  and the app's first line on the console (the stage tracer's records, machine/stages.py).
"""

import pathlib
import shutil
import statistics
import tempfile
import time

from downstairs.image.build import DEFAULT_MANIFEST, build
from downstairs.image.store import Store

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
LINUX = pathlib.Path(__file__).resolve().parents[1] / "image" / "systems" / "linux.toml"


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def build_times(rounds: int = 3) -> dict[str, float]:
    """Median seconds of a cold build, a warm one and one after a task's change (a copy of the
    demo system with its own task sources, in a fresh store)."""
    cold, warm, one = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            top = pathlib.Path(folder)
            shutil.copytree(DEFAULT_MANIFEST.parent / "tasks", top / "tasks")
            shutil.copyfile(DEFAULT_MANIFEST, top / "system.toml")
            store = Store(top / "store")
            cold.append(timed(lambda: build(top / "system.toml", store)))
            warm.append(timed(lambda: build(top / "system.toml", Store(store.root))))
            app = top / "tasks" / "app.py"
            app.write_text(app.read_text().replace("app: done, powering off", "app: done; powering off"))
            changed = Store(store.root)
            one.append(timed(lambda: build(top / "system.toml", changed)))
            assert [s.kind + " " + s.name for s in changed.ran] == ["task app", "image system"]
    return {"cold": statistics.median(cold), "warm": statistics.median(warm), "one task": statistics.median(one)}


def boot_counts(firmware: str, built) -> dict[str, int]:
    """Instructions (all harts, exact) at each stage of booting the image, and at its app's first line."""
    from downstairs.bench.own_kernel import traced_boot

    with tempfile.TemporaryDirectory() as folder:
        disk = pathlib.Path(folder) / "os.img"
        shutil.copyfile(built.image, disk)
        stages, line, total = traced_boot(firmware, built.loader, disk)
    names = [name for name, *_ in stages]
    counts = [count for *_, count in stages]
    loader = next(k for k, name in enumerate(names) if name.startswith("kernel"))
    return {"loader": counts[loader], "kernel": counts[loader + 1],
            "task": counts[names.index("first U-mode code (init)")], "line": line, "total": total}


def run(quick: bool = False) -> int:
    """Measure and print the three parts above; `quick`: no Linux image and no OpenSBI boot."""
    from downstairs.image import imagefile

    built = build()
    blob = built.image.read_bytes()
    h = imagefile.read_header(blob, str(built.image))
    print(f"The demo image: {len(blob):,} bytes (goal <= 65,536): header 512, payload {h.payload_bytes:,} in "
          f"{h.count} segments, the store's {len(blob) - (h.data_sector * 512):,}")
    if not quick:
        linux = build(LINUX)
        lh = imagefile.read_header(linux.image.read_bytes(), str(linux.image))
        print(f"The Linux image: {linux.image.stat().st_size:,} bytes: payload {lh.payload_bytes:,} "
              f"(Linux's Image with our init inside) after the ext2 of {lh.payload_sector * 512:,}")
    times = build_times()
    print(f"Build of the demo (median of 3, this host): cold {times['cold']:.2f} s, warm {times['warm']:.2f} s, "
          f"one task changed {times['one task']:.2f} s")
    from downstairs.firmware.build import build as build_firmware

    print("Boot on our machine (instructions, -icount shift=0, exact):")
    for name, firmware in [("our firmware", str(build_firmware().binary))] + ([] if quick else
                                                                             [("OpenSBI fw_dynamic", OPENSBI)]):
        c = boot_counts(firmware, built)
        print(f"  {name:20} loader {c['loader']:>10,}  kernel {c['kernel']:>10,}  first task {c['task']:>10,}  "
              f"app's first line {c['line']:>10,}  (the loader: {c['kernel'] - c['loader']:,})")
    return 0
