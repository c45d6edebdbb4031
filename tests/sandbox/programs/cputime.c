/* CPU time, compared with qemu-riscv64 (test_run_user.py) and, built for x86-64, with the
   host kernel (test_confinement.py): the CPU-time clocks (the process's, the thread's, one
   named by pid through clock_getcpuclockid, and the bad ones), getrusage, times, and what a
   child's CPU time becomes once it is waited for (wait4's rusage, RUSAGE_CHILDREN, cutime).
   The figures differ from run to run, so only what must hold is printed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

static long long ns(clockid_t clock) {
    struct timespec t;
    if (clock_gettime(clock, &t) != 0)
        return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long tv_ns(struct timeval tv) { return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL; }

/* Spin until this process has used `amount` ns of CPU more (at most 20 s of wall time). */
static int burn(long long amount) {
    long long start = ns(CLOCK_PROCESS_CPUTIME_ID), wall = ns(CLOCK_MONOTONIC);
    volatile unsigned long x = 1;
    while (ns(CLOCK_PROCESS_CPUTIME_ID) - start < amount) {
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
        if (ns(CLOCK_MONOTONIC) - wall > 20000 * MS)
            return 0;
    }
    return 1;
}

static void show_error(const char *what, int r) {
    printf("%s: %d %s\n", what, r, r == 0 ? "ok" : strerror(errno));
}

int main(void) {
    long long wall0 = ns(CLOCK_MONOTONIC), cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID);
    long long thread0 = ns(CLOCK_THREAD_CPUTIME_ID);
    printf("burned: %d\n", burn(40 * MS));
    long long wall1 = ns(CLOCK_MONOTONIC), cpu1 = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("process clock advanced: %d\n", cpu1 - cpu0 >= 40 * MS);
    printf("thread clock advanced: %d\n", ns(CLOCK_THREAD_CPUTIME_ID) - thread0 >= 30 * MS);
    printf("no more CPU than wall time: %d\n", cpu1 - cpu0 <= wall1 - wall0 + 5 * MS);

    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    long long used = tv_ns(self.ru_utime) + tv_ns(self.ru_stime);
    printf("rusage self: %d\n", used >= 30 * MS && used <= ns(CLOCK_PROCESS_CPUTIME_ID) + 10 * MS);
    struct tms t;
    times(&t);
    printf("clock ticks %ld, times self: %d\n", sysconf(_SC_CLK_TCK), t.tms_utime + t.tms_stime >= 3);
    struct rusage children;                 /* (not 0 natively: the test's shell ran mount) */
    getrusage(RUSAGE_CHILDREN, &children);
    long long children0 = tv_ns(children.ru_utime) + tv_ns(children.ru_stime);
    clock_t ticks0 = t.tms_cutime + t.tms_cstime;
    int r = getrusage(99, &self);
    printf("getrusage 99: %d %s\n", r, strerror(errno));

    /* A child that burns, then exits: its time is the parent's once waited for. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(burn(40 * MS) ? 7 : 1);
    struct rusage ru;
    int status;
    pid_t got = wait4(pid, &status, 0, &ru);
    long long child = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
    printf("wait4: %d, exit %d, its CPU time: %d\n", got == pid, WEXITSTATUS(status), child >= 30 * MS);
    getrusage(RUSAGE_CHILDREN, &children);
    printf("children after wait: %d\n", tv_ns(children.ru_utime) + tv_ns(children.ru_stime) - children0 >= child);
    times(&t);
    printf("times children: %d\n", t.tms_cutime + t.tms_cstime - ticks0 >= 3);

    /* Clocks named by pid: this process, a running child, and ones that cannot be read. */
    clockid_t mine;
    show_error("clock_getcpuclockid self", clock_getcpuclockid(getpid(), &mine));
    printf("its clock: %d\n", ns(mine) >= cpu1);
    int ready[2];
    pipe(ready);
    pid = fork();
    if (pid == 0) {
        burn(40 * MS);
        write(ready[1], "x", 1);
        for (;;)
            burn(1000 * MS);
    }
    char c;
    read(ready[0], &c, 1);
    clockid_t theirs;
    show_error("clock_getcpuclockid child", clock_getcpuclockid(pid, &theirs));
    printf("child's clock: %d\n", ns(theirs) >= 30 * MS);
    clockid_t their_thread = (clockid_t)((~(unsigned)pid) << 3) | 6;
    long long value = ns(their_thread);
    printf("another process's thread clock: %lld %s\n", value, strerror(errno));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    printf("killed: %d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    clockid_t virt = (clockid_t)((~0u) << 3) | 1, bad_which = (clockid_t)((~0u) << 3) | 3;
    /* Linux's user-time clock is its tick-sampled utime, which may run a tick (at most 10 ms)
       ahead of the precise total. */
    long long user = ns(virt), total = ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("own user-time clock: %d\n", user > 0 && user <= total + 10 * MS);
    value = ns(bad_which);
    printf("which 3: %lld %s\n", value, strerror(errno));
    clockid_t nobody = (clockid_t)((~0x0FFFFFFFu) << 3) | 2;     /* pid 2^28 - 1: above any pid_max */
    value = ns(nobody);
    printf("no such process: %lld %s\n", value, strerror(errno));
    return 0;
}
