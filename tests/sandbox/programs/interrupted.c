/* A signal whose handler lacks SA_RESTART, sent again and again while the process makes
 * calls that never wait (dup, close, getcwd): on Linux none of them fails with EINTR,
 * whenever the signal comes. Prints how many calls failed with EINTR and how many signals
 * were handled. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

int main(int argc, char **argv)
{
	int signals = argc > 1 ? atoi(argv[1]) : 2000;
	struct sigaction act = {0};
	act.sa_handler = on_usr1;                     /* sa_flags 0: no SA_RESTART */
	sigaction(SIGUSR1, &act, NULL);
	pid_t parent = getpid(), child = fork();
	if (child == 0) {
		for (int i = 0; i < signals; i++)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	long eintr = 0, calls = 0;
	char cwd[256];
	int status;
	while (waitpid(child, &status, WNOHANG) == 0 || calls < 1000) {
		int fd = dup(1);
		eintr += fd < 0 && errno == EINTR;
		eintr += fd >= 0 && close(fd) < 0 && errno == EINTR;
		eintr += getcwd(cwd, sizeof cwd) == NULL && errno == EINTR;
		calls += 3;
	}
	printf("eintr %ld handled %s\n", eintr, handled > 0 ? "some" : "none");
	return 0;
}
