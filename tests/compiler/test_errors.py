"""Unsupported Python and type errors: a CompileError with file:line:column, the source line and a
caret under the column; never a Python traceback."""

import argparse

import pytest

from downstairs.compiler import command
from downstairs.compiler.driver import compile_file
from downstairs.compiler.errors import CompileError

HEADER = "from downstairs.compiler.runtime import u8, u16, u32, u64, i32, i64, record, array, Array\n"

# (program body after HEADER, message fragment, the text the caret must point at)
CASES = [
    ("def main() -> None:\n    d = {1: 2}\n", "dicts are not supported", "{1: 2}"),
    ("def main() -> None:\n    x = [1, 2]\n", "lists are not supported", "[1, 2]"),
    ("def main() -> None:\n    s = 'text'\n", "strings are not supported", "'text'"),
    ("def main() -> None:\n    x = 1.5\n", "float constants are not supported", "1.5"),
    ("def main() -> None:\n    try:\n        pass\n    except Exception:\n        pass\n",
     "exceptions are not supported", "try:"),
    ("def main() -> None:\n    raise ValueError()\n", "exceptions are not supported", "raise"),
    ("def gen() -> u64:\n    yield 1\n", "generators are not supported", "yield 1"),
    ("def main() -> None:\n    f = lambda: 1\n", "lambdas are not supported", "lambda"),
    ("class Thing:\n    x: u32\n", "classes are records only", "class Thing"),
    ("@record\nclass P:\n    x: u32\n    def norm(self) -> u32:\n        return 0\n", "methods are not supported",
     "def norm"),
    ("def main() -> None:\n    a: u32 = 1\n    b: u64 = 2\n    c = a + b\n", "mixing u32 and u64", "a + b"),
    ("def main() -> None:\n    a: u8 = 300\n", "constant 300 does not fit in u8", "300"),
    ("def main() -> None:\n    a: u32 = -1\n", "constant -1 does not fit in u32", "-1"),
    ("def main() -> None:\n    x = nowhere + 1\n", "unknown name 'nowhere'", "nowhere"),
    ("def f(a: u32) -> u32:\n    return a\n\ndef main() -> None:\n    f(1, 2)\n", "takes 1 arguments, not 2",
     "f(1, 2)"),
    ("def f(a: u32) -> u32:\n    return a\n\ndef main() -> None:\n    x: u64 = 5\n    f(x)\n",
     "expected u32, got u64 (convert with u32(...))", "x)"),
    ("def f(a) -> u32:\n    return 0\n", "parameter 'a' needs a type annotation", "a)"),
    ("def f(a: u32) -> u32:\n    if a > 1:\n        return a\n", "can end without returning", "def f"),
    ("def f(a: u32) -> None:\n    return a\n", "returns None", "a\n"),
    ("def main() -> None:\n    for i in range(10):\n        i = 3\n", "counts this loop", "i = 3"),
    ("def main() -> None:\n    x = 5 / 2\n", "'/' is not supported", "5 / 2"),
    ("def f() -> u32:\n    return 1\n\ndef f() -> u32:\n    return 2\n\ndef main() -> None:\n    f()\n",
     "'f' is defined twice in this module (first at line 2)", "def f() -> u32:"),
    ("N = 4\nN = 5\n", "'N' is defined twice in this module", "N = 5"),
    ("def main() -> None:\n    for x in [1, 2]:\n        pass\n", "loops are 'for NAME in range(...)' only",
     "for x"),
    ("def main() -> None:\n    a = array(u8, 4)\n    a[4] = 1\n", "index 4 is outside Array[u8, 4]", "4] = 1"),
    ("def main() -> None:\n    x: u32 = 1\n    x.y = 2\n", "has no fields", "x.y"),
    ("def main() -> None:\n    break\n", "'break' outside a loop", "break"),
    ("def main() -> None:\n    x = f'{1}'\n", "f-strings are not supported", "f'{1}'"),
    ("import os\n", "no module named 'os'", "import os"),
    ("def main() -> None:\n    def inner() -> None:\n        pass\n", "nested functions are not supported",
     "def inner"),
    ("def main() -> None:\n    x: float = 1\n", "'float' is not a type of the language", "float"),
    ("@record\nclass R:\n    a: None\n", "None is not a type a value can have", "None"),
    ("def main() -> None:\n    a = array(None, 4)\n", "None is not a type a value can have", "None, 4"),
    ("def f(a: Array[None, 4]) -> None:\n    pass\n", "None is not a type a value can have", "None, 4]"),
    ("g: None = 0\n", "None is not a type a value can have", "None = 0"),
    ("def main() -> None:\n    x = (1, 2)\n", "tuples are not supported", "(1, 2)"),
    ("def main() -> None:\n    x: u32 = 1\n    y = x and x\n", "'and'/'or' need bool operands", "x and"),
    ("def main() -> None:\n    print(1)\n", "unknown name 'print'", "print"),
    ("def main() -> None:\n    x = 1\n    x(2)\n", "is not a function", "x(2)"),
    ("def main() -> None:\n    x.y(2)\n", "'x.y' is not a function", "x.y(2)"),
    ("@record\nclass P:\n    x: u32\n\ndef main() -> None:\n    p = P(1)\n    p.x(2)\n", "'p.x' is not a function",
     "p.x(2)"),
    ("@record\nclass P:\n    x: u32\n\ndef main() -> None:\n    p = P(1)\n    q = P(2)\n    p = q\n",
     "a P is stored in place", "q\n"),
    ("counter: u32 = 0\n\ndef main() -> None:\n    counter = counter + 1\n", "used before it is assigned",
     "counter + 1"),
    ("def main() -> None:\n    x = 1 +\n", "syntax error", ""),
]


def compile_source(tmp_path, body):
    path = tmp_path / "prog.py"
    path.write_text(HEADER + body)
    return compile_file(str(path)), path


@pytest.mark.parametrize("body,message,at", CASES, ids=[c[1][:40] for c in CASES])
def test_error_has_location_source_and_caret(tmp_path, body, message, at):
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    err = info.value
    text = str(err)
    assert message in err.message
    head, *rest = text.split("\n")
    assert head.startswith(f"{tmp_path / 'prog.py'}:{err.line}:{err.col + 1}: error: ")
    source_lines = (HEADER + body).splitlines()
    assert rest[0].strip() == source_lines[err.line - 1].strip()
    caret = rest[1].index("^") - 4
    assert source_lines[err.line - 1][caret:].startswith(at.rstrip("\n")) or not at


def test_command_prints_the_error_and_no_traceback(tmp_path, capsys):
    src = tmp_path / "bad.py"
    src.write_text(HEADER + "def main() -> None:\n    x: u8 = 1\n    y: u16 = x\n")
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["compile", str(src), "-o", str(tmp_path / "bad.elf")])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert f"{src}:4:14: error: expected u16, got u8" in err
    assert "    y: u16 = x\n" in err and "\n                 ^" in err
    assert "Traceback" not in err
    assert not (tmp_path / "bad.elf").exists()


# More unsupported or ill-typed programs: each must be a CompileError, whatever the message.
ODD = [
    "def f() -> None:\n    pass\n\ndef main() -> None:\n    x = f\n",
    "def main() -> None:\n    a = array(u8, 4)\n    b = a[1:2]\n",
    "def main() -> None:\n    x = len(5)\n",
    "def main() -> None:\n    n = 4\n    a = array(u8, n)\n",
    "@record\nclass P:\n    x: u8\n\ndef main() -> None:\n    p = P()\n    while p:\n        pass\n",
    "def main() -> None:\n    return 5\n",
    "@record\nclass P:\n    x: u8\n\ndef main() -> None:\n    y = P(1).x\n",
    "def main() -> None:\n    x = u8()\n",
    "@record\nclass P:\n    x: u8\n\ndef main() -> None:\n    p = P()\n    y = -p\n",
    "def main() -> None:\n    global nothing\n",
    "def main() -> None:\n    for i in range(10, 0, 0):\n        pass\n",
    "def main() -> None:\n    x: Array[u8] = array(u8, 4)\n",
    "def main() -> None:\n    x: Array[u8, 4] = 5\n",
    "def main() -> None:\n    x = u8\n",
    "def f(a: u8) -> None:\n    pass\n\ndef main() -> None:\n    f(a=1)\n",
    "def f(*args: u8) -> None:\n    pass\n",
    "async def f() -> None:\n    pass\n",
    "def main() -> None:\n    with f() as g:\n        pass\n",
    "def main() -> None:\n    x: u8 = 1\n    x += 1.0\n",
    "def main() -> None:\n    x: u8 = 1\n    y = x is None\n",
    "def main() -> None:\n    x: u8 = 1\n    y = x in x\n",
    "@record\nclass Q:\n    a: u8\n\n@record\nclass P:\n    q: Q\n\ndef main() -> None:\n    p = P()\n    p.q = 5\n",
    "def main() -> None:\n    x = True + 1\n",
    "def main() -> None:\n    x: bool = 1\n",
    "def main() -> None:\n    x = undefined_function()\n",
    "def main() -> None:\n    x: u8 = 1\n    x[0] = 1\n",
    "def main() -> None:\n    x = 1\n    del x\n",
    "def main() -> None:\n    x = [i for i in range(3)]\n",
    "def main() -> None:\n    x = {1}\n",
    "x = 5\nx = 6\ndef main() -> None:\n    x[1] = 2\n",
    "def main() -> None:\n    x: u64 = 1 << 70\n",
    "def main() -> None:\n    a, b = 1, 2\n",
    "def main() -> u8:\n    while True:\n        break\n",
    "def main() -> None:\n    x: u8 = 1\n    x = x if x else None\n",
    "def main() -> None:\n    x = b'ab'\n    x[0] = 1\n",
    "def main() -> None:\n    x = (yield)\n",
    "def main() -> None:\n    x = not_a_module.thing\n",
    "from downstairs.compiler.runtime import nothing\n",
    "from downstairs.compiler.runtime import *\n",
    "def main() -> None:\n    match 1:\n        case 1:\n            pass\n",
]


@pytest.mark.parametrize("body", ODD)
def test_odd_programs_are_compile_errors(tmp_path, body):
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    assert info.value.line > 0 and "^" in str(info.value)
