"""Compile errors: a message with file:line:column, the source line and a caret under the column.

Every error the compiler reports about a program goes through `CompileError`, so the user sees
where the problem is and never a Python traceback. An error may carry notes in the same form
that point at an earlier place that explains it (where a value was moved or borrowed):

    prog.py:14:13: error: 'f' is used after it was moved
        put_u64(f.base)
                ^
    prog.py:13:16: note: 'f' was moved here (into free_frame)
        free_frame(f)
                   ^
"""


def located(kind: str, message: str, path: str, line: int, col: int, source: str) -> str:
    """`path:line:col: kind: message`, then the source line and a caret under the column."""
    where = f"{path}:{line}:{col + 1}" if line else path
    text = f"{where}: {kind}: {message}"
    if line and source:
        lines = source.splitlines()
        if 0 < line <= len(lines):
            src = lines[line - 1]
            text += f"\n    {src}\n    {' ' * min(col, len(src))}^"
    return text


class CompileError(Exception):
    """A problem in the program at path:line:col (line 0 when no place applies); its text is
    the one-line message, then the source line and a caret under the column, then the notes."""

    def __init__(self, message: str, path: str = "?", line: int = 0, col: int = 0, source: str = ""):
        super().__init__(message)
        self.message, self.path, self.line, self.col, self.source = message, path, line, col, source
        self.notes: list[tuple[str, int, int]] = []     # (message, line, col) in the same file

    def note(self, message: str, line: int, col: int) -> "CompileError":
        """Add a note pointing at line:col of the same file; returns the error (to raise)."""
        self.notes.append((message, line, col))
        return self

    def __str__(self) -> str:
        text = located("error", self.message, self.path, self.line, self.col, self.source)
        for message, line, col in self.notes:
            text += "\n" + located("note", message, self.path, line, col, self.source)
        return text


def error_at(node, message: str, module) -> CompileError:
    """An error pointing at an `ast` node of `module` (anything with path and source)."""
    return CompileError(message, module.path, getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
                        module.source)
