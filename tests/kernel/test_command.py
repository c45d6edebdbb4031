"""`downstairs kernel build|path`: cached by every input, bad input one line with status 2; and the
benchmark's exact counter on our machine."""

import subprocess
import sys

from downstairs.bench import own_kernel as bench

from tests.kernel.conftest import SYSTEMS


def downstairs(*args, env=None):
    return subprocess.run([sys.executable, "-m", "downstairs", *args], capture_output=True, text=True, env=env)


def test_build_then_path_is_cached_and_prints_the_image(tmp_path):
    import os
    env = dict(os.environ, DOWNSTAIRS_CACHE=str(tmp_path / "cache"))
    table = str(SYSTEMS / "echo.toml")
    first = downstairs("kernel", "build", table, env=env)
    assert first.returncode == 0 and first.stdout.splitlines()[0].endswith("kernel.bin")
    assert "task 2 echo" in first.stdout and "(cached)" not in first.stdout
    again = downstairs("kernel", "build", table, env=env)
    assert again.returncode == 0 and again.stdout.splitlines()[0].endswith("kernel.bin (cached)")
    path = downstairs("kernel", "path", table, env=env).stdout.strip()
    elf = downstairs("kernel", "path", table, "--elf", env=env).stdout.strip()
    assert path == first.stdout.splitlines()[0] and elf.endswith("kernel.elf")
    assert open(path, "rb").read(4) != b"\x7fELF" and open(elf, "rb").read(4) == b"\x7fELF"
    assert "slots.py" in os.listdir(os.path.dirname(path))


def test_kernel_without_an_action_shows_its_help():
    out = downstairs("kernel")
    assert out.returncode == 2 and "build" in out.stdout and "path" in out.stdout
    assert downstairs("kernel", "--help").returncode == 0


def test_the_benchmark_counts_every_round_trip_exactly():
    from downstairs.firmware.build import build as build_firmware

    counts, output, parts = bench.round_trips(str(build_firmware().binary))
    assert len(counts) == 2 * (bench.WARM + bench.ROUNDS)            # the ecall of pinger.call() only
    ipc, null = counts[bench.WARM:bench.WARM + bench.ROUNDS], counts[2 * bench.WARM + bench.ROUNDS:]
    assert len(set(ipc)) == 1 and len(set(null)) == 1            # the same path every time, once warm
    mine = bench.PINGER_LINE.search(output)
    assert int(mine.group(1)) > ipc[0] > null[0] > 0              # the pinger's count adds its helper's
    # the traced round trip: two calls, every instruction in one part, the server's in the second
    assert len(parts.counts) == 2 and sum(sum(c.values()) for c in parts.counts) == ipc[0]
    assert parts.counts[0]["server"] == 0 and parts.counts[1]["server"] > 0
    assert all(c[part] > 0 for c in parts.counts for part in ("trap in", "kernel", "trap out"))
