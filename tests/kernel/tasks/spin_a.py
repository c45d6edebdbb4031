"""A spinner (preempt.toml)."""
from spin import spin


def main() -> None:
    spin(b"a")
