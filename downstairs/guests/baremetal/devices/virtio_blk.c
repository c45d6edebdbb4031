/* virtio_blk.c: a minimal virtio-blk driver, to compare the virt board's disk with QEMU's.
 *
 * Follows VIRTIO 1.2: the MMIO transport version 2 (4.2.2 register layout, 4.2.3.1 device
 * discovery, 3.1.1 driver initialization), one split virtqueue (2.7: descriptor table,
 * available ring, used ring) and the block device's requests (5.2.6: IN, OUT, FLUSH, GET_ID).
 * The interrupt goes through the PLIC (source = slot + 1), which the program polls (claim,
 * acknowledge at the device, complete), and once takes as a trap while waiting in wfi.
 *
 * Run with a disk in a virtio-mmio slot, QEMU's spelling:
 *   -global virtio-mmio.force-legacy=false
 *   -drive file=IMG,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0,serial=SERIAL
 * (QEMU 7.2's transports are legacy version 1 unless force-legacy=false.)  It prints what
 * it sees and does, so the output on QEMU and on this machine can be compared line by line,
 * and the disk images afterwards byte by byte.
 *
 * Built with -DMALFORMED it sends malformed requests instead (buffers outside RAM, a
 * descriptor loop, data in the wrong direction) and checks the device's answer:
 * DEVICE_NEEDS_RESET (2.1.2) for a chain it cannot use, VIRTIO_BLK_S_IOERR for a well-formed
 * chain with a request it cannot carry out, and never a byte changed on the disk.  That
 * variant is for this machine only: QEMU 7.2 maps a buffer outside RAM to its "unassigned"
 * region and completes the request as if nothing were wrong.  With -DSPIN it spins after
 * the requests instead of powering off, for a test that ends the emulator with a signal.
 */
#include "bare.h"

#define VIRTIO_BASE 0x10001000ul
#define VIRTIO_SLOTS 8
#define VIRTIO_SLOT_SIZE 0x1000ul

/* MMIO registers (4.2.2) */
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG 0x100

/* device status (2.1) */
#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64

/* feature bits (5.2.3, 6) */
#define F_SEG_MAX 2
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_VERSION_1 32

/* block requests (5.2.6) */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

/* the PLIC (hart 0's M-mode context is context 0) */
#define PLIC_BASE 0x0c000000ul
#define PLIC_PRIORITY(src) (PLIC_BASE + 4 * (src))
#define PLIC_ENABLE0 (PLIC_BASE + 0x2000)
#define PLIC_THRESHOLD0 (PLIC_BASE + 0x200000)
#define PLIC_CLAIM0 (PLIC_BASE + 0x200004)

#define QSZ 8
#define SECTOR 512

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
struct avail { u16 flags; u16 idx; u16 ring[QSZ]; u16 used_event; };
struct used_elem { u32 id; u32 len; };
struct used { u16 flags; u16 idx; struct used_elem ring[QSZ]; u16 avail_event; };
struct req { u32 type; u32 reserved; u64 sector; };

static volatile struct desc desc[QSZ] __attribute__((aligned(16)));
static volatile struct avail avail __attribute__((aligned(4)));
static volatile struct used used __attribute__((aligned(4)));
static volatile struct req req __attribute__((aligned(16)));
static volatile u8 status_byte;
static u8 buf[2 * SECTOR] __attribute__((aligned(16)));
static u16 last_used;
static u64 dev;                 /* the device's register window */
static int irq;                 /* its PLIC source */

static u32 reg(u64 off) { return mmio32(dev + off); }
static void set_reg(u64 off, u32 v) { mmio32(dev + off) = v; }
static void fence(void) { asm volatile("fence rw, rw" ::: "memory"); }

static void print_hex(const u8 *p, int n)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        putchar(digits[p[i] >> 4]);
        putchar(digits[p[i] & 15]);
    }
    putchar('\n');
}

static void print_text(const u8 *p, int n)
{
    for (int i = 0; i < n && p[i]; i++)
        putchar(p[i] >= 32 && p[i] < 127 ? p[i] : '.');
    putchar('\n');
}

/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue setup, DRIVER_OK */
static int init_device(int verbose)
{
    set_reg(STATUS, 0);
    if (reg(STATUS) != 0)
        return 0;
    set_reg(STATUS, S_ACKNOWLEDGE);
    set_reg(STATUS, S_ACKNOWLEDGE | S_DRIVER);
    set_reg(DEVICE_FEATURES_SEL, 0);
    u64 features = reg(DEVICE_FEATURES);
    set_reg(DEVICE_FEATURES_SEL, 1);
    features |= (u64)reg(DEVICE_FEATURES) << 32;
    if (verbose)
        printf("features: version_1=%d ro=%d flush=%d blk_size=%d seg_max=%d\n",
               (int)(features >> F_VERSION_1) & 1, (int)(features >> F_RO) & 1,
               (int)(features >> F_FLUSH) & 1, (int)(features >> F_BLK_SIZE) & 1,
               (int)(features >> F_SEG_MAX) & 1);
    u64 wanted = (1ul << F_VERSION_1) | (features & (1ul << F_FLUSH));
    set_reg(DRIVER_FEATURES_SEL, 0);
    set_reg(DRIVER_FEATURES, (u32)wanted);
    set_reg(DRIVER_FEATURES_SEL, 1);
    set_reg(DRIVER_FEATURES, (u32)(wanted >> 32));
    set_reg(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
    if (!(reg(STATUS) & S_FEATURES_OK)) {
        puts("FEATURES_OK refused");
        return 0;
    }
    if (verbose) {
        /* no shared memory region 0: its length reads as -1 (4.2.2) */
        printf("shared memory region 0 length: 0x%x%08x\n", reg(0x0b4), reg(0x0b0));
        u64 capacity = reg(CONFIG) | (u64)reg(CONFIG + 4) << 32;
        printf("capacity: %lu sectors, blk_size %u\n", capacity, reg(CONFIG + 0x14));
    }
    set_reg(QUEUE_SEL, 0);
    if (reg(QUEUE_READY) != 0 || reg(QUEUE_NUM_MAX) < QSZ) {
        puts("queue 0 unusable");
        return 0;
    }
    memset((void *)desc, 0, sizeof desc);
    memset((void *)&avail, 0, sizeof avail);
    memset((void *)&used, 0, sizeof used);
    last_used = 0;
    set_reg(QUEUE_NUM, QSZ);
    set_reg(QUEUE_DESC_LOW, (u32)(u64)desc);
    set_reg(QUEUE_DESC_HIGH, (u32)((u64)desc >> 32));
    set_reg(QUEUE_DRIVER_LOW, (u32)(u64)&avail);
    set_reg(QUEUE_DRIVER_HIGH, (u32)((u64)&avail >> 32));
    set_reg(QUEUE_DEVICE_LOW, (u32)(u64)&used);
    set_reg(QUEUE_DEVICE_HIGH, (u32)((u64)&used >> 32));
    set_reg(QUEUE_READY, 1);
    set_reg(STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    if (verbose)
        printf("status after init: 0x%x\n", reg(STATUS));
    return 1;
}

/* One request as a 3-descriptor chain (2 without data): header, data, status byte.
 * Returns the status byte, or -1 if the device did not complete the request. */
static int request(u32 type, u64 sector, u64 data, u32 len, int device_writes)
{
    req.type = type;
    req.reserved = 0;
    req.sector = sector;
    status_byte = 0xff;
    int n = 0;
    desc[n].addr = (u64)&req;
    desc[n].len = sizeof req;
    desc[n].flags = DESC_F_NEXT;
    desc[n].next = n + 1;
    n++;
    if (len) {
        desc[n].addr = data;
        desc[n].len = len;
        desc[n].flags = DESC_F_NEXT | (device_writes ? DESC_F_WRITE : 0);
        desc[n].next = n + 1;
        n++;
    }
    desc[n].addr = (u64)&status_byte;
    desc[n].len = 1;
    desc[n].flags = DESC_F_WRITE;
    desc[n].next = 0;
    avail.ring[avail.idx % QSZ] = 0;
    fence();
    avail.idx = avail.idx + 1;
    fence();
    set_reg(QUEUE_NOTIFY, 0);
    for (long spin = 0; used.idx == last_used; spin++) {
        if (spin > 10000000 || reg(STATUS) & S_NEEDS_RESET)
            return -1;
    }
    fence();
    struct used_elem e = used.ring[last_used % QSZ];
    last_used++;
    /* the interrupt: wait for the device's used-buffer bit (QEMU's I/O thread may set it a
     * moment after the ring), then claim at the PLIC, acknowledge, complete */
    for (long spin = 0; !(reg(INTERRUPT_STATUS) & 1) && spin < 10000000; spin++)
        ;
    u32 claimed = mmio32(PLIC_CLAIM0);
    u32 isr = reg(INTERRUPT_STATUS);
    set_reg(INTERRUPT_ACK, isr);
    mmio32(PLIC_CLAIM0) = claimed;
    /* used.len is printed for successful requests only: for a failed read QEMU reports the
     * whole writable length, this device the one status byte it wrote (2.7.8.1) */
    if (status_byte == 0)
        printf("  used id=%u len=%u interrupt_status=%u plic_claim=%u\n", e.id, e.len, isr, claimed);
    else
        printf("  used id=%u interrupt_status=%u plic_claim=%u\n", e.id, isr, claimed);
    return status_byte;
}

/* The same request, but waiting in wfi for the interrupt: the M-mode external interrupt
 * (mie.MEIE, cause 11) is taken, the handler claims the source at the PLIC, acknowledges at
 * the device and completes. */
static volatile u32 irq_source, irq_isr;

static int on_interrupt(struct frame *f)
{
    if (f->cause != (CAUSE_INTERRUPT | 11))
        return 0;
    u32 source = mmio32(PLIC_CLAIM0);
    irq_isr = reg(INTERRUPT_STATUS);
    set_reg(INTERRUPT_ACK, irq_isr);
    mmio32(PLIC_CLAIM0) = source;
    irq_source = source;
    return 1;
}

static void interrupt_driven_read(u64 sector)
{
    irq_source = 0;
    m_trap_hook = on_interrupt;
    csr_set(mie, 1ul << 11);
    req.type = T_IN;
    req.sector = sector;
    status_byte = 0xff;
    desc[0].addr = (u64)&req;
    desc[0].len = sizeof req;
    desc[0].flags = DESC_F_NEXT;
    desc[0].next = 1;
    desc[1].addr = (u64)buf;
    desc[1].len = SECTOR;
    desc[1].flags = DESC_F_NEXT | DESC_F_WRITE;
    desc[1].next = 2;
    desc[2].addr = (u64)&status_byte;
    desc[2].len = 1;
    desc[2].flags = DESC_F_WRITE;
    avail.ring[avail.idx % QSZ] = 0;
    fence();
    avail.idx = avail.idx + 1;
    fence();
    set_reg(QUEUE_NOTIFY, 0);
    /* wfi with mstatus.MIE clear: it returns once the interrupt is pending (at once if it
     * already is), and setting MIE then takes it. With MIE set while checking irq_source,
     * an interrupt taken between the check and the wfi would leave the wfi waiting forever. */
    for (long spin = 0; !irq_source && spin < 1000000; spin++) {
        asm volatile("wfi");
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    csr_clear(mie, 1ul << 11);
    m_trap_hook = 0;
    int done = used.idx != last_used;
    last_used = used.idx;
    printf("interrupt-driven read of sector %lu: interrupt from source %u, interrupt_status %u, "
           "completed %d, status %d\n", sector, irq_source, irq_isr, done, status_byte);
}

static void exercise(void)
{
    printf("read sector 0: status %d\n", request(T_IN, 0, (u64)buf, SECTOR, 1));
    print_text(buf, 64);
    print_hex(buf, 32);

    for (int i = 0; i < SECTOR; i++)
        buf[i] = (u8)(i * 7 + 3);
    memcpy(buf, "written by virtio_blk.c", 23);
    printf("write sector 1: status %d\n", request(T_OUT, 1, (u64)buf, SECTOR, 0));
    printf("flush: status %d\n", request(T_FLUSH, 0, 0, 0, 0));
    memset(buf, 0, sizeof buf);
    printf("read sector 1: status %d\n", request(T_IN, 1, (u64)buf, SECTOR, 1));
    print_text(buf, 64);
    print_hex(buf + 32, 16);

    /* a NUL-padded string of up to 20 bytes (5.2.6); QEMU stores the string and one NUL */
    memset(buf, 0, 32);
    printf("get id: status %d\n", request(T_GET_ID, 0, (u64)buf, 20, 1));
    print_text(buf, 20);
    print_hex(buf, 20);

    u64 capacity = reg(CONFIG) | (u64)reg(CONFIG + 4) << 32;
    printf("read past the end: status %d\n", request(T_IN, capacity, (u64)buf, SECTOR, 1));
    printf("write of a partial sector: status %d\n", request(T_OUT, 2, (u64)buf, 100, 0));
    printf("unknown request type: status %d\n", request(99, 0, 0, 0, 0));
    memset(buf, 0, sizeof buf);
    printf("read sectors 0-1: status %d\n", request(T_IN, 0, (u64)buf, 2 * SECTOR, 1));
    print_hex(buf + SECTOR, 16);
    interrupt_driven_read(3);
    print_hex(buf, 16);
}

/* After a chain the device could not use: DEVICE_NEEDS_RESET, a configuration-change
 * interrupt, the status byte untouched, nothing in the used ring; then reset and set up. */
static void report_and_reset(const char *what, int result)
{
    u32 st = reg(STATUS);
    printf("%s: %d status 0x%x needs_reset=%d config_interrupt=%d status_byte=0x%x used_idx=%u\n",
           what, result, st, (st & S_NEEDS_RESET) != 0, (reg(INTERRUPT_STATUS) & 2) != 0,
           status_byte, used.idx);
    u32 claimed = mmio32(PLIC_CLAIM0);
    set_reg(INTERRUPT_ACK, reg(INTERRUPT_STATUS));
    if (claimed)
        mmio32(PLIC_CLAIM0) = claimed;
    printf("  plic_claim=%u\n", claimed);
    if (!init_device(0))
        exit(1);
}

static void malformed(void)
{
    /* a data buffer wholly outside RAM, and one straddling RAM's end (-m 128M) */
    report_and_reset("read into 0x90000000", request(T_IN, 0, UNMAPPED_ADDR, SECTOR, 1));
    u64 ram_end = RAM_BASE + (128ul << 20);
    report_and_reset("write from RAM's last 256 bytes and beyond",
                     request(T_OUT, 0, ram_end - 256, SECTOR, 0));
    report_and_reset("write from 0xfffffffffffff000",
                     request(T_OUT, 0, 0xfffffffffffff000ul, SECTOR, 0));

    /* a descriptor chain that loops: the header's next is itself */
    req.type = T_OUT;
    req.sector = 0;
    status_byte = 0xff;
    desc[0].addr = (u64)&req;
    desc[0].len = sizeof req;
    desc[0].flags = DESC_F_NEXT;
    desc[0].next = 0;
    avail.ring[avail.idx % QSZ] = 0;
    fence();
    avail.idx = avail.idx + 1;
    fence();
    set_reg(QUEUE_NOTIFY, 0);
    report_and_reset("descriptor loop", reg(STATUS) & S_NEEDS_RESET ? -1 : 0);

    /* the status byte in a device-readable buffer: no place for the status at all */
    req.type = T_IN;
    desc[0].next = 1;
    desc[1].addr = (u64)buf;
    desc[1].len = SECTOR;
    desc[1].flags = 0;
    desc[1].next = 0;
    avail.ring[avail.idx % QSZ] = 0;
    fence();
    avail.idx = avail.idx + 1;
    fence();
    set_reg(QUEUE_NOTIFY, 0);
    report_and_reset("no device-writable status byte", reg(STATUS) & S_NEEDS_RESET ? -1 : 0);

    /* well-formed chains with impossible requests: an I/O error, the device carries on */
    printf("read into a device-readable buffer: status %d\n", request(T_IN, 0, (u64)buf, SECTOR, 0));
    printf("write from a device-writable buffer: status %d\n", request(T_OUT, 0, (u64)buf, SECTOR, 1));
    printf("write at sector 2^63: status %d\n", request(T_OUT, 1ul << 63, (u64)buf, SECTOR, 0));
    printf("status 0x%x\n", reg(STATUS));
    memset(buf, 0, sizeof buf);
    printf("read sector 0: status %d\n", request(T_IN, 0, (u64)buf, SECTOR, 1));
    print_text(buf, 64);
}

int main(void)
{
    dev = 0;
    for (int slot = 0; slot < VIRTIO_SLOTS; slot++) {
        u64 base = VIRTIO_BASE + slot * VIRTIO_SLOT_SIZE;
        u32 magic = mmio32(base + MAGIC), version = mmio32(base + VERSION), id = mmio32(base + DEVICE_ID);
        printf("slot 0x%lx: magic 0x%x version %u device %u\n", base, magic, version, id);
        if (magic == 0x74726976 && version == 2 && id == 2 && dev == 0) {
            dev = base;
            irq = slot + 1;
        }
    }
    if (dev == 0) {
        puts("no virtio-blk device");
        return 1;
    }
    printf("virtio-blk at 0x%lx, PLIC source %d\n", dev, irq);
    mmio32(PLIC_PRIORITY(irq)) = 1;
    mmio32(PLIC_ENABLE0) = 1u << irq;
    mmio32(PLIC_THRESHOLD0) = 0;
    if (!init_device(1))
        return 1;
#ifdef MALFORMED
    malformed();
#else
    exercise();
#endif
#ifdef SPIN
    /* for the SIGTERM test: the data is written and flushed; now wait to be killed */
    puts("spinning");
    for (;;)
        asm volatile("");
#endif
    puts("done");
    return 0;
}
