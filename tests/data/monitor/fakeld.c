// SPDX-License-Identifier: Apache-2.0
/*
 * fakeld: a container's own "ELF interpreter" (monitor-runtime-claim.test). Put at
 * the container's /lib64/ld-linux-x86-64.so.2, it is what the kernel runs when a
 * runtime's init, joined to the container's mount namespace, exec's a container
 * script starting `#!/proc/self/exe`: the interpreter is then the runtime's own
 * executable (runc's memfd or detached bind), a dynamic program whose loader is
 * looked up in the container's root. Its code is the container's, its process's
 * executable the runtime's.
 *
 *   fakeld sleep   (as the container's PID 1) sleep 30 s
 *   anything else  prctl(PR_SET_NAME, "runc"), then unshare(CLONE_NEWNS) and
 *                  mount("none", "/tmp", "tmpfs"), printing as the test's python
 *                  workload does ("name runc", "unshare R ERRNO", "mount R ERRNO")
 *
 * Freestanding (raw system calls, no libc, no relocations): built
 * `gcc -static-pie -nostdlib -fPIE -fno-stack-protector`, so it loads as an
 * interpreter at any base, beside a non-PIE main program at its fixed address,
 * and reads nothing of the main program's (its TLS, its program headers).
 */
#define SYS_READ_     0
#define SYS_WRITE_    1
#define SYS_OPEN_     2
#define SYS_CLOSE_    3
#define SYS_NANOSLEEP 35
#define SYS_EXIT_     60
#define SYS_MOUNT_    165
#define SYS_PRCTL_    157
#define SYS_UNSHARE_  272
#define PR_SET_NAME_  15
#define CLONE_NEWNS_  0x20000

static long sc(long n, long a, long b, long c, long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sc(SYS_WRITE_, 1, (long)s, (long)slen(s), 0, 0);
}

/* "WHAT R ERRNO\n" as the python workload prints it (R 0 or -1, ERRNO 0 on success) */
static void result(const char *what, long r)
{
	char b[48], *p = b + sizeof(b);
	long e = r < 0 ? -r : 0;

	*--p = 0;
	*--p = '\n';
	do {
		*--p = (char)('0' + e % 10);
		e /= 10;
	} while (e);
	*--p = ' ';
	if (r < 0) {
		*--p = '1';
		*--p = '-';
	} else {
		*--p = '0';
	}
	*--p = ' ';
	put(what);
	put(p);
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

void fakeld_main(long *sp);

void fakeld_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char name[32];
	long n, fd;

	if (argc > 1 && streq(argv[1], "sleep")) {
		long ts[2] = { 30, 0 };

		sc(SYS_NANOSLEEP, (long)ts, 0, 0, 0, 0);
		sc(SYS_EXIT_, 0, 0, 0, 0, 0);
	}
	sc(SYS_PRCTL_, PR_SET_NAME_, (long)"runc", 0, 0, 0);
	fd = sc(SYS_OPEN_, (long)"/proc/self/comm", 0, 0, 0, 0);
	n = fd >= 0 ? sc(SYS_READ_, fd, (long)name, sizeof(name) - 1, 0, 0) : -1;
	if (fd >= 0)
		sc(SYS_CLOSE_, fd, 0, 0, 0, 0);
	if (n < 0)
		n = 0;
	name[n] = 0;
	put("name ");
	put(n ? name : "?\n");
	result("unshare", sc(SYS_UNSHARE_, CLONE_NEWNS_, 0, 0, 0, 0));
	result("mount", sc(SYS_MOUNT_, (long)"none", (long)"/tmp", (long)"tmpfs", 0, 0));
	sc(SYS_EXIT_, 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call fakeld_main\n"
	"	hlt\n");
