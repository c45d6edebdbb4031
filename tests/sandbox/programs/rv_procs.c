/* fork, pipes, wait, kill, vfork, signal handlers (SA_SIGINFO, masks, SIGCHLD), SIGPIPE. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int handled, child_signal, info_signal;

static void on_usr1(int sig) { handled = sig; }
static void on_chld(int sig) { child_signal = sig; }
static void on_info(int sig, siginfo_t *info, void *context) { info_signal = info->si_signo; }

int main(void)
{
	int fds[2], status;
	char buf[64];
	setvbuf(stdout, NULL, _IONBF, 0);
	pipe(fds);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (int i = 0; i < 3; i++)
			dprintf(fds[1], "line %d\n", i);
		_exit(3);
	}
	close(fds[1]);
	int n, total = 0;
	while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	waitpid(pid, &status, 0);
	printf("child said:\n%schild exited %d\n", buf, WEXITSTATUS(status));

	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	printf("handler saw %d\n", handled);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, 0);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	kill(getpid(), SIGUSR2);
	printf("blocked: %d\n", info_signal);
	sigprocmask(SIG_SETMASK, &old, 0);
	printf("unblocked: %d\n", info_signal);

	signal(SIGCHLD, on_chld);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	printf("killed child: signaled %d by %d; SIGCHLD %d\n", WIFSIGNALED(status), WTERMSIG(status), child_signal);

	pipe(fds);
	close(fds[0]);	/* before the fork: the child's write can never find a reader */
	pid = fork();
	if (pid == 0) {
		write(fds[1], "x", 1);
		_exit(0);
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	printf("writer into a closed pipe: signaled %d by %d\n", WIFSIGNALED(status), WTERMSIG(status));

	pid = vfork();
	if (pid == 0)
		_exit(4);
	waitpid(pid, &status, 0);
	printf("vfork child %d\n", WEXITSTATUS(status));
	printf("wait with no children: %d errno %d\n", wait(&status), errno);
	return 0;
}
