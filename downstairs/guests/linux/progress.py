"""Run a long build command with a progress bar fed by its output lines.

kbuild (without V=1) prints one line per step, "  CC      kernel/fork.o", "  LD      vmlinux":
two spaces, a short upper-case tag, the target. Each such line advances the bar by one.
The total is an estimate: the caller passes the number of steps of the previous build of the
same configuration (or a fixed guess the first time). The bar goes to stderr, so the
command's stdout stays clean for `$(downstairs guest path ...)`. Every line also goes to a log.
"""

import pathlib
import re
import subprocess
import sys

STEP = re.compile(r"^  [A-Z][A-Z0-9_]*\s+\S")


def is_step(line: str) -> bool:
    """Whether a kbuild output line is a build step (CC, LD, AR ... a file), which the bar counts."""
    return bool(STEP.match(line))


def run(cmd: list[str], log: pathlib.Path, title: str, estimate: int, env=None, show: bool = True) -> tuple[int, int]:
    """Run `cmd`, its stdout and stderr into `log`; return (exit status, steps seen)."""
    steps = 0
    with open(log, "a") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace", env=env)
        bar = _Bar(title, estimate) if show else None
        try:
            for line in proc.stdout:
                out.write(line)
                if is_step(line):
                    steps += 1
                    if bar:
                        bar.advance(line.split(None, 1)[1].strip())
            status = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            if bar:
                bar.close(steps)
    return status, steps


class _Bar:
    """A rich progress bar on stderr; without rich, a line at the start and at the end."""

    def __init__(self, title: str, total: int):
        """A progress bar for about `total` steps (rich's when available, else one line on stderr)."""
        self.total = max(total, 1)
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        except ImportError:
            self.progress = None
            print(f"{title}: building (about {total} steps) ...", file=sys.stderr, flush=True)
            return
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.fields[target]}"),
                                 console=Console(stderr=True), transient=False)
        self.progress.start()
        self.task = self.progress.add_task(title, total=self.total, target="")

    def advance(self, target: str) -> None:
        """One more step done, building `target`."""
        if self.progress:
            # the estimate may be short: grow the total rather than sit at 100%
            done = self.progress.tasks[0].completed + 1
            if done >= self.total:
                self.total = done + 1
                self.progress.update(self.task, total=self.total)
            self.progress.update(self.task, advance=1, target=target[-40:])

    def close(self, steps: int) -> None:
        """The build took `steps` steps: fill the bar and stop it."""
        if self.progress:
            self.progress.update(self.task, total=steps, completed=steps, target="")
            self.progress.stop()
        else:
            print(f"done ({steps} steps)", file=sys.stderr, flush=True)
