"""What a boot imports: `downstairs run` loads the modules of the boot path and nothing else.

Start-up time counts (issue 18): a short run is measured against QEMU's whole process, of
which Python's start-up and our imports are a large share. Each module costs its bytecode's
loading and its top level's work, so a module that a boot does not need must not creep into
the path unnoticed: the board not chosen, the virtio devices no -drive asked for, the layers
above the machine, and standard-library modules none of these needs. A run in a subprocess
prints what it imported.
"""

import subprocess
import sys

import pytest

from downstairs.guests.baremetal import build as bm

# Runs `downstairs ARGS...` as the console command does, then prints sys.modules.
PROBE = ("import sys\n"
         "from downstairs.cli import main\n"
         "status = main(sys.argv[1:])\n"
         "print('\\nMODULES', ' '.join(sorted(sys.modules)))\n"
         "sys.exit(status)\n")

# The boot path of a virt machine: the command, the board, its devices, the engine's core.
BOOT_PATH = {
    "downstairs", "downstairs.cli", "downstairs.errors", "downstairs.host",
    "downstairs.isa", "downstairs.isa.encode",
    "downstairs.devices", "downstairs.devices.bus", "downstairs.devices.clint",
    "downstairs.devices.goldfish_rtc", "downstairs.devices.memory", "downstairs.devices.plic",
    "downstairs.devices.rom", "downstairs.devices.sifive_test", "downstairs.devices.uart16550",
    "downstairs.devices.virtio_mmio_empty",
    "downstairs.machine", "downstairs.machine.boards", "downstairs.machine.bootrom",
    "downstairs.machine.clock", "downstairs.machine.command", "downstairs.machine.console",
    "downstairs.machine.devicetree", "downstairs.machine.dma", "downstairs.machine.drives",
    "downstairs.machine.engine", "downstairs.machine.fdt", "downstairs.machine.loader",
    "downstairs.machine.machine", "downstairs.machine.options", "downstairs.machine.virt",
    "downstairs.machine.core", "downstairs.machine.core.alu", "downstairs.machine.core.atomic",
    "downstairs.machine.core.bitmanip", "downstairs.machine.core.compressed", "downstairs.machine.core.consts",
    "downstairs.machine.core.csr", "downstairs.machine.core.execute",
    "downstairs.machine.core.fpu", "downstairs.machine.core.memory",
    "downstairs.machine.core.mmu", "downstairs.machine.core.physmem",
    "downstairs.machine.core.pmp", "downstairs.machine.core.softfloat",
    "downstairs.machine.core.state", "downstairs.machine.core.trap",
    "downstairs.machine.core.trigger",
}

# Standard-library and third-party modules that nothing on the boot path needs, each of which
# would cost a millisecond or more (or pull in many more modules).
HEAVY = {
    "subprocess", "tempfile", "hashlib", "json", "pathlib", "typing", "dataclasses", "inspect",
    "threading", "asyncio", "logging", "email", "http", "urllib", "xml", "unittest",
    "multiprocessing", "pickle", "ctypes", "tomllib", "datetime", "random", "elftools",
    "capstone", "unicorn", "Cython", "rich", "pexpect",
    # argparse and what it pulls in (re, enum's users, gettext, locale, shutil): `run` parses
    # QEMU's syntax itself (machine/options.py), about 7 ms sooner
    "argparse", "re", "gettext", "locale", "shutil",
}


def imported(*args: str) -> set[str]:
    """The modules a `downstairs ARGS...` process had imported when it ended (status 0)."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    line = [line for line in proc.stdout.splitlines() if line.startswith("MODULES ")]
    assert line, proc.stdout
    return set(line[-1].split()[1:])


def check(modules: set[str], boot_path: set[str], heavy_ones: set[str] = HEAVY) -> None:
    """Our modules are exactly the boot path's, and none of `heavy_ones` is among the rest."""
    ours = {m for m in modules if m == "downstairs" or m.startswith("downstairs.")}
    assert ours - boot_path == set(), "imported off the boot path (make it lazy, or add it here)"
    assert boot_path - ours == set(), "the boot path changed: update BOOT_PATH"
    heavy = {m for m in modules if m.split(".")[0] in heavy_ones}
    assert heavy == set(), "a heavy module on the boot path"


def test_demo_imports_only_the_boot_path():
    check(imported("run", "-nographic"), BOOT_PATH | {"downstairs.machine.demo"})


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_bare_metal_run_imports_only_the_boot_path(engine):
    from downstairs.machine import engine as engines
    if engine == "compiled" and not engines.compiled_available():
        pytest.skip("the compiled engine is not built")
    hello = str(bm.build("hello", "virt"))
    boot_path, heavy_ones = BOOT_PATH, HEAVY
    if engine == "reference":
        # The core's modules are kept out of sys.modules (engine.py; consts is a table both
        # engines share), and their `import cython` is Cython's pure-Python shadow, with typing and re.
        core = "downstairs.machine.core."
        boot_path = {m for m in BOOT_PATH if not m.startswith(core) or m == core + "consts"}
        heavy_ones = HEAVY - {"Cython", "typing", "re"}
    check(imported("run", "-M", "virt", "-bios", "none", "-kernel", hello, "-nographic",
                   "--engine", engine), boot_path, heavy_ones)
