# Driven by tests/board/test_gdb.py on QEMU's stub and on ours (-smp 2 -S): what gdb prints
# must be the same. debuggee.c is the program.
set pagination off
set confirm off
set width 0
info threads
p $pc
x/6i $pc
p/x $mhartid
thread 2
p/x $mhartid
thread 1
# main waits for the second hart to park (debuggee.c), so what info threads shows of it below
# does not depend on when the host ran QEMU's thread for it
set var wait_for_harts = 1
break main
continue
hbreak square
continue
bt
p x
# the second hart has parked in wfi: main waited for it
info threads
info registers a0 sp
p $priv
p/x $mstatus
finish
delete
watch counter
continue
continue
delete
# the debug triggers as M-mode sees them (gdb's own are taken out while the machine is stopped)
p/x $tdata1
p $tinfo
set $mscratch = 0x1234
p/x $mscratch
set $fa0 = 1.5
p $fa0
set var counter = 100
p counter
x/2gx results
set {unsigned int}square = 0x00700513
set {unsigned short}((char *)square + 4) = 0x8082
x/2i square
awatch watched
continue
p value
delete
stepi
p $pc
x/i $pc
stepi 3
info registers pc
tbreak check_report
continue
p counter
p watched
continue
