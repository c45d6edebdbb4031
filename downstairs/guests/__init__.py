"""Guest software that runs on the Downstairs machines: the bare-metal RISC-V programs in
`baremetal/` that judge the emulator against QEMU."""
