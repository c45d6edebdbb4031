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
import termios
import tty

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
        self.out = buffered_stdout()
        self.fd = sys.stdin.fileno() if sys.stdin and not sys.stdin.closed else -1
        self.saved = None
        self.escape = False
        self.sink = None                          # where typed bytes go (the UART's receive)
        self.eof = False
        if interactive and self.fd >= 0 and os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            tty.setraw(self.fd)
            # Like QEMU's stdio backend, keep output processing on: the terminal still
            # turns a bare "\n" into "\r\n", so guests that print only "\n" look right.
            attrs = termios.tcgetattr(self.fd)
            attrs[1] |= termios.OPOST | termios.ONLCR
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

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
            if byte == CTRL_A and self.saved is not None:
                self.escape = True
                continue
            keys.append(byte)
        if keys:
            self.sink(bytes(keys))

    def output_closed(self):
        self.out = io.BytesIO()                   # what is still buffered has nowhere to go
        raise OutputClosed()

    def restore(self) -> None:
        try:
            self.out.flush()
        except BrokenPipeError:
            self.out = io.BytesIO()
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None
