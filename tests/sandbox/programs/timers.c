/* Waiting with timers and polls, compared with qemu-riscv64 (test_run_user.py) and, built
   for x86-64, with the host kernel (test_confinement.py):
   an interval timer (setitimer/getitimer, ITIMER_REAL) that wakes pause() with SIGALRM,
   alarm() over it, and poll on standard input, which the test gives as a pipe at its end.
   With an argument, the CPU-time timers too: ITIMER_PROF armed and read back, a periodic
   ITIMER_VIRTUAL's SIGVTALRMs while the program spins, and a one-shot ITIMER_PROF. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, vtalrms, profs;

static void on_alarm(int sig) { (void)sig; alarms++; }
static void on_cpu_timer(int sig) { if (sig == SIGVTALRM) vtalrms++; else profs++; }

/* Spin on the CPU until *count reaches `want`, or for `cpu_ms` of CPU time when want < 0
   (giving up after 20 s of wall time either way). */
static void spin(volatile sig_atomic_t *count, int want, long cpu_ms) {
    struct timespec wall0, cpu0, t;
    clock_gettime(CLOCK_MONOTONIC, &wall0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    volatile unsigned long x = 1;
    for (;;) {
        if (want >= 0 && *count >= want)
            return;
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        if (want < 0 && (t.tv_sec - cpu0.tv_sec) * 1000 + (t.tv_nsec - cpu0.tv_nsec) / 1000000 >= cpu_ms)
            return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - wall0.tv_sec > 20)
            return;
    }
}

int main(int argc, char **argv) {
    (void)argv;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);

    struct itimerval every = {{0, 20000}, {0, 30000}}, now, old;
    if (setitimer(ITIMER_REAL, &every, &old) != 0) { perror("setitimer"); return 1; }
    printf("old timer %ld.%06ld every %ld.%06ld\n", (long)old.it_value.tv_sec,
           (long)old.it_value.tv_usec, (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
    while (alarms < 3)
        pause();
    getitimer(ITIMER_REAL, &now);
    printf("alarms %d, interval %ld.%06ld, next within it: %d\n", (int)alarms,
           (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec,
           now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 && now.it_value.tv_usec <= 20000);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, &old);
    printf("disarmed: it was every %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
    getitimer(ITIMER_REAL, &now);
    printf("now %ld.%06ld every %ld.%06ld\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec,
           (long)now.it_interval.tv_sec, (long)now.it_interval.tv_usec);

    /* Bad arguments: a usec out of range, an unknown timer. */
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    int r = setitimer(ITIMER_REAL, &bad, 0);
    printf("usec 1000000: %d %s\n", r, strerror(errno));
    r = setitimer(7, &every, 0);
    printf("timer 7: %d %s\n", r, strerror(errno));
    r = getitimer(7, &now);
    printf("getitimer 7: %d %s\n", r, strerror(errno));
    /* With an argument, the CPU-time timers (the x86-64 platforms hand them to the host; on
       the hart the layer keeps them with the CPU time it counts). */
    if (argc > 1) {
        struct itimerval cpu = {{0, 0}, {100, 0}};
        r = setitimer(ITIMER_PROF, &cpu, 0);
        getitimer(ITIMER_PROF, &now);
        printf("ITIMER_PROF: %d %s, armed %d\n", r, r ? strerror(errno) : "", now.it_value.tv_sec > 90);
        setitimer(ITIMER_PROF, &off, 0);
        getitimer(ITIMER_PROF, &now);
        printf("disarmed: %ld.%06ld\n", (long)now.it_value.tv_sec, (long)now.it_value.tv_usec);
        sa.sa_handler = on_cpu_timer;
        sigaction(SIGVTALRM, &sa, 0);
        sigaction(SIGPROF, &sa, 0);
        struct itimerval virt = {{0, 10000}, {0, 20000}};
        setitimer(ITIMER_VIRTUAL, &virt, 0);
        spin(&vtalrms, 3, 0);
        setitimer(ITIMER_VIRTUAL, &off, &old);
        printf("SIGVTALRM %d, period %ld.%06ld\n", (int)vtalrms, (long)old.it_interval.tv_sec,
               (long)old.it_interval.tv_usec);
        struct itimerval once = {{0, 0}, {0, 10000}};
        setitimer(ITIMER_PROF, &once, 0);
        spin(&profs, 1, 0);
        spin(0, -1, 50);                         /* a one-shot timer fires once */
        getitimer(ITIMER_PROF, &now);
        printf("SIGPROF %d, then disarmed: %d\n", (int)profs, now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
    }

    /* alarm() is setitimer underneath: the seconds left of an earlier one, then SIGALRM. */
    alarms = 0;
    printf("alarm(5) -> %u\n", alarm(5));
    printf("alarm(1) -> %u\n", alarm(1));
    pause();
    printf("alarms %d\n", (int)alarms);

    /* A poll that wants only POLLPRI of a pipe at its end: POLLHUP answers it at once. */
    struct pollfd p = {0, POLLPRI, 0};
    r = poll(&p, 1, 5000);
    printf("poll %d revents %#x\n", r, p.revents);
    /* One that wants nothing of a pipe at its end: POLLHUP is reported anyway. */
    p.events = 0;
    r = poll(&p, 1, 5000);
    printf("poll %d revents %#x\n", r, p.revents);
    return 0;
}
