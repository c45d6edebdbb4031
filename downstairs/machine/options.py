"""QEMU's command-line syntax, the one `downstairs run` speaks (QEMU's qemu-options.hx and the
option loop of its system/vl.c).

    downstairs run -M virt -m 128M -nographic -bios none -kernel prog.elf

Every option is a word that starts with one dash or two (`-kernel` and `--kernel` are the
same option), spelled in full, and it either takes the next word as its value or takes none.
A word that is not an option is an error here (QEMU would take it for a disk image).

argparse reads such a line differently: it lets `-s` swallow the rest of `-snapshot` as its
value, takes a prefix of a name for the name (`-nogr` for -nographic), and importing and
building it is about 7 ms of a boot's start-up (argparse pulls in re, gettext, locale and
shutil). So `run` parses with this file, from a table of Option rows (machine/command.py).
Besides QEMU's spelling, `--name=value` is taken for an option with a value, as argparse does.
"""

import sys

from downstairs.errors import UsageError

# What an option does with its value: FLAG is present or not (no value), VALUE keeps the last
# value given (QEMU's rule for repeated options), LIST keeps every value in order (-drive,
# -device), REFUSED is a QEMU option this machine lacks, refused by name with its reason.
FLAG, VALUE, LIST, REFUSED = "flag", "value", "list", "refused"
HELP = ("-h", "-help", "--help")              # QEMU's -h and -help, and the usual --help


class Option:
    def __init__(self, names: tuple[str, ...], dest: str, kind: str, help: str, metavar: str = "",
                 default=None, choices: tuple[str, ...] = ()):
        """One row of a command's table: its spellings (each with its dashes, the first shown
        first in the help), the key its value is stored under, what it does with a value,
        its help line (for REFUSED: why the machine lacks it), the value's placeholder in the
        help, its value when not given, and the values allowed (any when empty)."""
        self.names = names
        self.dest = dest
        self.kind = kind
        self.help = help
        self.metavar = metavar
        self.default = default
        self.choices = choices


def find(table: list[Option], word: str) -> tuple[Option | None, str | None]:
    """The option that `word` names, with the value written into it (`--name=value`) or None;
    (None, None) when the word names no option. One dash or two mean the same."""
    name, equals, value = word.partition("=")
    bare = name[2:] if name.startswith("--") else name[1:]
    for option in table:
        for spelling in option.names:
            if spelling.lstrip("-") == bare:
                if option.kind == REFUSED:
                    return option, None
                if equals and option.kind in (VALUE, LIST):
                    return option, value
                if not equals:
                    return option, None
    return None, None


def parse(table: list[Option], argv: list[str]) -> dict | None:
    """The values of `argv` by each option's dest (defaults filled in, a fresh list for each
    LIST), or None when a word asks for the help (-h, -help, --help where an option may stand,
    not as another option's value). Raises UsageError, in QEMU's words, for a word that is
    not an option, an option this machine lacks, a missing value, or a value not among the
    option's choices, whichever comes first."""
    values = {o.dest: list(o.default or []) if o.kind == LIST else o.default for o in table
              if o.kind != REFUSED}
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word in HELP:
            return None
        option, value = find(table, word) if word.startswith("-") and word != "-" else (None, None)
        if option is None:
            if word.startswith("-"):
                raise UsageError(f"{word}: invalid option")
            raise UsageError(f"{word or repr(word)}: not an option (options start with '-'; a disk is "
                             f"-drive file=...)")
        if option.kind == REFUSED:
            raise UsageError(f"{word.partition('=')[0]}: not on this machine ({option.help})")
        if option.kind == FLAG:
            values[option.dest] = True
            continue
        if value is None:
            if i == len(argv):
                raise UsageError(f"{word}: requires an argument")
            value = argv[i]
            i += 1
        if option.choices and value not in option.choices:
            raise UsageError(f"{word.partition('=')[0]} {value or repr(value)}: invalid choice "
                             f"(choose from {', '.join(option.choices)})")
        if option.kind == LIST:
            values[option.dest].append(value)
        else:
            values[option.dest] = value
    return values


def format_help(table: list[Option], prog: str, description: str) -> str:
    """The help text: a usage line, the description, then each option that is not REFUSED
    with its spellings, placeholder and help, wrapped to the terminal's width."""
    import shutil
    import textwrap                      # (both only for the help: start-up time counts)

    width = max(shutil.get_terminal_size().columns - 2, 40)
    lines = [f"usage: {prog} [options]", "", *textwrap.wrap(description, width, break_on_hyphens=False), "",
             "options (QEMU's syntax: one dash or two, the full name, the value as the next word):"]
    rows = [(", ".join(HELP), "show this help and exit")]
    for option in table:
        if option.kind != REFUSED:
            value = f" {option.metavar}" if option.kind != FLAG else ""
            rows.append((", ".join(option.names) + value, option.help))
    column = min(max(len(left) for left, _ in rows) + 4, 30)
    for left, text in rows:
        wrapped = textwrap.wrap(text, max(width - column, 20), break_on_hyphens=False)
        if len(left) + 4 > column:
            lines.append(f"  {left}")
        else:
            lines.append(f"  {left:<{column - 2}}{wrapped.pop(0) if wrapped else ''}")
        lines.extend(" " * column + more for more in wrapped)
    return "\n".join(lines) + "\n"


def print_help(table: list[Option], prog: str, description: str) -> None:
    """Print the help text to stdout (argparse's and QEMU's place for it)."""
    sys.stdout.write(format_help(table, prog, description))
