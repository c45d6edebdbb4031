/* /init of the Downstairs Linux guest: the first (and only) user program.
 *
 * Built freestanding and static against the kernel tree's own C library, tools/include/nolibc
 * (init_program.py passes `-include nolibc.h`), for the kernel's ISA: rv64ima/lp64 for the
 * tiny kernel (no compressed, no floating-point instructions), rv64gc/lp64d for the gc one.
 * Its strings come from init_program.py as -D definitions, so the tests and the benchmark
 * look for exactly what this program prints.
 *
 * What it does, each step a system call whose result it prints (man 2 of each call):
 *   1. the marker line, then uname, getpid/getppid/getuid, clock_gettime, gettimeofday, brk;
 *   2. mount devtmpfs on /dev so the kernel's block devices appear (the initramfs holds
 *      only /dev/console; the kernel does not mount devtmpfs itself when /init comes from an
 *      initramfs);
 *   3. if /dev/vda (the first virtio-blk disk) exists: mount it (ext2) on /mnt, print
 *      DISK_FILE, write GUEST_FILE, sync, unmount;
 *   4. the final line, then reboot(LINUX_REBOOT_CMD_POWER_OFF): the kernel asks the SBI
 *      firmware (SRST extension) to power the machine off, and QEMU exits with status 0.
 * Any failed step prints a line starting with FAIL_PREFIX; it still powers off.
 */
#include <linux/reboot.h>

#ifndef MARKER
#error "build with init_program.py: it defines MARKER, FINAL, NO_DISK, FAIL_PREFIX, DISK_FILE, GUEST_FILE, GUEST_TEXT"
#endif

/* struct new_utsname from <linux/utsname.h>: six NUL-terminated fields of 65 bytes. */
struct utsname_k {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* struct __kernel_timespec: 64-bit seconds and nanoseconds on rv64. */
struct timespec_k {
	long tv_sec;
	long tv_nsec;
};

#define CLOCK_MONOTONIC_K 1
#define MNT_PATH "/mnt"

static int failures;

static void fail(const char *what, long ret)
{
	printf("%s %s returned %ld (errno %d)\n", FAIL_PREFIX, what, ret, errno);
	failures++;
}

static void show_system_calls(void)
{
	struct utsname_k u;
	struct timespec_k ts;
	struct timeval tv;
	long r;

	r = my_syscall1(__NR_uname, &u);
	printf("uname() = %ld: %s %s %s\n", r, u.sysname, u.release, u.machine);
	printf("getpid() = %d, getppid() = %d, getuid() = %ld\n", getpid(), getppid(), my_syscall0(__NR_getuid));
	r = my_syscall2(__NR_clock_gettime, CLOCK_MONOTONIC_K, &ts);
	printf("clock_gettime(CLOCK_MONOTONIC) = %ld: %ld s %ld ms since boot\n", r, ts.tv_sec, ts.tv_nsec / 1000000);
	r = gettimeofday(&tv, 0);
	printf("gettimeofday() = %ld: %ld s since the epoch\n", r, (long)tv.tv_sec);
	r = my_syscall1(__NR_brk, 0);
	printf("brk(0) = 0x%lx\n", r);
}

/* Print a whole small file from the disk, as it is. */
static void print_file(const char *path)
{
	char buf[512];
	long n;
	int fd = open(path, O_RDONLY, 0);

	if (fd < 0) {
		fail("open(" DISK_FILE ")", fd);
		return;
	}
	printf("%s:\n", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, n);
	if (n < 0)
		fail("read", n);
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	long len = strlen(text), n;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		fail("open(" GUEST_FILE ")", fd);
		return;
	}
	n = write(fd, text, len);
	if (n != len)
		fail("write", n);
	else
		printf("wrote %ld bytes to %s\n", n, path);
	close(fd);
}

static void use_disk(void)
{
	struct stat st;
	long r;

	if (stat("/dev/vda", &st) < 0) {
		printf("%s\n", NO_DISK);
		return;
	}
	r = mount("/dev/vda", MNT_PATH, "ext2", 0, 0);
	if (r < 0) {
		fail("mount(/dev/vda, ext2)", r);
		return;
	}
	printf("mounted /dev/vda (ext2) on " MNT_PATH "\n");
	print_file(MNT_PATH DISK_FILE);
	write_file(MNT_PATH GUEST_FILE, GUEST_TEXT);
	/* sync(2) writes the dirty buffers to the disk; nolibc 6.1 has no wrapper for it. */
	r = my_syscall0(__NR_sync);
	printf("sync() = %ld\n", r);
	r = umount2(MNT_PATH, 0);
	if (r < 0)
		fail("umount(" MNT_PATH ")", r);
	else
		printf("unmounted " MNT_PATH "\n");
}

int main(void)
{
	long r;

	printf("%s\n", MARKER);
	show_system_calls();

	r = mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	if (r < 0 && errno != EBUSY)
		fail("mount(devtmpfs, /dev)", r);
	use_disk();

	printf("%s (%d failures)\n", FINAL, failures);
	r = reboot(LINUX_REBOOT_CMD_POWER_OFF);
	fail("reboot(POWER_OFF)", r);
	for (;;)
		sleep(1);
	return 0;
}
