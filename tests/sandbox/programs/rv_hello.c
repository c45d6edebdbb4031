/* Arguments, environment, the heap (brk and mmap), floating point, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

int main(int argc, char **argv)
{
	printf("argc %d:", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\nGREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
	char *small = malloc(100), *big = malloc(4 << 20);
	memset(big, 7, 4 << 20);
	strcpy(small, "heap");
	printf("%s %d %d\n", small, big[0], big[(4 << 20) - 1]);
	free(big);
	double x = 2.0;
	for (int i = 0; i < 10; i++)
		x = x * 1.5 - 0.25;
	printf("float %.6f sqrt %.6f\n", x, sqrt(x));
	return argc + 40;
}
