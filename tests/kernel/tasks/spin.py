"""What the spinners of preempt.toml share: count forever without a system call (so only the
timer can take the hart from them), saying so now and then."""

from downstairs.compiler.runtime import u64
from console import put, put_dec

REPORT = 100000

count: u64 = 0


def spin(name: bytes) -> None:
    global count
    reports: u64 = 0
    while True:
        count += 1
        if count % REPORT == 0:
            reports += 1
            put(b"spinner ")
            put(name)
            put(b": ")
            put_dec(reports)
            put(b"\n")
