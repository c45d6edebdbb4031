# Driven by tests/board/test_gdb.py on QEMU's stub and on ours: Debian's OpenSBI, then our
# Linux 6.1 (the gc kernel), with the symbols of its vmlinux. What gdb prints must be the same.
set pagination off
set confirm off
set width 0
break start_kernel
continue
bt
p $priv
# QEMU 7.2's hart has Sv57 and Linux takes it; ours stops at Sv48: both are 9 or more
p ($satp >> 60) >= 9
p/x $sstatus
x/3i $pc
x/s &linux_banner
info registers sp tp gp
hbreak setup_arch
continue
bt 1
delete
watch *(long *)&jiffies
continue
delete
stepi
x/i $pc
info threads
kill
