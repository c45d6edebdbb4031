/* Tries every way out of the sandbox's root that issue 16 lists, and prints what each
 * attempt got: "name: ok" or "name: errno N". Built static for x86-64 by the test.
 * argv[1]: an absolute host path outside the root (a directory holding a file "secret");
 * argv[2]: the path of a host unix socket the test listens on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void report(const char *name, long result)
{
	if (result < 0)
		printf("%s: errno %d\n", name, errno);
	else
		printf("%s: ok\n", name);
}

static long try_open(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return fd;
}

int main(int argc, char **argv)
{
	char path[4096], target[256];
	const char *outside = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);

	snprintf(path, sizeof path, "%s/secret", outside);
	report("absolute", try_open(path));
	snprintf(path, sizeof path, "../../../../../../../../..%s/secret", outside);
	report("dotdot", try_open(path));
	snprintf(path, sizeof path, "/../../..%s/secret", outside);
	report("root-dotdot", try_open(path));
	report("symlink-absolute", try_open("/escape-abs/secret"));
	report("symlink-relative", try_open("/escape-rel/secret"));
	snprintf(path, sizeof path, "/proc/self/root%s/secret", outside);
	report("proc-self-root", try_open(path));
	ssize_t n = readlink("/proc/self/root", target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	printf("proc-self-root-link: %s\n", target);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "../../../..%s/secret", outside);
	report("openat-dotdot", openat(dir, path, O_RDONLY));
	snprintf(path, sizeof path, "%s/secret", outside);
	report("openat-absolute", openat(dir, path, O_RDONLY));
	snprintf(path, sizeof path, "/proc/self/fd/%d/../../..%s/secret", dir, outside);
	report("proc-fd-dotdot", try_open(path));
	snprintf(path, sizeof path, "%s/secret", outside);
	report("hardlink-out", link(path, "/tmp/stolen"));
	report("hardlink-in", link("/bin/busybox", "/tmp/hardlink"));
	int fd = open("/tmp/hardlink", O_WRONLY | O_APPEND);
	report("write-hardlink", write(fd, "changed", 7));
	close(fd);
	report("rename-in", rename("/bin/busybox", "/tmp/moved"));
	snprintf(path, sizeof path, "%s/moved-here", outside);
	report("rename-out", rename("/tmp/moved", path));
	report("create", try_open("/created") < 0 ? -1 : 0);
	fd = open("/created", O_CREAT | O_WRONLY, 0644);
	report("create-file", fd);
	close(fd);
	report("unlink", unlink("/bin/sh"));
	report("chmod", chmod("/etc", 0));
	report("mknod-device", mknod("/tmp/disk", S_IFBLK | 0600, makedev(8, 0)));
	report("socket-unix", socket(AF_UNIX, SOCK_STREAM, 0));
	report("socket-inet", socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strncpy(addr.sun_path, argv[2], sizeof addr.sun_path - 1);
	report("connect", syscall(SYS_connect, 3, &addr, sizeof addr));
	report("ptrace", syscall(SYS_ptrace, 0, 0, 0, 0));
	long r;
	/* i386's open (5) through int $0x80: its numbers mean other calls on x86-64. */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(5), "b"("/etc/passwd"), "c"(0) : "memory");
	printf("int80: %ld\n", r);
	report("list-outside", try_open(outside));
	return 0;
}
