"""The two engines run the same source: each must be made only of its own kind of module.

engine.load() imports the core twice in one process (compiled extensions and plain .py
files). A compiled `execute` that calls a Python `trap` (or the reverse) fails, or silently
runs at the wrong speed; this checks every core module an engine reaches.
"""

from types import ModuleType

from tests.machine.harness import ENGINES, load_engine

CORE = "downstairs.machine.core"


def reachable(module: ModuleType, seen: dict) -> None:
    seen[module.__name__ + "@" + module.__file__] = module
    for value in vars(module).values():
        if isinstance(value, ModuleType) and value.__name__.startswith(CORE + "."):
            key = value.__name__ + "@" + value.__file__
            if key not in seen:
                reachable(value, seen)


def test_each_engine_uses_only_its_own_modules():
    loaded = {name: load_engine(name) for name in ENGINES}
    for name, engine in loaded.items():
        seen: dict = {}
        for module in (engine.execute, engine.trap, engine.csr):
            reachable(module, seen)
        files = sorted(m.__file__ for m in seen.values())
        if name == "reference":
            assert all(f.endswith(".py") for f in files), files
        else:
            assert not any(f.endswith(".py") for f in files), files
        assert engine.Hart.__module__ == CORE + ".state"


def test_engines_in_either_order_run_code():
    from downstairs.isa import encode as e
    from tests.machine.harness import run_program
    for name in ENGINES + ENGINES[::-1]:
        bench = run_program(load_engine(name), e.li(5, -7) + [e.r("div", 6, 5, 0)])
        assert bench.reg(6) == (1 << 64) - 1
