"""Compile errors: a message with file:line:column, the source line and a caret under the column.

Every error the compiler reports about a program goes through `CompileError`, so the user sees
where the problem is and never a Python traceback.
"""


class CompileError(Exception):
    """A problem in the program at path:line:col (line 0 when no place applies); its text is
    the one-line message, then the source line and a caret under the column."""

    def __init__(self, message: str, path: str = "?", line: int = 0, col: int = 0, source: str = ""):
        super().__init__(message)
        self.message, self.path, self.line, self.col, self.source = message, path, line, col, source

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col + 1}" if self.line else self.path
        text = f"{where}: error: {self.message}"
        if self.line and self.source:
            lines = self.source.splitlines()
            if 0 < self.line <= len(lines):
                src = lines[self.line - 1]
                text += f"\n    {src}\n    {' ' * min(self.col, len(src))}^"
        return text


def error_at(node, message: str, module) -> CompileError:
    """An error pointing at an `ast` node of `module` (anything with path and source)."""
    return CompileError(message, module.path, getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
                        module.source)
