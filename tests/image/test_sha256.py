"""The boot loader's SHA-256 (bootloader/sha256.py) against hashlib: under CPython on random messages
fed in random pieces, and compiled, on QEMU and on our machine (tests/image/programs/sha_check.py)."""

import hashlib
import pathlib
import sys

import pytest
from hypothesis import given, settings, strategies as st

from downstairs.compiler.cpython import checked, load_modules
from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.run import QEMU, run_host, run_machine
from downstairs.compiler.runtime import addr, array, host, u8
from downstairs.image.steps import LOADER

EXAMPLES = str(pathlib.Path(__file__).resolve().parents[2] / "downstairs" / "compiler" / "examples")
PROGRAM = pathlib.Path(__file__).parent / "programs" / "sha_check.py"
SEARCH = [EXAMPLES, str(LOADER)]


def loaded():
    host.reset()
    return load_modules(*checked(str(LOADER / "sha256.py"), []))["sha256"]


SHA = loaded()


def digest(pieces: list[bytes]) -> bytes:
    """SHA-256 of the pieces, fed one by one to the subset's update()."""
    h = SHA.Sha256()
    SHA.start(h)
    for piece in pieces:
        buf = array(u8, max(1, len(piece)))
        for k, byte in enumerate(piece):
            buf[k] = byte
        SHA.update(h, addr(buf), len(piece))
    out = array(u8, 32)
    SHA.finish(h, addr(out))
    return bytes(out)


def test_the_constants_are_the_roots_of_the_primes():
    def root(n: int, k: int) -> int:
        lo, hi = 0, 1 << (n.bit_length() // k + 1)
        while lo < hi - 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if mid ** k <= n else (lo, mid)
        return lo

    primes = [p for p in range(2, 312) if all(p % q for q in range(2, p))]
    assert SHA.ROUND_CONSTANTS == b"".join((root(p << 96, 3) & 0xFFFFFFFF).to_bytes(4, "big") for p in primes[:64])
    assert SHA.INITIAL == b"".join((root(p << 64, 2) & 0xFFFFFFFF).to_bytes(4, "big") for p in primes[:8])


def test_known_answers():
    assert digest([b"abc"]).hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   # FIPS 180-2
    assert digest([]) == hashlib.sha256(b"").digest()
    for n in (55, 56, 63, 64, 65, 119, 120, 128):                     # the padding's edges
        assert digest([b"q" * n]) == hashlib.sha256(b"q" * n).digest(), n


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.binary(max_size=700), st.lists(st.integers(min_value=0, max_value=700), max_size=6))
def test_any_message_in_any_pieces_is_hashlibs_digest(data, cuts):
    cuts = sorted({min(c, len(data)) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    assert digest(pieces) == hashlib.sha256(data).digest()


def expected() -> bytes:
    def pattern(n: int) -> int:
        return (n * 131 + (n >> 8) * 7 + 1) & 0xFF
    data = bytes(pattern(i) for i in range(4096))
    messages = [b"", b"abc"] + [data[:n] for n in range(131)] + [data[:1000], data]
    return b"".join(hashlib.sha256(m).hexdigest().encode() + b"\n" for m in messages) + b"done\n"


def test_the_check_program_under_cpython():
    result = run_host(str(PROGRAM), search_path=SEARCH)
    assert (bytes(result.output), result.status) == (expected(), 0)


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sha") / "sha_check.elf"
    path.write_bytes(write_elf(compile_file(str(PROGRAM), Options(search_path=SEARCH))))
    return str(path)


@pytest.mark.parametrize("machine", ["qemu", "downstairs"])
def test_the_check_program_compiled_on_the_machines(elf, machine):
    command = QEMU if machine == "qemu" else [sys.executable, "-m", "downstairs", "run"] + QEMU[1:]
    result = run_machine(elf, command, timeout=300)
    assert (result.output.replace(b"\r\n", b"\n"), result.status) == (expected(), 0)
