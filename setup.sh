#!/usr/bin/env bash
# Set up Downstairs on a fresh Debian 12 machine, boot the default guest, then our own system.
#   Debian packages: the RISC-V cross compiler and QEMU (the peers our machine is checked
#   against), a C compiler and Python headers for the compiled engine, and what later layers use.
#   Python: a virtual environment in .venv with Downstairs installed (this builds the
#   Cython engine) and the test tools.
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    python3 python3-venv python3-dev gcc make \
    qemu-system-misc qemu-system-x86 qemu-user qemu-utils gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf \
    device-tree-compiler opensbi u-boot-qemu busybox-static cpio e2fsprogs linux-image-cloud-amd64 gdb-multiarch \
    qemu-system-common lz4 binutils util-linux libc6-dev \
    linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross make flex bison bc libssl-dev libelf-dev xz-utils faketime >/dev/null
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# An editable install of the old kind (a path in a .pth file): the newer kind loads an import
# hook in every Python process, and start-up time counts. Falls back if setuptools lacks it.
.venv/bin/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat 2>/dev/null \
    || .venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/python setup.py -q build_ext --inplace >/dev/null   # the engine beside its sources
.venv/bin/python -m compileall -q downstairs >/dev/null          # bytecode now: every start-up counts
.venv/bin/downstairs guest build all      # Linux 6.1 twice and an ext2 disk: ~4 min once, cached
if [ "${1:-}" != "--no-run" ]; then
    .venv/bin/downstairs guest boot           # OpenSBI + Linux on our machine, with a fresh disk
    .venv/bin/downstairs image run            # our firmware, loader, kernel and tasks, from system.toml
fi
