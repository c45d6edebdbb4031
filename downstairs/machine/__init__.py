"""The machine: a RISC-V RV64 computer emulated in typed Python.

core/      the hart: state, instruction cycle, CSRs, traps, MMU, PMP (compiled by Cython)
engine.py  loads the compiled core or the plain-Python reference
boards.py  QEMU's `virt` and `spike` boards
loader.py  ELF and raw images into RAM
"""
