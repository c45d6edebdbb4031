/* Calls each system call number given on the command line with all-zero arguments and
 * prints its raw result: a refused call must give -ENOSYS (-38), having never run. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long nr = atol(argv[i]), r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(0), "S"(0), "d"(0) : "rcx", "r11", "memory");
		printf("%ld %ld\n", nr, r);
	}
	return 0;
}
