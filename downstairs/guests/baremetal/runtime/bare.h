/* bare.h: the freestanding runtime every bare-metal guest program links with.
 *
 * The runtime (start.S, trap.S, lib.c, the board file) gives a program a stack, a C
 * environment, console output, exit with a status, and trap handlers for M- and S-mode
 * that record what happened (cause, tval, epc) so a program can check it.  CSR numbers
 * and bit positions follow the RISC-V privileged specification, version 20211203.
 */
#ifndef BARE_H
#define BARE_H

#include <stdarg.h>
#include <stdint.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint16_t u16;
typedef uint8_t u8;

/* ---- console and exit (board_virt.c / board_spike.c) ---- */
void putchar_raw(int c);
void board_exit(int code) __attribute__((noreturn));

/* ---- lib.c ---- */
int putchar(int c);
void print(const char *s);
int puts(const char *s);                    /* adds a newline */
void printf(const char *fmt, ...);          /* %s %c %d %u %x %p %%, with l/ll modifiers */
void exit(int code) __attribute__((noreturn));
void *memcpy(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

/* Checks: each prints "PASS name" or "FAIL name: got X expected Y". */
void check(const char *name, u64 got, u64 expected);
int check_report(void);                     /* prints the totals; returns the exit status */
extern int checks_failed;

/* ---- CSRs ---- */
#define csr_read(csr) ({ u64 __v; asm volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_set(csr, val) asm volatile("csrs " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) asm volatile("csrc " #csr ", %0" :: "rK"((u64)(val)) : "memory")

#define MSTATUS_SIE  (1ul << 1)
#define MSTATUS_MIE  (1ul << 3)
#define MSTATUS_SPIE (1ul << 5)
#define MSTATUS_MPIE (1ul << 7)
#define MSTATUS_SPP  (1ul << 8)
#define MSTATUS_MPP  (3ul << 11)
#define MSTATUS_MPRV (1ul << 17)
#define MSTATUS_SUM  (1ul << 18)
#define MSTATUS_MXR  (1ul << 19)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* Exception causes (privileged spec table 3.6) */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PAGE 12
#define CAUSE_LOAD_PAGE 13
#define CAUSE_STORE_PAGE 15
#define CAUSE_INTERRUPT (1ul << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7

/* ---- memory map shared by QEMU's virt and spike boards ---- */
#define RAM_BASE 0x80000000ul
#define CLINT_BASE 0x02000000ul
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xBFF8)
#define UART_BASE 0x10000000ul      /* virt only */
#define TEST_BASE 0x00100000ul      /* virt only: sifive_test */
#define UNMAPPED_ADDR 0x90000000ul  /* past 128 MiB of RAM; nothing lives there on either board */

/* The `time` CSR: QEMU's virt board provides it (from the CLINT's mtime); QEMU 7.2's spike
 * board does not, so reading it raises an illegal instruction there. */
#ifdef BOARD_VIRT
#define HAS_TIME_CSR 1
#else
#define HAS_TIME_CSR 0
#endif

#define mmio32(addr) (*(volatile u32 *)(addr))
#define mmio64(addr) (*(volatile u64 *)(addr))

/* ---- traps (trap.S, trap.c) ---- */
struct frame {                      /* what trap.S saves; layout fixed by trap.S */
    u64 x[32];                      /* x[2] is the interrupted sp */
    u64 cause, epc, tval, status;
    i64 vector;                     /* mtvec slot that took the trap, -1 in direct mode */
    u64 pad;
};

struct trap_record {                /* the last trap a handler saw */
    u64 count;                      /* exceptions handled since trap_reset() */
    u64 cause, tval, epc, prev_mode;
    i64 vector;
    u64 irq_count;                  /* interrupts handled since trap_reset() */
    u64 irq_cause;
    i64 irq_vector;
};
extern volatile struct trap_record mtrap, strap;
void trap_reset(void);

/* A hook runs first for every trap at its level; returning 1 means "handled". */
extern int (*m_trap_hook)(struct frame *f);
extern int (*s_trap_hook)(struct frame *f);

void m_trap_entry(void);            /* direct-mode entry points (trap.S) */
void s_trap_entry(void);
void m_vector_table(void);          /* vectored-mode table for mtvec (trap.S) */

/* ecall services: a7 selects, handled by whichever level the ecall traps to */
#define SYS_DONE 0x444f4e45         /* return from run_in_mode / s_run_in_user */
#define SYS_EXIT 93                 /* exit(a0) */

/* Run fn(arg) in a lower privilege mode and return its result (M-mode only; trap.S).
 * The lower mode shares the caller's stack, so it must be mapped 1:1 if paging is on. */
long run_in_mode(int mode, long (*fn)(long), long arg);
/* From S-mode: run fn(arg) in U-mode; U's ecall must be delegated to S (medeleg bit 8). */
long s_run_in_user(long (*fn)(long), long arg);

/* ---- small access helpers that compile to exactly one load/store ---- */
static inline u64 ld64(u64 addr) { u64 v; asm volatile("ld %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory"); return v; }
static inline u64 lw32(u64 addr) { u64 v; asm volatile("lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory"); return v; }
static inline u64 lbu8(u64 addr) { u64 v; asm volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory"); return v; }
static inline void sd64(u64 addr, u64 v) { asm volatile("sd %0, 0(%1)" :: "r"(v), "r"(addr) : "memory"); }
static inline void sw32(u64 addr, u64 v) { asm volatile("sw %0, 0(%1)" :: "r"(v), "r"(addr) : "memory"); }
static inline void sb8(u64 addr, u64 v) { asm volatile("sb %0, 0(%1)" :: "r"(v), "r"(addr) : "memory"); }
static inline void fence_i(void) { asm volatile("fence.i" ::: "memory"); }
static inline void sfence_vma(void) { asm volatile("sfence.vma" ::: "memory"); }

/* ---- Sv39 identity map used by the MMU variants (mmu.c) ---- */
void mmu_identity_setup(void);      /* build tables, set PMP to allow all, write satp */
#define SATP_SV39 (8ul << 60)
#define SATP_SV48 (9ul << 60)
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_PPN(pa) (((u64)(pa) >> 12) << 10)
void pmp_allow_all(void);           /* last PMP entry: NAPOT over everything, RWX */

int main(void);

#endif
