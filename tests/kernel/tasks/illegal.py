"""Reads sstatus, a supervisor CSR, from U-mode: an illegal instruction."""
from downstairs.compiler.runtime import csr_read
from console import put, put_hex


def main() -> None:
    put_hex(csr_read(0x100))
    put(b"illegal: survived\n")
