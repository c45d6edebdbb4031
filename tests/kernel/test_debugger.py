"""A Python debugger steps through a send: pdb stops in the kernel's own ipc.py, shows its source
lines, and prints the kernel's variables, as for any Python program (the kernel under CPython:
downstairs/kernel/hosted.py)."""

import io
import pdb

from downstairs.kernel import abi
from downstairs.kernel.hosted import syscall

from tests.kernel.conftest import SERVER, CLIENT


def test_pdb_steps_through_a_send(k):
    syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)          # the server waits
    path = k["ipc"].send.__code__.co_filename
    source = open(path).read().splitlines()
    first = source.index("    target = caller.frame.regs[A0]") + 1
    copying = source.index("    r = receiver.frame.regs") + 1
    commands = "\n".join([
        f"break {path}:{first}",
        "continue",             # stops on the first line of ipc.send
        "next", "next",         # target = ...; the rights check
        "p target",
        f"break {path}:{copying}",
        "continue",             # on to ipc.deliver, where the message moves frame to frame
        "where",
        "continue",
    ]) + "\n"
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=io.StringIO(commands), stdout=out)
    debugger.use_rawinput = False
    debugger.runcall(syscall, k, CLIENT, abi.SEND, SERVER, 5, 1, 2, 3, 4, 0)
    text = out.getvalue()
    assert "ipc.py" in text
    assert "target = caller.frame.regs[A0]" in text
    assert f"(Pdb) {SERVER}\n" in text                               # p target
    assert "-> r = receiver.frame.regs" in text                       # stepped into deliver()
    assert "syscall.py" in text and "dispatch" in text                # the stack: dispatch -> send -> deliver
    assert k["task"].tasks[SERVER].frame.regs[10] == CLIENT          # and the send went through
