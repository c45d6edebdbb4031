/* fork again and again while a signal keeps coming (the host makes a fork that a signal
 * interrupts again, with -ERESTARTNOINTR). Every fork must give a child whose parent is the
 * caller and whom the caller waits for, and no half-made child may keep a descriptor: at the
 * end the pipe's read end sees end-of-file once the caller closes the write end. Runs in a
 * child of pid 1 (whose parent is someone). Arguments: how many forks, and the pause between
 * two signals in microseconds. Prints "forks N ok" or what went wrong. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig)
{
	(void)sig;
}

static int work(int forks, int pause_us)
{
	int fds[2];
	if (pipe(fds) < 0)
		return 1;
	pid_t me = getpid(), sender = fork();
	if (sender == 0) {
		close(fds[0]);
		close(fds[1]);
		for (;;) {
			if (kill(me, SIGUSR1) < 0)
				_exit(0);
			usleep(pause_us);
		}
	}
	for (int i = 0; i < forks; i++) {
		pid_t child = fork();
		if (child == 0)
			_exit(getppid() == me ? 0 : 1);
		int status;
		pid_t got;
		do
			got = waitpid(child, &status, 0);
		while (got < 0 && errno == EINTR);
		if (child < 0 || got != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("fork %d: child %d, waitpid %d (errno %d), status %#x\n", i, child, got, errno, status);
			return 1;
		}
	}
	kill(sender, SIGKILL);
	waitpid(sender, NULL, 0);
	close(fds[1]);
	char c;
	ssize_t n;
	do
		n = read(fds[0], &c, 1);
	while (n < 0 && errno == EINTR);
	printf("forks %d %s\n", forks, n == 0 ? "ok" : "no end-of-file");
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction act = {0};
	act.sa_handler = on_usr1;
	sigaction(SIGUSR1, &act, NULL);
	int forks = argc > 1 ? atoi(argv[1]) : 200;
	int pause_us = argc > 2 ? atoi(argv[2]) : 200;
	pid_t worker = fork();
	if (worker == 0) {
		int failed = work(forks, pause_us);
		fflush(stdout);
		_exit(failed);
	}
	int status;
	while (waitpid(worker, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
