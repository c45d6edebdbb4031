"""The ownership rules (docs/ownership.md): every error the issue names, each with its place
(file:line:column, the source line and a caret) and a note at the earlier move or borrow;
programs that keep the rules compile, and the machine code of programs without resources
does not change."""

import os

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.errors import CompileError

# The resource types and helpers every case may use, declared in the program's own module.
HEADER = '''from downstairs.compiler.runtime import u8, u32, u64, resource, linear, record, array, Array, Ref, MutRef


@linear
class Frame:
    base: u64


@resource
class Token:
    n: u32


@record
class Point:
    x: u32


@resource
class Holder:
    t: Token
    pos: Point


def alloc() -> Frame:
    f = Frame(4096)
    return f


def free(f: Frame) -> None:
    del f


def token() -> Token:
    t = Token(7)
    return t


def take(t: Token) -> None:
    pass


def holder() -> Holder:
    h = Holder()
    return h


def peek(f: Ref[Frame]) -> u64:
    return f.base


def poke(f: MutRef[Frame]) -> None:
    f.base += 4096


def both(a: MutRef[Frame], b: Ref[Frame]) -> None:
    pass


def two(a: MutRef[Frame], b: MutRef[Frame]) -> None:
    pass


def give_and_peek(f: Frame, g: Ref[Frame]) -> None:
    free(f)


def count(t: Token) -> u32:
    return 1

'''

# (name, code after HEADER, message fragment, caret text, note fragment or None, note caret text)
CASES = [
    ("use after move",
     "def work() -> None:\n    f = alloc()\n    free(f)\n    peek(f)\n",
     "'f' is used after it was moved", "f)", "'f' was moved into free() here", "f)\n    peek"),
    ("a second move",
     "def work() -> None:\n    f = alloc()\n    free(f)\n    free(f)\n",
     "'f' is moved a second time", "f)", "'f' was moved into free() here", "f)\n    free"),
    ("a second move between names",
     "def work() -> None:\n    t = token()\n    u = t\n    v = t\n",
     "'t' is moved a second time", "t\n", "'t' was moved into 'u' here", "t\n    v"),
    ("moving a value while it is borrowed",
     "def work() -> None:\n    f = alloc()\n    give_and_peek(f, f)\n",
     "'f' is moved into give_and_peek() while it is borrowed", "f, f)", "borrowed here, for parameter 'g'", "f)"),
    ("two exclusive borrows",
     "def work() -> None:\n    f = alloc()\n    two(f, f)\n    free(f)\n",
     "two exclusive borrows of 'f' in one call to two()", "f)", "'f' is borrowed here, for parameter 'a'",
     "f, f)"),
    ("an exclusive and a shared borrow",
     "def work() -> None:\n    f = alloc()\n    both(f, f)\n    free(f)\n",
     "an exclusive and a shared borrow of 'f' in one call to both()", "f)",
     "'f' is borrowed here, for parameter 'a'", "f, f)"),
    ("writing through a shared borrow",
     "def work(f: Ref[Frame]) -> None:\n    f.base = 5\n",
     "'f' is a shared borrow (Ref[Frame]): it is read-only, so 'f.base' cannot be written", "f.base =",
     "borrowed here", "f: Ref"),
    ("lending a shared borrow to a writer",
     "def work(f: Ref[Frame]) -> None:\n    poke(f)\n",
     "so 'f' cannot be given to poke() to change", "f)", "borrowed here", "f: Ref"),
    ("not consumed at an early return",
     "def work(n: u32) -> None:\n    f = alloc()\n    if n > 3:\n        return\n    free(f)\n",
     "linear Frame 'f' is not consumed at this return", "return", "'f' was given its Frame here", "f = alloc"),
    ("not consumed when the function ends",
     "def work() -> None:\n    f = alloc()\n    poke(f)\n",
     "linear Frame 'f' is not consumed when work() ends here", "poke(f)", "'f' was given its Frame here",
     "f = alloc"),
    ("a parameter that took ownership is not consumed",
     "def work(f: Frame) -> u64:\n    return peek(f)\n",
     "linear Frame 'f' is not consumed at this return", "return", "'f' was a parameter here", "f: Frame"),
    ("not consumed at the end of a loop body",
     "def work() -> None:\n    for i in range(3):\n        f = alloc()\n",
     "linear Frame 'f' is not consumed at the end of the loop body", "f = alloc", "'f' was given its Frame here",
     "f = alloc"),
    ("not consumed at a continue",
     "def work() -> None:\n    for i in range(3):\n        f = alloc()\n        if i == 1:\n            continue\n"
     "        free(f)\n",
     "linear Frame 'f' is not consumed at this continue", "continue", "'f' was given its Frame here", "f = alloc"),
    ("branches that consume different resources",
     "def work(n: u32) -> None:\n    f = alloc()\n    if n > 3:\n        free(f)\n",
     "consume different resources: linear Frame 'f' is alive when it is false but not when its condition is true",
     "if n > 3", "'f' was moved into free() here", "f)"),
    ("branches that consume different resources (if/else)",
     "def work(n: u32) -> None:\n    f = alloc()\n    g = alloc()\n    if n > 3:\n        free(f)\n    else:\n"
     "        free(g)\n",
     "consume different resources", "if n > 3", "was moved into free() here", None),
    ("consuming a resource from outside a loop inside its body",
     "def work() -> None:\n    f = alloc()\n    for i in range(3):\n        free(f)\n",
     "'f' is owned outside this loop but consumed inside it", "f)", "the loop starts here", "for i in"),
    ("consuming an affine resource from outside a loop",
     "def work(n: u32) -> None:\n    t = token()\n    while n > 0:\n        take(t)\n        n -= 1\n",
     "'t' is owned outside this loop but consumed inside it", "t)", "the loop starts here", "while n"),
    ("the exits of a loop consume different resources",
     "def work(n: u32) -> None:\n    f = alloc()\n    while n > 0:\n        if n == 5:\n            free(f)\n"
     "            break\n        n -= 1\n    free(f)\n",
     "consume different resources", "break", "was moved into free() here", None),
    ("storing a resource in an array element without a move",
     "pool = array(Token, 4)\n\ndef work() -> None:\n    pool[0] = pool[1]\n",
     "storing a Token in 'pool[0]' needs a move from a variable that owns it", "pool[1]", None, None),
    ("storing a resource in a global without a move",
     "pool = array(Token, 4)\nspare = Token(1)\n\ndef work() -> None:\n    global spare\n    spare = pool[1]\n",
     "storing a Token in 'spare' needs a move", "pool[1]\n", None, None),
    ("moving a resource out of a field",
     "def work() -> None:\n    h = holder()\n    take(h.t)\n",
     "'h.t' is a field: a Token stays where it is stored", "h.t)", None, None),
    ("moving a resource out of an array element",
     "pool = array(Token, 4)\n\ndef work() -> None:\n    t = pool[2]\n",
     "'pool[2]' is an array element", "pool[2]", None, None),
    ("a resource escaping through a borrow (returned)",
     "def work(f: MutRef[Frame]) -> Frame:\n    return f\n",
     "'f' is borrowed (MutRef[Frame]): it goes back to its owner when the call ends, so it cannot be returned",
     "f\n", "borrowed for the call here", "f: MutRef"),
    ("a resource escaping through a borrow (moved)",
     "def work(f: Ref[Frame]) -> None:\n    free(f)\n",
     "'f' is borrowed (Ref[Frame])", "f)", "borrowed for the call here", "f: Ref"),
    ("a resource escaping through a borrow (stored)",
     "pool = array(Token, 4)\n\ndef work(t: MutRef[Token]) -> None:\n    pool[0] = t\n",
     "'t' is borrowed (MutRef[Token]): it goes back to its owner when the call ends, so it cannot be stored", "t\n",
     "borrowed for the call here", "t: MutRef"),
    ("destroying a borrowed value",
     "def work(f: MutRef[Frame]) -> None:\n    del f\n",
     "'f' is borrowed: only its owner can destroy it", "f\n", "borrowed for the call here", "f: MutRef"),
    ("a resource a call returns is not kept",
     "def work() -> None:\n    token()\n",
     "the Token that token() returns must be kept", "token()", None, None),
    ("overwriting a live linear value",
     "def work() -> None:\n    f = alloc()\n    f = alloc()\n    free(f)\n",
     "assigning 'f' would lose the linear Frame it holds", "f = alloc()\n    free", "'f' was given its Frame here",
     "f = alloc()\n    f"),
    ("used where it may not have a value",
     "def work(n: u32) -> None:\n    if n > 0:\n        t = token()\n    take(t)\n",
     "'t' is moved here, but on some paths it has not been given a value", "t)", None, None),
    ("used after a move on some paths",
     "def work(n: u32) -> None:\n    t = token()\n    if n > 0:\n        take(t)\n    take(t)\n",
     "'t' is moved here, but on some paths it was moved before", "t)\n", "'t' was moved into take() here", "t)\n    take"),
    ("a move inside a conditional expression",
     "def work(n: u32) -> u32:\n    t = token()\n    return count(t) if n > 0 else 0\n",
     "a resource cannot move inside a conditional expression", "t)", None, None),
    ("a second name for part of a resource",
     "def work() -> None:\n    h = holder()\n    p = h.pos\n",
     "a second name for part of a Holder is not supported", "h.pos", None, None),
    ("a second name for a shared borrow",
     "def work(p: Ref[Point]) -> None:\n    q = p\n    q.x = 3\n",
     "'p' is a shared borrow: a second name for it would be writable", "p\n", "borrowed here", "p: Ref"),
    ("assigning a borrowed parameter",
     "def work(f: MutRef[Frame]) -> None:\n    f = alloc()\n",
     "'f' is borrowed: change its fields, not the name", "f = alloc", "borrowed for the call here", "f: MutRef"),
]

# Errors of the type checker about resources and borrows.
DECLARATIONS = [
    ("@record\nclass Box:\n    t: Token\n", "a record holding a Token must be a @resource itself", "t: Token"),
    ("@resource\nclass Box:\n    f: Frame\n", "a record holding a linear Frame must be @linear itself", "f: Frame"),
    ("def work() -> None:\n    x: Ref[Frame] = alloc()\n", "Ref[...] is for parameters only", "Ref[Frame]"),
    ("def work(n: Ref[u32]) -> None:\n    pass\n", "Ref[...] borrows a record or an array, not a u32", "Ref[u32]"),
    ("def work() -> Point:\n    pass\n", "functions return integers, bool, None or a resource only", "Point"),
    ("def work(n: u32) -> None:\n    del n\n", "'del NAME' destroys a resource", "del n"),
    ("@resource\n@record\nclass Two:\n    n: u32\n", "classes are records only", "class Two"),
]

# What only the declaring module may do (res.py declares, prog.py tries).
OTHER_MODULE = '''from downstairs.compiler.runtime import u64, linear, resource, MutRef


@linear
class Frame:
    base: u64


@resource
class Token:
    n: u64


def alloc() -> Frame:
    f = Frame(8192)
    return f


def free(f: Frame) -> None:
    del f
'''
FOREIGN = [
    ("def work() -> None:\n    f = Frame(1)\n    free(f)\n", "only module 'res' can create a Frame", "Frame(1)"),
    ("def work() -> None:\n    a = array(Token, 2)\n", "only module 'res' can create a Token", "array(Token"),
    ("forged = Token(3)\n", "only module 'res' can create a Token", "Token(3)"),
    ("def work(f: Frame) -> None:\n    del f\n", "only module 'res' can destroy a Frame", "f\n"),
    ("def work(f: MutRef[Frame]) -> None:\n    f.base = 0\n", "only module 'res' can change what is inside a Frame",
     "f.base"),
]

# Programs that keep the rules.
GOOD = [
    "def work() -> None:\n    f = alloc()\n    poke(f)\n    n = peek(f)\n    free(f)\n",
    "def work(n: u32) -> None:\n    f = alloc()\n    if n > 3:\n        free(f)\n    else:\n        g = f\n"
    "        free(g)\n",
    "def work(n: u32) -> None:\n    f = alloc()\n    while n > 0:\n        free(f)\n        f = alloc()\n"
    "        n -= 1\n    free(f)\n",
    "def work(n: u32) -> None:\n    f = alloc()\n    while True:\n        if n == 5:\n            free(f)\n"
    "            break\n        n += 1\n",
    "def work(n: u32) -> Frame:\n    f = alloc()\n    if n > 3:\n        return f\n    poke(f)\n    return f\n",
    "def work(f: MutRef[Frame], g: Ref[Frame]) -> None:\n    both(f, g)\n    poke(f)\n",
    "def work(n: u32) -> None:\n    t = token()\n    if n > 0:\n        take(t)\n",        # affine: may be dropped
    "pool = array(Token, 4)\n\ndef work() -> None:\n    t = token()\n    pool[1] = t\n    u = token()\n"
    "    pool[2] = u\n",
    "spare = Token(1)\n\ndef work() -> None:\n    global spare\n    t = token()\n    spare = t\n",
    "def work() -> None:\n    h = holder()\n    t = token()\n    h.t = t\n    h.pos.x = 3\n",
    "def work() -> None:\n    f = alloc()\n    for i in range(3):\n        poke(f)\n    free(f)\n",
    "points = array(Point, 8)\n\ndef work() -> None:\n    t = token()\n    p = points[t.n]\n    p.x = 1\n",
    "def pass_on(f: Frame) -> Frame:\n    return f\n\ndef work() -> None:\n    f = alloc()\n    f = pass_on(f)\n"
    "    free(f)\n",
]


def compile_source(tmp_path, body, name="prog.py"):
    path = tmp_path / name
    path.write_text(HEADER + body)
    return compile_file(str(path), Options(entry=None))


def caret_text(text, line, source):
    """The source from the caret of `text`'s first located line on."""
    head, src, caret = text.split("\n")[:3]
    return source.splitlines()[line - 1][caret.index("^") - 4:]


@pytest.mark.parametrize("name,body,message,at,note,note_at", CASES, ids=[c[0] for c in CASES])
def test_ownership_error(tmp_path, name, body, message, at, note, note_at):
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    err, source = info.value, HEADER + body
    text = str(err)
    assert message in err.message, text
    assert text.startswith(f"{tmp_path / 'prog.py'}:{err.line}:{err.col + 1}: error: ")
    assert source.splitlines()[err.line - 1] in text.split("\n")[1]
    assert (source.splitlines()[err.line - 1][err.col:] + "\n" + "\n".join(source.splitlines()[err.line:])).startswith(at), text
    if note is not None:
        assert any(note in n[0] for n in err.notes), text
        message_, line, col = next(n for n in err.notes if note in n[0])
        assert f"{tmp_path / 'prog.py'}:{line}:{col + 1}: note: {message_}" in text
        if note_at is not None:
            rest = source.splitlines()[line - 1][col:] + "\n" + "\n".join(source.splitlines()[line:])
            assert rest.startswith(note_at), text


@pytest.mark.parametrize("body,message,at", DECLARATIONS, ids=[d[1][:40] for d in DECLARATIONS])
def test_declaration_error(tmp_path, body, message, at):
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    err, source = info.value, HEADER + body
    assert message in err.message, str(err)
    assert source.splitlines()[err.line - 1][err.col:].startswith(at), str(err)


@pytest.mark.parametrize("body,message,at", FOREIGN, ids=[f[1][:40] for f in FOREIGN])
def test_only_the_declaring_module(tmp_path, body, message, at):
    (tmp_path / "res.py").write_text(OTHER_MODULE)
    source = "from downstairs.compiler.runtime import u64, array, MutRef\nfrom res import Frame, Token, alloc, free\n\n" + body
    (tmp_path / "prog.py").write_text(source)
    with pytest.raises(CompileError) as info:
        compile_file(str(tmp_path / "prog.py"), Options(entry=None))
    err = info.value
    assert message in err.message, str(err)
    assert err.path.endswith("prog.py")
    rest = source.splitlines()[err.line - 1][err.col:] + "\n"
    assert rest.startswith(at), str(err)


@pytest.mark.parametrize("body", GOOD)
def test_programs_that_keep_the_rules_compile(tmp_path, body):
    compile_source(tmp_path, body)


def test_an_error_reads_like_the_compilers(tmp_path):
    """The whole text of one error: location, line, caret, then the note in the same form."""
    body = "def work() -> None:\n    f = alloc()\n    free(f)\n    peek(f)\n"
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    n = len(HEADER.splitlines())
    assert str(info.value) == (
        f"{tmp_path / 'prog.py'}:{n + 4}:10: error: 'f' is used after it was moved\n"
        f"        peek(f)\n"
        f"             ^\n"
        f"{tmp_path / 'prog.py'}:{n + 3}:10: note: 'f' was moved into free() here\n"
        f"        free(f)\n"
        f"             ^")
