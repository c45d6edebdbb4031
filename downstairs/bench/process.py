"""How the benchmarks start our tool: as a user does, so that its start-up is measured as it is.

A user runs the `downstairs` command that `pip install` (setup.sh) put beside the Python
interpreter, with the package's bytecode compiled at install time. The benchmarks that time
whole processes against QEMU's (`downstairs bench`, --linux, --firmware, --own-firmware) start
that same command. `python -m downstairs` costs about 5 ms more (runpy's own imports), and a
checkout run with PYTHONDONTWRITEBYTECODE set would have every process compile ~40 modules
first (about 45 ms, longer than QEMU's whole start-up): `compile_bytecode` writes it first.
"""

import compileall
import os
import sys

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # .../downstairs


def ours(*args: str) -> list[str]:
    """The command line of `downstairs ARGS...`: the console command beside this interpreter
    when it would import this very package, else `python -m downstairs`."""
    script = os.path.join(os.path.dirname(sys.executable), "downstairs")
    # The script's sys.path is its own directory, then what this process has after its first
    # entry (PYTHONPATH, the standard library, site-packages and an editable install's path).
    for entry in [os.path.dirname(script), *sys.path[1:]]:
        if os.path.isfile(os.path.join(entry or ".", "downstairs", "__init__.py")):
            if os.access(script, os.X_OK) and os.path.realpath(os.path.join(entry or ".", "downstairs")) \
                    == os.path.realpath(PACKAGE):
                return [script, *args]
            break
    return [sys.executable, "-m", "downstairs", *args]


def compile_bytecode() -> None:
    """Write the bytecode of every module of the package that lacks it or whose source
    changed, as the install does (setup.sh: compileall); nothing when it is all there."""
    compileall.compile_dir(PACKAGE, quiet=1)
