/* Files in the working directory: create, write, seek, stat, rename, links, directories. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char buf[128];
	setvbuf(stdout, NULL, _IONBF, 0);
	mkdir("work", 0750);
	chdir("work");
	getcwd(buf, sizeof buf);
	printf("cwd ends with /work: %d\n", strlen(buf) >= 5 && !strcmp(buf + strlen(buf) - 5, "/work"));
	int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0640);
	write(fd, "hello, file\n", 12);
	lseek(fd, 7, SEEK_SET);
	write(fd, "disk", 4);
	lseek(fd, 0, SEEK_SET);
	int n = read(fd, buf, sizeof buf);
	buf[n] = 0;
	printf("read back %d: %s", n, buf);
	struct stat st;
	fstat(fd, &st);
	printf("size %ld mode %o links %ld\n", (long)st.st_size, st.st_mode & 0777, (long)st.st_nlink);
	close(fd);
	link("a.txt", "b.txt");
	symlink("a.txt", "c.lnk");
	stat("a.txt", &st);
	printf("links after link: %ld\n", (long)st.st_nlink);
	n = readlink("c.lnk", buf, sizeof buf);
	printf("readlink %.*s\n", n, buf);
	/* mknodat's mode is a umode_t: the register's bits above 16 do not count. */
	long made = syscall(SYS_mknodat, AT_FDCWD, "fifo", 0xabcd0000L | S_IFIFO | 0600, 0);
	stat("fifo", &st);
	printf("mknodat with high bits: %ld fifo %d mode %o\n", made, S_ISFIFO(st.st_mode), st.st_mode & 0777);
	unlink("fifo");
	rename("b.txt", "d.txt");
	printf("rename: old %d new %d\n", access("b.txt", F_OK), access("d.txt", F_OK));
	FILE *f = fopen("c.lnk", "a");
	fprintf(f, "appended\n");
	fclose(f);
	f = fopen("d.txt", "r");
	while (fgets(buf, sizeof buf, f))
		printf("d.txt: %s", buf);
	fclose(f);
	DIR *d = opendir(".");
	struct dirent *e;
	int count = 0;
	while ((e = readdir(d)))
		count++;
	closedir(d);
	printf("entries %d\n", count);
	printf("rmdir non-empty: %d errno %d\n", rmdir("../work"), errno);
	unlink("a.txt");
	unlink("d.txt");
	unlink("c.lnk");
	chdir("..");
	printf("rmdir empty: %d\n", rmdir("work"));
	printf("open missing: %d errno %d\n", open("work/nothing", O_RDONLY), errno);
	return 0;
}
