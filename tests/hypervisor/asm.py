"""Assemble a small x86-64 test guest with GNU as: source text in, flat machine code out."""

import subprocess
import tempfile
from pathlib import Path


def assemble(source: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, obj, out = Path(tmp, "g.s"), Path(tmp, "g.o"), Path(tmp, "g.bin")
        src.write_text(source)
        subprocess.run(["as", "--64", "-o", str(obj), str(src)], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(obj), str(out)], check=True)
        return out.read_bytes()
