"""Builds the fast engine: Cython compiles the CPU core's typed-Python modules to C.

The same .py files run unchanged under CPython as the reference engine. Each extension is
optional: where no C compiler is at hand, installation still succeeds and `downstairs`
says that it runs the (slow) reference engine.
"""

import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "downstairs/machine/core"
# Tables, not code: both engines and the generator below read them as Python source.
TABLES = ("__init__.py", "consts.py", "ops.py")


def generate_ops_pxi() -> None:
    """Write core/ops.pxi, the C declarations of the hot loop's constants, from core/ops.py
    (the one place they are written; execute.pxd and state.pxd include the result)."""
    for table in TABLES:                       # an extension left over from an older build
        for stale in CORE.glob(table.removesuffix(".py") + ".*.so"):   # would shadow the source
            stale.unlink()
    sys.path.insert(0, str(ROOT))
    from downstairs.machine.core import ops
    text = ops.cdefs()
    target = CORE / "ops.pxi"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def core_extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("warning: Cython is not installed; only the reference engine will be available")
        return []
    generate_ops_pxi()
    sources = sorted(str(p.relative_to(ROOT)) for p in CORE.glob("*.py") if p.name not in TABLES)
    extensions = cythonize(
        sources,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "embedsignature": False,
        },
        quiet=True,
    )
    for ext in extensions:
        ext.optional = True
        # -frename-registers: the same host instructions as plain -O2 (callgrind counts them
        # equal), with fewer false dependencies between the record loop's loads: 0.87 of the
        # plain build's wall time over the bench programs and the Linux boot, alternated at six
        # environment sizes (docs/machine.md, "Blocks, and what an instruction costs").
        ext.extra_compile_args = ["-O2", "-frename-registers", "-Wno-unused-function", "-Wno-unreachable-code"]
        if ext.name.endswith(".execute"):
            # The hot loop's record index is its one induction variable; gcc's induction
            # variable optimisation otherwise keeps three more in registers, each stepped per
            # instruction, for expressions only the slow paths use (callgrind: 6 host
            # instructions of about 35 per guest instruction).
            ext.extra_compile_args.append("-fno-ivopts")
    return extensions


setup(ext_modules=core_extensions())
