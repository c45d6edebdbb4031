"""Building the firmware: boot.py and its modules through our compiler, into the cache.

    $DOWNSTAIRS_CACHE/firmware/downstairs-sbi-<key>/downstairs-sbi.bin   the flat image for -bios
                                                   /downstairs-sbi.elf   the same with symbols
    (DOWNSTAIRS_CACHE defaults to ~/.cache/downstairs, as for the guests: guests/cache.py)

The key hashes every input: the firmware's sources and the compiler's own (downstairs/compiler
and the encoder in downstairs/isa), so a change to either builds a new entry. The .bin is the
memory image from 0x80000000 (QEMU's -bios, raw); the .elf loads the same bytes and names
every function for --trace-stages and gdb.
"""

import pathlib

from downstairs.errors import UsageError
from downstairs.firmware import SOURCES

NAME = "downstairs-sbi"
HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE.parent


class Built:
    def __init__(self, binary: pathlib.Path, elf: pathlib.Path, cached: bool):
        self.binary, self.elf, self.cached = binary, elf, cached


def inputs() -> list[pathlib.Path]:
    """Every file the build reads, in a fixed order."""
    compiler = sorted((PACKAGE / "compiler").rglob("*.py")) + [PACKAGE / "isa" / "encode.py"]
    return [HERE / f"{name}.py" for name in SOURCES] + compiler


def entry() -> pathlib.Path:
    from downstairs.guests import cache

    parts = []
    for path in inputs():
        parts += [str(path.relative_to(PACKAGE)), path.read_bytes()]
    return cache.cache_dir("firmware") / f"{NAME}-{cache.digest(*parts)}"


def compile_into(folder: pathlib.Path) -> None:
    from downstairs.compiler.driver import compile_file
    from downstairs.compiler.elf import flat_binary, write_elf
    from downstairs.compiler.errors import CompileError

    try:
        image = compile_file(str(HERE / "boot.py"))
    except CompileError as error:
        raise UsageError(f"the firmware does not compile: {str(error).splitlines()[0]}") from None
    (folder / f"{NAME}.bin").write_bytes(flat_binary(image))
    (folder / f"{NAME}.elf").write_bytes(write_elf(image))


def build() -> Built:
    """The firmware's files in the cache, compiled first if this set of inputs is new."""
    from downstairs.guests import cache

    where = entry()
    cached = where.is_dir() or cache.publish(where, compile_into)
    return Built(where / f"{NAME}.bin", where / f"{NAME}.elf", cached)
