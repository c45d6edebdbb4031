/* Waits longer than the host's select can say (2^62 seconds), each ended by SIGALRM after a
   second: ppoll with no descriptors, select, and nanosleep. The layer serves the first two;
   a deadline that far must not overflow anything. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;                     /* no SA_RESTART: the waits fail with EINTR */
    sigaction(SIGALRM, &sa, 0);
    struct timespec forever = {1L << 62, 0};
    alarm(1);
    int r = ppoll(NULL, 0, &forever, NULL);
    printf("ppoll %d %s\n", r, strerror(errno));
    struct timeval tv = {1L << 62, 0};
    alarm(1);
    r = select(0, NULL, NULL, NULL, &tv);
    printf("select %d %s\n", r, strerror(errno));
    alarm(1);
    r = nanosleep(&forever, NULL);
    printf("nanosleep %d %s\n", r, strerror(errno));
    return 0;
}
