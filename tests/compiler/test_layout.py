"""The driver's layout records: where each source line's code starts (Image.lines, which the
kernel's panic messages use), and .data aligned to a page (--data-align), which lets a kernel
map a program's code and data with different permissions."""

import os
import subprocess
import sys

from downstairs.compiler.driver import Options, compile_file

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "downstairs", "compiler", "examples")
SUM = "arrays.py"


def symbol(image, name):
    return next(address for sym, address, *_ in image.symbols if sym == name)


def test_line_records_start_each_function_at_its_first_line(tmp_path):
    source = tmp_path / "prog.py"
    source.write_text("from downstairs.compiler.runtime import u32\n\n\n"
                      "def triple(n: u32) -> u32:\n    m = n * 3\n    return m + 1\n\n\n"
                      "def main() -> None:\n    triple(4)\n")
    image = compile_file(str(source))
    addresses = [address for address, _, _ in image.lines]
    assert addresses == sorted(addresses)
    first = next(r for r in image.lines if r[1] == str(source) and r[0] >= symbol(image, "triple"))
    assert first[0] == symbol(image, "triple") and first[2] in (4, 5)
    lines_of_triple = {line for address, path, line in image.lines
                       if symbol(image, "triple") <= address < symbol(image, "main")}
    assert {5, 6} <= lines_of_triple
    assert any(path is None for _, path, _ in image.lines)        # the compiler's own code is nobody's line


def test_line_records_do_not_change_the_code():
    path = os.path.join(EXAMPLES, SUM)
    image = compile_file(path)
    assert image.lines and all(image.base <= address <= image.base + len(image.text) for address, _, _ in image.lines)
    listing_lines = [line for line in image.listing.splitlines() if line.startswith("    # ")]
    assert len([r for r in image.lines if r[1] is not None]) == len(listing_lines)


def test_data_align_puts_data_on_its_own_page():
    path = os.path.join(EXAMPLES, SUM)
    plain, paged = compile_file(path), compile_file(path, Options(data_align=4096))
    assert paged.data_addr % 4096 == 0 and paged.data_addr >= plain.data_addr
    functions = [(name, address, size) for name, address, size, kind, _ in plain.symbols if kind == "func"]
    assert functions == [(name, address, size) for name, address, size, kind, _ in paged.symbols if kind == "func"]


def test_data_align_option_must_be_a_power_of_two(tmp_path):
    out = subprocess.run([sys.executable, "-m", "downstairs", "compile", os.path.join(EXAMPLES, SUM),
                          "--data-align", "3000", "-o", str(tmp_path / "x.elf")], capture_output=True, text=True)
    assert out.returncode == 2 and "power of two" in out.stderr and "Traceback" not in out.stderr


def test_each_line_with_a_check_has_its_own_ebreak(tmp_path):
    """A failed check traps at an ebreak whose address the line records map to the check's own
    line (the kernel prints it as file:line), not to one shared ebreak per function."""
    source = tmp_path / "prog.py"
    source.write_text("from downstairs.compiler.runtime import u32, array\n\ntable = array(u32, 4)\n\n\n"
                      "def check(n: u32, d: u32) -> u32:\n"
                      "    assert n > 1\n"                 # line 7
                      "    assert n < 100\n"               # line 8
                      "    x = table[n] + n // d\n"        # line 9: an index and a division
                      "    return x\n\n\n"
                      "def main() -> None:\n    check(2, 1)\n")
    image = compile_file(str(source))
    start, end = symbol(image, "check"), symbol(image, "main")
    ebreaks = [address for address in range(start, end, 2)
               if int.from_bytes(image.text[address - image.base:address - image.base + 2], "little") == 0x9002]
    def line_of(address):
        return [line for at, path, line in image.lines if at <= address][-1]
    assert sorted(line_of(a) for a in ebreaks) == [7, 8, 9]
