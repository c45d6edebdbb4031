"""The host end of the serial line: guest output to stdout, keyboard input to the guest.

With -nographic, QEMU's convention: the terminal goes into raw mode so every key reaches the
guest (Ctrl-C included), and Ctrl-A is the escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one
Ctrl-A. The terminal's settings come back on every way out (see `restore`). When stdin is
not a terminal (a pipe, a test), whatever arrives on it is passed to the guest as typed.
"""

import io
import os
import select
import sys

from downstairs.host import Terminal

CTRL_A = 0x01


class QuitRequested(Exception):
    """The user typed Ctrl-A x."""


class OutputClosed(Exception):
    """Whoever read our output went away (`| head`): like QEMU on SIGPIPE, stop."""


def buffered_stdout():
    """stdout as a buffered byte stream of our own, even under PYTHONUNBUFFERED (which makes
    sys.stdout.buffer write every byte through at once)."""
    try:
        return io.BufferedWriter(io.FileIO(sys.stdout.fileno(), "wb", closefd=False))
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stdout.buffer                  # stdout replaced by something without an fd


class Console:
    def __init__(self, interactive: bool = True):
        """stdout for guest output; stdin raw (when `interactive` and a terminal) for its input."""
        self.out = buffered_stdout()
        self.fd = sys.stdin.fileno() if sys.stdin and not sys.stdin.closed else -1
        self.terminal = Terminal(self.fd if interactive else -1, keys_to_guest=True)
        self.escape = False                       # Ctrl-A was the last key
        self.sink = None                          # where typed bytes go (the UART's receive)
        self.eof = False

    def write(self, data: bytes) -> None:
        """Guest output, line-buffered: a UART sends a byte per access, and a write(2) per
        byte would cost more than the guest's work. `poll` (every few ms) and `restore` flush
        what a line end did not."""
        try:
            self.out.write(data)
            if b"\n" in data:
                self.out.flush()
        except BrokenPipeError:
            self.output_closed()

    def poll(self) -> None:
        """Hand any typed bytes to the guest; raises QuitRequested on Ctrl-A x."""
        try:
            self.out.flush()
        except BrokenPipeError:
            self.output_closed()
        if self.fd < 0 or self.eof or self.sink is None:
            return
        try:
            ready, _, _ = select.select([self.fd], [], [], 0)
        except (OSError, ValueError):
            return
        if not ready:
            return
        data = os.read(self.fd, 256)
        if not data:
            self.eof = True
            return
        keys = bytearray()
        for byte in data:
            if self.escape:
                self.escape = False
                if byte in (ord("x"), ord("X")):
                    raise QuitRequested()
                if byte == CTRL_A:
                    keys.append(CTRL_A)
                continue
            if byte == CTRL_A and self.terminal.raw:
                self.escape = True
                continue
            keys.append(byte)
        if keys:
            self.sink(bytes(keys))

    def output_closed(self):
        """stdout's reader is gone: drop what is buffered and end the run (141)."""
        self.out = io.BytesIO()                   # what is still buffered has nowhere to go
        raise OutputClosed()

    def restore(self) -> None:
        """Flush what the guest printed and give the terminal back (on every way out)."""
        try:
            self.out.flush()
        except BrokenPipeError:
            self.out = io.BytesIO()
        self.terminal.restore()
