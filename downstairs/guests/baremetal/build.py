"""Build the bare-metal RISC-V guest programs with Debian's `riscv64-unknown-elf-gcc`.

A program is one C file in `tests/` (a test program: it checks the machine and prints PASS or
FAIL per check), in `bench/` (a benchmark: it prints a checksum) or in `devices/` (a driver
for a device that needs options on the command line, such as a disk; tests/board runs it).  It is linked with the
runtime in `runtime/` for one board, `virt` or `spike` (runtime/board_*.c and *.ld), and a
benchmark also in an "MMU on" variant (`mmu=True`: main runs in S-mode under an Sv39
identity map, runtime/mmu.c).

Outputs are cached under `$DOWNSTAIRS_CACHE/baremetal` (default `~/.cache/downstairs`), named
by a hash of the compiler's version, the flags and every source file, so building again is
only a hash.  RV64IMAC with lp64 (no floating point): gcc emits compressed instructions.
"""

import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

from downstairs.errors import UsageError
from downstairs.guests import cache

HERE = pathlib.Path(__file__).resolve().parent
RUNTIME = HERE / "runtime"
KINDS = {"tests": HERE / "tests", "bench": HERE / "bench", "devices": HERE / "devices"}
BOARDS = ("virt", "spike")
CC = "riscv64-unknown-elf-gcc"
CFLAGS = [
    "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-mcmodel=medany", "-O2",
    "-ffreestanding", "-fno-common", "-Wall", "-g",
    "-nostdlib", "-nostartfiles", "-static", "-Wl,--no-warn-rwx-segments",
]
RUNTIME_SOURCES = ["start.S", "trap.S", "trap.c", "lib.c", "crt.c", "mmu.c"]
# Programs that test an extension the default -march leaves out get it added (the whole
# program, runtime included, may then use it).
MARCH = {"bitmanip": "rv64imac_zicsr_zifencei_zba_zbb_zbc_zbs"}


def cache_dir() -> pathlib.Path:
    """Where built bare-metal programs are cached."""
    return cache.cache_dir("baremetal")


def list_programs(kind: str | None = None) -> list[str]:
    """Names of the programs, test programs first; `kind` is "tests" or "bench" to pick one."""
    names = []
    for k, folder in KINDS.items():
        if kind in (None, k):
            names += sorted(p.stem for p in folder.glob("*.c"))
    return names


def program_kind(name: str) -> str:
    """Whether `name` is a test program or a benchmark (by its folder); a UsageError if neither."""
    for kind, folder in KINDS.items():
        if (folder / f"{name}.c").is_file():
            return kind
    raise UsageError(f"no bare-metal program named {name!r} (have: {', '.join(list_programs())})")


def variant_name(name: str, board: str, mmu: bool = False, defines: tuple[str, ...] = ()) -> str:
    """e.g. "sieve-virt-mmu-bench_small": names the ELF file and the golden output file."""
    return f"{name}-{board}" + ("-mmu" if mmu else "") + "".join(f"-{d.lower()}" for d in defines)


def variants() -> list[tuple[str, str, bool, tuple[str, ...]]]:
    """Every (name, board, mmu, defines) worth running: each test program on each board; each
    benchmark on each board with the MMU off and on, in its full and its small size."""
    out = [(name, board, False, ()) for name in list_programs("tests") for board in BOARDS]
    out += [(name, board, mmu, size) for name in list_programs("bench") for board in BOARDS
            for mmu in (False, True) for size in ((), ("BENCH_SMALL",))]
    return out


def _compiler_version(cc: str) -> str:
    """The cross compiler's version line, part of the cache key."""
    out = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0] if out else cc


def build(name: str, board: str = "virt", mmu: bool = False, defines: tuple[str, ...] = ()) -> pathlib.Path:
    """Compile and link program `name` for `board`; return the path of the ELF file.

    `defines` are extra preprocessor symbols: ("BENCH_SMALL",) selects a benchmark's small size
    (about 1 M instructions instead of 30-120 M), ("REPORT_INSTRET",) prints minstret at exit.
    """
    kind = program_kind(name)
    if board not in BOARDS:
        raise UsageError(f"unknown board {board!r} for bare-metal programs (use virt or spike)")
    if mmu and kind != "bench":
        raise UsageError(f"{name} is a test program; only benchmarks have an MMU variant")
    cc = shutil.which(CC)
    if cc is None:
        raise UsageError(f"{CC} not found: install Debian's gcc-riscv64-unknown-elf")
    sources = [RUNTIME / s for s in RUNTIME_SOURCES] + [RUNTIME / f"board_{board}.c", KINDS[kind] / f"{name}.c"]
    script = RUNTIME / f"{board}.ld"
    flags = [f"-march={MARCH[name]}" if flag.startswith("-march=") and name in MARCH else flag
             for flag in CFLAGS]
    flags += [f"-DBOARD_{board.upper()}=1"] + (["-DBARE_MMU=1"] if mmu else []) + [f"-D{d}" for d in defines]

    key = hashlib.sha256()
    key.update(_compiler_version(cc).encode())
    key.update("\0".join(flags).encode())
    for path in sorted(RUNTIME.glob("*")) + [sources[-1]]:
        key.update(path.name.encode() + b"\0" + path.read_bytes())
    variant = variant_name(name, board, mmu, defines)
    out = cache_dir() / f"{variant}-{key.hexdigest()[:16]}.elf"
    if out.is_file():
        return out

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        elf = pathlib.Path(tmp) / out.name
        cmd = [cc, *flags, f"-I{RUNTIME}", "-T", str(script), "-o", str(elf), *map(str, sources), "-lgcc"]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise UsageError(f"building {variant} failed:\n{result.stderr.strip()}")
        os.replace(elf, out)
    return out


def main(argv: list[str] | None = None) -> int:
    """`python3 -m downstairs.guests.baremetal.build NAME [--board B] [--mmu]`: print the ELF path."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python3 -m downstairs.guests.baremetal.build",
                                     description="Build a bare-metal guest program and print the ELF's path.")
    parser.add_argument("name", nargs="?", help="program name; without it, list the programs")
    parser.add_argument("--board", default="virt", choices=BOARDS)
    parser.add_argument("--mmu", action="store_true", help="benchmarks: run main in S-mode under Sv39")
    args = parser.parse_args(argv)
    try:
        if args.name is None:
            print("\n".join(list_programs()))
        else:
            print(build(args.name, args.board, args.mmu))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
