"""Program modules (those that import built-in names from downstairs.compiler.runtime) import in
tests as the compiler sees them: checked, and run as their machine code runs
(downstairs/compiler/cpython.py; docs/compiler-language.md, "Under CPython")."""

from downstairs.compiler import cpython

cpython.install()
