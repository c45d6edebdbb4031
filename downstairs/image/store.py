"""The content-addressed store: every build step's output kept under the hash of its inputs (Nix's
idea, without Nix's language: the steps are plain Python, the system is a data manifest).

    $DOWNSTAIRS_CACHE/store/<key>-<name>/      one step's output files
    (DOWNSTAIRS_CACHE defaults to ~/.cache/downstairs: guests/cache.py)

A step has a kind and a name, the inputs it reads, and a function that makes its output folder.
An input is one of

    file      a file's content hash, under a name that does not depend on where the checkout is
              (a path from the repository's top, or from the manifest's folder)
    files     a set of files hashed as one (the compiler's own source: its files and their names)
    value     text the step depends on (flags, a configuration, the task table's entries)
    step      another step: its key; its output folder is read when this step runs

A step's key is the sha256 of its kind, its name and each input's kind, name and hash, in order.
So the key names the step's whole closure, every input down to the last source file, and two
checkouts at two paths on two dates compute the same keys. A step whose folder exists is not
run again; one whose folder is missing runs after its inputs' steps, into a fresh temporary
folder renamed into place (guests/cache.py's publish: a crash leaves nothing half made, and two
processes asking for one step run it once).
"""

import hashlib
import pathlib
from collections.abc import Callable

KEY_CHARS = 32                  # of the key's 64 hex digits, in the folder's name


def sha256(data: bytes) -> str:
    """The sha256 of `data`, in hex."""
    return hashlib.sha256(data).hexdigest()


class Input:
    """One input of a step (see the module docstring): kind, name, hash (hex), and the step
    itself for kind "step", the files' names for kind "files"."""

    def __init__(self, kind: str, name: str, digest: str, step: "Step | None" = None,
                 files: list[str] | None = None, text: str = ""):
        self.kind, self.name, self.digest, self.step, self.files = kind, name, digest, step, files or []
        self.text = text          # a value's text, when it is short enough to show


def file_input(name: str, path: pathlib.Path) -> Input:
    """The file at `path` as an input called `name` (its content's hash: the path is not kept)."""
    return Input("file", name, sha256(path.read_bytes()))


def value_input(name: str, text: str | bytes) -> Input:
    """`text` as an input called `name`; short one-line text is kept to be shown."""
    data = text.encode() if isinstance(text, str) else text
    shown = text if isinstance(text, str) and len(text) <= 80 and "\n" not in text else ""
    return Input("value", name, sha256(data), text=shown)


def files_input(name: str, files: list[tuple[str, bytes]]) -> Input:
    """A set of (name, content) hashed as one, in the given order."""
    h = hashlib.sha256()
    for file_name, data in files:
        h.update(f"{file_name} {sha256(data)}\n".encode())
    return Input("files", name, h.hexdigest(), files=[file_name for file_name, _ in files])


def step_input(step: "Step") -> Input:
    """Another step as an input: its key stands for its whole closure."""
    return Input("step", f"{step.kind} {step.name}", step.key, step=step)


class Step:
    """A build step: `make(folder)` writes its output into `folder` (the step's inputs' outputs
    are in the store by then: `store.folder(step)` finds them)."""

    def __init__(self, kind: str, name: str, inputs: list[Input], make: Callable[[pathlib.Path], None]):
        self.kind, self.name, self.inputs, self.make = kind, name, inputs, make
        text = f"{kind} {name}\n" + "".join(f"{i.kind} {i.name} {i.digest}\n" for i in inputs)
        self.key = sha256(text.encode())

    def needs(self) -> list["Step"]:
        """The steps whose outputs this one reads."""
        return [i.step for i in self.inputs if i.step is not None]


class Store:
    """The store under `root`; `ran` lists the steps this Store object has run, in order."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.ran: list[Step] = []

    def folder(self, step: Step) -> pathlib.Path:
        """Where the step's output is (or will be): <key>-<name> under the store's root."""
        return self.root / f"{step.key[:KEY_CHARS]}-{step.name}"

    def built(self, step: Step) -> bool:
        return self.folder(step).is_dir()

    def realise(self, step: Step, progress: Callable[[Step], None] = lambda step: None) -> pathlib.Path:
        """The step's output folder, running it (after what it needs) if it is not in the store."""
        from downstairs.guests import cache

        where = self.folder(step)
        if where.is_dir():
            return where
        for needed in step.needs():
            self.realise(needed, progress)
        progress(step)
        if not cache.publish(where, step.make):
            self.ran.append(step)
        return where


def default_root() -> pathlib.Path:
    """$DOWNSTAIRS_CACHE/store (default ~/.cache/downstairs/store)."""
    from downstairs.guests import cache

    return cache.cache_dir("store")
