"""Benchmarks, in one place: `downstairs bench` measures every layer against its peer in the
same run (the machine against qemu-system-riscv64, the microVM against QEMU's microvm, our
compiler's code against gcc -O2). The top of the stack: it may import every layer below."""
