/* The benchmark's loop: argv[1] getppid calls, raw (no libc caching). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
