"""Which engine runs the hart: the Cython-compiled core, or the same source as plain Python.

The core modules (core/*.py) are one source. `pip install` compiles them into extension
modules that sit beside the .py files; Python then imports those. The reference engine is
the .py files themselves: `load("reference")` imports them afresh under the same names with
the extensions hidden, keeps those module objects, and puts the compiled ones back, so both
engines can live in one process (the tests compare them).
"""

import importlib
import os
import sys
from types import ModuleType

from downstairs.errors import UsageError

CORE = "downstairs.machine.core"
CORE_DIR = os.path.join(os.path.dirname(__file__), "core")
_cache: dict[str, "Engine"] = {}


class Engine:
    def __init__(self, name: str, Hart: type, execute: ModuleType, trap: ModuleType, csr: ModuleType,
                 trigger: ModuleType, mmu: ModuleType, memory: ModuleType):
        """One engine: its kind and the core modules the machine and its debugger call."""
        self.name = name                 # "compiled" or "reference"
        self.Hart = Hart
        self.execute = execute
        self.trap = trap
        self.csr = csr
        self.trigger = trigger           # breakpoints and triggers (the gdb stub)
        self.mmu = mmu                   # a debugger's address translation
        self.memory = memory

    def run(self, hart, budget: int) -> int:
        """Run `hart` for up to `budget` instructions (core/execute.py); the count retired."""
        return self.execute.run(hart, budget)


def compiled_available() -> bool:
    """Whether the Cython-built core is importable (setup.py build_ext has run)."""
    return _is_extension(importlib.import_module(f"{CORE}.execute"))


def _is_extension(module: ModuleType) -> bool:
    """Whether a module was loaded from an extension (.so) rather than its .py source."""
    return not (module.__file__ or "").endswith(".py")


def _engine(name: str, modules: dict[str, ModuleType]) -> Engine:
    """An Engine over the core modules of one kind."""
    return Engine(name, modules["state"].Hart, modules["execute"], modules["trap"], modules["csr"],
                  modules["trigger"], modules["mmu"], modules["memory"])


def _import_core() -> dict[str, ModuleType]:
    """The core modules the machine uses, imported by their usual names."""
    names = ["state", "execute", "trap", "csr", "trigger", "mmu", "memory"]
    return {n: importlib.import_module(f"{CORE}.{n}") for n in names}


class _SourceOnly:
    """An import hook that finds core modules as .py files, never as extensions."""

    def find_spec(self, name, path=None, target=None):
        """A spec loading the core module `name` from its .py file; None for other modules."""
        if not name.startswith(CORE + "."):
            return None
        source = os.path.join(CORE_DIR, name.rsplit(".", 1)[1] + ".py")
        return importlib.util.spec_from_file_location(name, source) if os.path.exists(source) else None


def _load_reference() -> Engine:
    # `from downstairs.machine.core import trap` reads the package's attribute first, so the
    # compiled modules must be hidden there too, not only in sys.modules.
    """The reference engine: the core's .py files imported afresh under the usual names
    (compiled modules hidden meanwhile, then put back), so both engines live in one process."""
    import importlib.util               # (the hook's; only this engine needs it: start-up counts)

    package = importlib.import_module(CORE)
    saved = {k: m for k, m in sys.modules.items() if k.startswith(CORE + ".")}
    saved_attrs = {k.rsplit(".", 1)[1]: m for k, m in saved.items()}
    for key in saved:
        del sys.modules[key]
    for name in saved_attrs:
        if hasattr(package, name):
            delattr(package, name)
    hook = _SourceOnly()
    sys.meta_path.insert(0, hook)
    try:
        modules = _import_core()
    finally:
        sys.meta_path.remove(hook)
        for key in [k for k in sys.modules if k.startswith(CORE + ".")]:
            del sys.modules[key]
        sys.modules.update(saved)
        for name in [n for n, m in vars(package).items() if isinstance(m, ModuleType)]:
            delattr(package, name)               # the reference modules this import attached
        for name, module in saved_attrs.items():
            setattr(package, name, module)
    return _engine("reference", modules)


def load(kind: str = "auto") -> Engine:
    """`compiled`, `reference`, or `auto` (compiled when built, else the reference with a
    note on stderr). Also settable with the DOWNSTAIRS_ENGINE environment variable."""
    if kind == "auto":
        kind = os.environ.get("DOWNSTAIRS_ENGINE", "auto")
    if kind in _cache:
        return _cache[kind]
    if kind == "reference":
        engine = _load_reference()
    elif kind in ("compiled", "auto"):
        if compiled_available():
            engine = _engine("compiled", _import_core())
        elif kind == "compiled":
            raise UsageError("the compiled engine is not built (pip install . builds it); "
                             "use --engine reference")
        else:
            print("downstairs: note: the compiled engine is not built; running the reference "
                  "engine (about 100x slower)", file=sys.stderr)
            engine = _load_reference()
    else:
        raise UsageError(f"unknown engine {kind!r}: choose compiled, reference or auto")
    _cache[kind] = engine
    return engine
