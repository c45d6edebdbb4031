"""The output side: ELF structure (read back with pyelftools), flat binaries, --emit asm, the CLI."""

import argparse
import os

import pytest
from elftools.elf.elffile import ELFFile

from downstairs.compiler import command
from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import flat_binary, write_elf
from downstairs.errors import UsageError

HERE = os.path.dirname(__file__)
EXAMPLES = os.path.join(HERE, "..", "..", "downstairs", "compiler", "examples")
MACHINE_PY = os.path.join(HERE, "programs", "machine.py")


def run_command(argv):
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["compile", *argv])
    return args.func(args)


def test_elf_header_segments_and_symbols(tmp_path):
    image = compile_file(MACHINE_PY, Options(search_path=[EXAMPLES]))
    path = tmp_path / "m.elf"
    path.write_bytes(write_elf(image))
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert elf.header.e_machine == "EM_RISCV" and elf.elfclass == 64 and elf.little_endian
        assert elf.header.e_type == "ET_EXEC" and elf.header.e_entry == 0x80000000
        assert elf.header.e_flags & 1          # EF_RISCV_RVC
        (seg,) = list(elf.iter_segments())
        assert seg["p_type"] == "PT_LOAD" and seg["p_paddr"] == 0x80000000 and seg["p_memsz"] > seg["p_filesz"]
        assert seg["p_offset"] % 0x1000 == seg["p_vaddr"] % 0x1000
        text = elf.get_section_by_name(".text")
        assert text["sh_addr"] == 0x80000000 and text.data() == image.text
        symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols()}
        assert symbols["_start"]["st_value"] == 0x80000000
        assert symbols["placed"]["st_value"] == 0x80010000          # @at(0x80010000)
        assert symbols["main"]["st_info"]["type"] == "STT_FUNC" and symbols["main"]["st_size"] > 0
        assert symbols["digits"]["st_info"]["type"] == "STT_OBJECT" and symbols["digits"]["st_size"] == 24
        bss = elf.get_section_by_name(".bss")
        assert bss["sh_addr"] <= symbols["digits"]["st_value"] < bss["sh_addr"] + bss["sh_size"]


def test_flat_binary_is_the_memory_image(tmp_path):
    out = tmp_path / "hello.bin"
    assert run_command([os.path.join(EXAMPLES, "hello.py"), "--emit", "bin", "-o", str(out)]) == 0
    image = compile_file(os.path.join(EXAMPLES, "hello.py"))
    assert out.read_bytes() == flat_binary(image)
    assert out.read_bytes().startswith(image.text)


def test_an_elf_is_executable_a_flat_binary_is_not(tmp_path):
    """Like a linker's output, the ELF gets the execute bit wherever it may be read, also when
    it replaces a file that had none; the flat binary is data and keeps the plain mode."""
    hello = os.path.join(EXAMPLES, "hello.py")
    old = os.umask(0o022)
    try:
        elf, blob = tmp_path / "hello.elf", tmp_path / "hello.bin"
        elf.write_bytes(b"old")
        os.chmod(elf, 0o640)
        assert run_command([hello, "-o", str(elf)]) == 0
        assert run_command([hello, "--emit", "bin", "-o", str(blob)]) == 0
    finally:
        os.umask(old)
    assert elf.stat().st_mode & 0o777 == 0o750
    assert blob.stat().st_mode & 0o777 == 0o644


def test_emit_asm_has_source_lines_as_comments(capsys):
    assert run_command([os.path.join(EXAMPLES, "hello.py"), "--emit", "asm"]) == 0
    listing = capsys.readouterr().out
    assert "\nadd:\n" in listing
    assert "hello.py:13: return a + b\n" in listing
    after = listing.split("hello.py:13: return a + b\n")[1].splitlines()[0]
    assert after.split()[0] == "add"
    assert "_start:" in listing and "csrw" in listing


def test_no_entry_code_and_other_base(tmp_path):
    out = tmp_path / "lib.elf"
    assert run_command([os.path.join(EXAMPLES, "mathlib.py"), "--entry", "none", "--base", "0x80200000",
                        "-o", str(out)]) == 0
    with open(out, "rb") as f:
        elf = ELFFile(f)
        names = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    assert "_start" not in names and min(names["gcd"], names["fib"]) == 0x80200000


def test_usage_errors():
    with pytest.raises(UsageError):
        run_command(["notpython.c"])
    with pytest.raises(UsageError):
        run_command([os.path.join(EXAMPLES, "hello.py"), "--base", "nowhere"])


def test_missing_file_is_an_error_message(tmp_path, capsys):
    assert run_command([str(tmp_path / "absent.py")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_help_works(capsys):
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["compile", "--help"])
    assert done.value.code == 0
    assert "--emit" in capsys.readouterr().out


def test_impossible_placement_is_an_error_message(tmp_path, capsys):
    prog = tmp_path / "placed.py"
    prog.write_text("from downstairs.compiler.runtime import u64, at\n\n"
                    "def main() -> None:\n    pass\n\n"
                    "@at(0x80000004)\ndef early(x: u64) -> u64:\n    return x\n")
    assert run_command([str(prog), "-o", str(tmp_path / "p.elf")]) == 1
    assert "past the fixed address 0x80000004" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"\xff\xfe not text", b"x = 1\x00\n"])
def test_corrupt_source_is_an_error_message(tmp_path, capsys, content):
    bad = tmp_path / "bad.py"
    bad.write_bytes(content)
    assert run_command([str(bad)]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
