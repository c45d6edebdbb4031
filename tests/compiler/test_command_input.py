"""`downstairs compile` given input the compiler cannot take: one line (or one located error),
exit status 1 or 2, never a traceback."""

import subprocess
import sys

import pytest

COMPILE = [sys.executable, "-m", "downstairs", "compile"]


def compile_(tmp_path, source: str, *options: str) -> subprocess.CompletedProcess:
    path = tmp_path / "prog.py"
    path.write_text(source)
    return subprocess.run(COMPILE + [str(path), "-o", str(tmp_path / "prog.elf"), *options],
                          capture_output=True, text=True, timeout=300)


SMALL = "def main() -> None:\n    pass\n"


def test_a_50000_term_expression(tmp_path):
    result = compile_(tmp_path, "def main() -> None:\n    x: int = " + " + ".join(["1"] * 50_000) + "\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nests too deeply" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("options,message", [
    (["--base", "0x10000000000000000"], "--base: '0x10000000000000000' is not a 64-bit address"),
    (["--base", "-4"], "--base: '-4' is not a 64-bit address"),
    (["--base", "0x80000002"], "not a multiple of 4"),
    (["--stack-size", "-1"], "--stack-size: '-1' is not a 64-bit address or size"),
    (["--stack-size", "1000"], "not a multiple of 16"),
    (["--stack-size", "lots"], "not a number"),
])
def test_bad_layout_options(tmp_path, options, message):
    result = compile_(tmp_path, SMALL, *options)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.mark.parametrize("options", [["--base", "0xfffffffffffff000"], ["--stack-size", "0xffffffffffff0000"]])
def test_a_layout_past_the_top_of_the_address_space(tmp_path, options):
    result = compile_(tmp_path, SMALL, *options)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "do not fit below the top of the address space" in result.stderr
