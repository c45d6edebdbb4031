"""Errors that reach the user as one line, never a traceback.

Any layer raises `UsageError` for bad input it was given (a missing file, an ELF for another
architecture, an unknown option value); the `downstairs` command prints its message and
exits with status 2.
"""


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""
