"""Finding and parsing a program's modules (Python's own `ast` is the lexer and parser).

A program is its main file plus every module it imports with `import NAME` or
`from NAME import ...`, looked up as NAME.py in the importing file's folder and then in the
search path. `downstairs.compiler.runtime` is the built-in module and is not a file. Modules
come out dependencies first, so each one's names are known before its importers are checked.
"""

import ast
import os

from downstairs.compiler.errors import CompileError, error_at

RUNTIME = "downstairs.compiler.runtime"


class Module:
    """One source file: its dotted name, path, text and parsed tree."""

    def __init__(self, name: str, path: str, source: str, tree: ast.Module):
        self.name, self.path, self.source, self.tree = name, path, source, tree
        self.names: dict = {}          # filled by the checker: name -> symbol


def parse_file(path: str, name: str) -> Module:
    """Read and parse one file; unreadable, non-UTF-8 or non-Python input is a CompileError."""
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except OSError as err:
        raise CompileError(f"cannot read {path}: {err.strerror}", path)
    except UnicodeDecodeError as err:
        raise CompileError(f"not UTF-8 text: {err.reason} at byte {err.start}", path)
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        raise CompileError(f"syntax error: {err.msg}", path, err.lineno or 0, (err.offset or 1) - 1, source)
    except ValueError as err:              # such as a NUL byte in the source
        raise CompileError(f"not Python source: {err}", path)
    return Module(name, path, source, tree)


def imported_names(module: Module) -> list[tuple[str, ast.AST]]:
    """The modules a module imports (not the runtime), with the import statement of each."""
    found = []
    for node in module.tree.body:
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise error_at(node, "relative imports are not supported", module)
            found.append((node.module, node))
    return [(n, node) for n, node in found if n != RUNTIME]


def load_program(main_path: str, search_path: list[str] = ()) -> list[Module]:
    """All modules of the program, dependencies before their importers, main module last."""
    main_name = os.path.splitext(os.path.basename(main_path))[0]
    order: list[Module] = []
    state: dict[str, str] = {}
    loaded: dict[str, Module] = {}

    def visit(module: Module) -> None:       # depth first: a module after its imports
        state[module.name] = "visiting"
        folder = os.path.dirname(os.path.abspath(module.path))
        for name, node in imported_names(module):
            if state.get(name) == "visiting":
                raise error_at(node, f"import cycle through module {name!r}", module)
            if name not in loaded:
                for where in [folder, *search_path]:
                    candidate = os.path.join(where, *name.split(".")) + ".py"
                    if os.path.isfile(candidate):
                        break
                else:
                    raise error_at(node, f"no module named {name!r} next to {module.path}", module)
                loaded[name] = parse_file(candidate, name)
                visit(loaded[name])
        state[module.name] = "done"
        order.append(module)

    main = parse_file(main_path, main_name)
    loaded[main_name] = main
    visit(main)
    return order
