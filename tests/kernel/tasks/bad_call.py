"""Makes system call 42, which does not exist: FAULT_SYSCALL, BAD_NUMBER."""
from downstairs.compiler.runtime import ecall
from console import put


def main() -> None:
    ecall(42, 0, 0, 0)
    put(b"bad_call: survived\n")
