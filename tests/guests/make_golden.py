"""Record the golden output files in tests/guests/golden/ from QEMU (run from the worktree root:
`python3 tests/guests/make_golden.py`).  Review the diff before committing: the golden text is
what every emulator is judged against."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from downstairs.guests.baremetal.build import build, variant_name, variants  # noqa: E402
from downstairs.guests.baremetal.runner import QEMU, run  # noqa: E402

GOLDEN = pathlib.Path(__file__).parent / "golden"


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    for name, board, mmu, defines in variants():
        out, status = run(QEMU, build(name, board, mmu, defines), board, timeout=60)
        tag = variant_name(name, board, mmu, defines)
        (GOLDEN / f"{tag}.txt").write_text(out)
        print(f"{tag}: status {status}, {out.count('FAIL')} FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
