"""Sends to the app, which faults.toml does not let it: FAULT_SEND_DENIED, tval = the app."""
from userlib import Message, send
from console import put
from slots import APP

message = Message()


def main() -> None:
    send(APP, message, 0)
    put(b"denied: survived\n")
