"""Builds the fast engine: Cython compiles the CPU core's typed-Python modules to C.

The same .py files run unchanged under CPython as the reference engine. Each extension is
optional: where no C compiler is at hand, installation still succeeds and `downstairs`
says that it runs the (slow) reference engine.
"""

from pathlib import Path

from setuptools import setup

CORE = Path("downstairs/machine/core")


def core_extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("warning: Cython is not installed; only the reference engine will be available")
        return []
    sources = sorted(str(p) for p in CORE.glob("*.py") if p.name != "__init__.py")
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
        ext.extra_compile_args = ["-O2", "-Wno-unused-function", "-Wno-unreachable-code"]
    return extensions


setup(ext_modules=core_extensions())
