"""Reading a TOML file so that every mistake in it names its line (`system.toml:42: tasks.app: ...`).

Python's tomllib (TOML 1.0) gives the values but no positions. So the text is also scanned, line
by line, for where each table header (`[tasks.app]`) and each key (`sends = [...]`,
`memory.base = ...`) starts; every key path is then blamed on its own line, or on the line of
its nearest ancestor that has one (a key inside an inline table on the `memory = { ... }` line,
a missing key on its table's header). The scan skips the inside of multi-line strings; the
dotted names it finds are split and unquoted by tomllib itself, so `"a.b".c` is two keys as
TOML says.

`Entry` reads one table of the document with typed fields; every failure is a UsageError of one
line. The kernel's task table and the image's system manifest are read this way (one file, one
schema: docs/image.md, "The manifest").
"""

import os
import pathlib
import re
import tomllib

from downstairs.errors import UsageError

_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
_TABLE = re.compile(rf"^[ \t]*\[[ \t]*({_DOTTED})[ \t]*\]")
_ARRAY_TABLE = re.compile(rf"^[ \t]*\[\[[ \t]*({_DOTTED})[ \t]*\]\]")
_ASSIGN = re.compile(rf"^[ \t]*({_DOTTED})[ \t]*=")
_TOMLLIB_LINE = re.compile(r"\(at line (\d+), column \d+\)")

# Addresses in a manifest are RV64 physical addresses: 56 bits (privileged spec 4.4-4.5, a
# page-table entry's 44-bit PPN above the 12-bit page offset).
PHYSICAL_LIMIT = 1 << 56


def shown(path: pathlib.Path) -> str:
    """How a file is named in messages: relative to the working directory when it is below it,
    else as an absolute path."""
    path = pathlib.Path(os.path.abspath(path))
    try:
        return str(path.relative_to(pathlib.Path.cwd()))
    except ValueError:
        return str(path)


def split_keys(dotted: str) -> tuple[str, ...]:
    """The keys of a dotted TOML name (`tasks."my task"`), unquoted by tomllib."""
    data = tomllib.loads(f"{dotted} = 0")
    keys = []
    while isinstance(data, dict):
        (key, data), = data.items()
        keys.append(key)
    return tuple(keys)


def locate(text: str) -> dict[tuple[str, ...], int]:
    """Where each table and key of a TOML text starts: key path -> 1-based line number (the
    first line that names it)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    closing = None                       # the quotes that end the multi-line string we are in
    for number, line in enumerate(text.splitlines(), 1):
        if closing:
            if line.count(closing) % 2 == 1:
                closing = None
            continue
        found = _ARRAY_TABLE.match(line) or _TABLE.match(line)
        if found:
            table = split_keys(found.group(1))
            path = table
        else:
            found = _ASSIGN.match(line)
            if not found:
                continue
            path = table + split_keys(found.group(1))
        for k in range(1, len(path) + 1):
            lines.setdefault(path[:k], number)
        rest = line[found.end():]
        for quotes in ('"""', "'''"):
            if rest.count(quotes) % 2 == 1:
                closing = quotes
    return lines


class Document:
    """A TOML file read: its path, its data (tomllib's) and the line of every key path."""

    def __init__(self, path: pathlib.Path, data: dict, lines: dict[tuple[str, ...], int]):
        self.path, self.data, self.lines = path, data, lines

    def line(self, keys: tuple[str, ...]) -> int:
        """The line of `keys`, or of its nearest ancestor the file names; 1 for the top level."""
        for k in range(len(keys), 0, -1):
            if keys[:k] in self.lines:
                return self.lines[keys[:k]]
        return 1

    def error(self, keys: tuple[str, ...], message: str, key: str | None = None) -> UsageError:
        """The one-line error about the entry `keys` (its field `key`, whose line it names, if
        given): `FILE:LINE: dotted.keys: message`."""
        where = ".".join(keys) if keys else "(top level)"
        line = self.line(keys + ((key,) if key else ()))
        return UsageError(f"{shown(self.path)}:{line}: {where}: {message}")

    def root(self) -> "Entry":
        """The top-level table as an Entry."""
        return Entry(self, (), self.data)


def read(path) -> Document:
    """Read and parse the TOML file at `path` (UsageError for a missing file or bad TOML)."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{shown(path)}:1: not a valid TOML file: not UTF-8 ({err.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        at = _TOMLLIB_LINE.search(str(err))
        raise UsageError(f"{shown(path)}:{at.group(1) if at else 1}: not a valid TOML file: {err}") from None
    return Document(path, data, locate(text))


class Entry:
    """One table of a Document (`keys` is its path, e.g. ("tasks", "app")), read field by field;
    each `fail` names the field's line."""

    def __init__(self, doc: Document, keys: tuple[str, ...], data):
        self.doc, self.keys = doc, keys
        if not isinstance(data, dict):
            raise doc.error(keys, "must be a table")
        self.data = data

    def fail(self, message: str, key: str | None = None):
        """Raise the one-line error about this table, at the line of its `key` if given."""
        raise self.doc.error(self.keys, message, key)

    def only(self, keys: set[str]) -> None:
        """Refuse any key not in `keys`."""
        for key in self.data:
            if key not in keys:
                self.fail(f"unknown key {key!r} (expected {', '.join(sorted(keys))})", key)

    def get(self, key: str, kind, default=None):
        """The value of `key`, which must be of type `kind` (int excludes bool); a missing key
        gives `default`, or fails when there is none."""
        if key not in self.data:
            if default is None:
                self.fail(f"{key!r} is missing")
            return default
        value = self.data[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(f"{key} must be an integer, not {value!r}", key)
        if kind is not int and not isinstance(value, kind):
            self.fail(f"{key} must be a {kind.__name__}, not {value!r}", key)
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        """A string that must be one of `choices`."""
        value = self.get(key, str, default)
        if value not in choices:
            self.fail(f"{key} must be {' or '.join(repr(c) for c in choices)}, not {value!r}", key)
        return value

    def names(self, key: str) -> list[str]:
        """A list of strings (empty when the key is missing)."""
        value = self.get(key, list, [])
        if not all(isinstance(v, str) for v in value):
            self.fail(f"{key} must be a list of names", key)
        return value

    def table(self, key: str, default=None) -> "Entry":
        """The sub-table `key` as an Entry of its own."""
        return Entry(self.doc, self.keys + (key,), self.get(key, dict, default))

    def address(self, key: str, default: int | None = None) -> int:
        """An integer that is a physical address (below PHYSICAL_LIMIT)."""
        value = self.get(key, int, default)
        if not 0 <= value < PHYSICAL_LIMIT:
            self.fail(f"{key} must be a physical address, 0 to {PHYSICAL_LIMIT - 1:#x}, not {value:#x}", key)
        return value

    def range(self, key: str, page: int) -> tuple[int, int]:
        """A `{ base = ..., size = ... }` field in whole pages of `page` bytes, all of it
        physical addresses."""
        inner = self.table(key)
        inner.only({"base", "size"})
        base, size = inner.get("base", int), inner.get("size", int)
        if base < 0 or size <= 0 or base % page or size % page:
            self.fail(f"{key} must be whole {page // 1024} KiB pages with a positive size, not "
                      f"{base:#x}+{size:#x}", key)
        if base + size > PHYSICAL_LIMIT:
            self.fail(f"{key} {base:#x}+{size:#x} ends beyond the physical addresses "
                      f"(0 to {PHYSICAL_LIMIT - 1:#x})", key)
        return base, size
