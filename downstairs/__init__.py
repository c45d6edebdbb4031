"""Downstairs: the computer stack under everyday code, built from scratch in Python.

Layers, bottom to top (imports only flow downwards):
  isa/         RISC-V encodings shared by everything that reads or writes machine code
  devices/     device models (UART, timers, virtio), shared by the machine and the hypervisor
  machine/     the RISC-V RV64 computer: hart, MMU, traps, the boards that hold it, its demo
  hypervisor/  the microVM: a VMM on Linux KVM (x86-64)
  compiler/    a typed subset of Python compiled to RISC-V machine code
  guests/      software that runs on the machine: bare-metal programs and Linux, built
"""

__version__ = "0.1.0"
