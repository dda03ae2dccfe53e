/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime library: config.json parsing (valid and hostile), IDs, signals, seccomp,
 * the terminal proxy of a foreground run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/runtime.h"
#include "runtime/internal.h"

#define HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"

static struct bh_rt_spec *parse_ok(const char *json)
{
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;

	if (bh_rt_spec_parse(json, strlen(json), &s, &err) < 0) {
		char *m = bh_error_message(err);

		fail_msg("parse failed: %s", m);
	}
	return s;
}

static void parse_bad(const char *json, const char *needle)
{
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;

	assert_int_equal(bh_rt_spec_parse(json, strlen(json), &s, &err), -1);
	assert_null(s);
	assert_non_null(err);
	{
		char *m = bh_error_message(err);

		if (!strstr(m, needle))
			fail_msg("error '%s' does not contain '%s'", m, needle);
		free(m);
	}
	bh_error_free(err);
}

static void test_default_spec_roundtrip(void **state)
{
	json_t *j = bh_rt_default_spec();
	char *text = json_dumps(j, 0);
	struct bh_rt_spec *s = parse_ok(text);

	(void)state;
	assert_true(s->root_readonly);
	assert_true(s->process.no_new_privileges);
	assert_true(bh_rt_spec_has_ns(s, CLONE_NEWPID));
	assert_false(bh_rt_spec_has_ns(s, CLONE_NEWUSER));
	assert_null(s->seccomp);
	assert_int_equal(s->process.caps[BH_CAP_BOUNDING] & (1ULL << 21), 0); /* no SYS_ADMIN */
	bh_rt_spec_free(s);
	free(text);
	json_decref(j);
}

static void test_full_parse(void **state)
{
	struct bh_rt_spec *s = parse_ok(
		HEAD
		"\"hostname\":\"h\",\"process\":{\"args\":[\"/bin/sh\"],\"cwd\":\"/a/../b\","
		"\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[5,6]},"
		"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"chown\",\"CAP_UNKNOWN_NEW\"]},"
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":20,\"soft\":10}],"
		"\"oomScoreAdj\":100},"
		"\"mounts\":[{\"destination\":\"/x/./y\",\"type\":\"tmpfs\",\"source\":\"t\","
		"\"options\":[\"nosuid\",\"ro\",\"mode=755\",\"size=1m\",\"rprivate\"]},"
		"{\"destination\":\"/data\",\"source\":\"/srv\",\"options\":[\"rbind\",\"rro\"]}],"
		"\"annotations\":{\"org.bulkhead.mounts\":\"supervised\","
		"\"org.bulkhead.landlock.ro\":\"/usr:/bin\",\"org.bulkhead.landlock.rw\":\"/tmp\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"mount\"},"
		"{\"type\":\"network\",\"path\":\"/run/netns/x\"}],"
		"\"resources\":{\"memory\":{\"limit\":1048576,\"kernelTCP\":65536},\"pids\":{"
		"\"limit\":10},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"}]},"
		"\"cgroupsPath\":\"/a/b\",\"maskedPaths\":[\"/proc/kcore\"],"
		"\"rootfsPropagation\":\"rslave\"}}");

	(void)state;
	assert_string_equal(s->process.cwd, "/b");
	assert_int_equal(s->process.uid, 1000);
	assert_int_equal(s->process.ngids, 2);
	assert_int_equal(s->process.caps[BH_CAP_BOUNDING], (1ULL << 5) | (1ULL << 0));
	assert_int_equal(s->process.nrlimits, 1);
	assert_int_equal(s->process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s->nmounts, 2);
	assert_string_equal(s->mounts[0].destination, "/x/y");
	assert_string_equal(s->mounts[0].data, "mode=755,size=1m");
	assert_true(s->mounts[0].flags & MS_RDONLY);
	assert_int_equal(s->mounts[0].propagation, MS_PRIVATE);
	assert_true(s->mounts[1].bind && s->mounts[1].rbind && s->mounts[1].rec_attr);
	assert_string_equal(s->mounts[1].type, "bind");
	assert_int_equal(s->mounts_mode, BH_MOUNTS_SUPERVISED);
	assert_int_equal(s->nlandlock_ro, 2);
	assert_int_equal(s->nlandlock_rw, 1);
	assert_string_equal(s->namespaces[2].path, "/run/netns/x");
	assert_int_equal(s->res.mem_limit, 1048576);
	assert_true(s->res.has_mem_kernel_tcp);
	assert_int_equal(s->res.mem_kernel_tcp, 65536);
	assert_int_equal(s->res.ndevices, 2);
	assert_int_equal(s->rootfs_propagation, MS_SLAVE | MS_REC);
	bh_rt_spec_free(s);
}

/* linux.devices[].fileMode: the whole st_mode (podman --privileged) is taken, its permission
 * bits kept, as runc and crun do. */
static void test_device_file_mode(void **state)
{
	struct bh_rt_spec *s;

	(void)state;
	/* 8576 = 020600: S_IFCHR | 0600, what podman passes for the host's /dev/null's sibling */
	s = parse_ok(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{\"devices\":["
			  "{\"path\":\"/dev/a\",\"type\":\"c\",\"major\":1,\"minor\":3,"
			  "\"fileMode\":8576},"
			  "{\"path\":\"/dev/b\",\"type\":\"b\",\"major\":8,\"minor\":0,"
			  "\"fileMode\":25008},"
			  "{\"path\":\"/dev/c\",\"type\":\"c\",\"major\":1,\"minor\":5,"
			  "\"fileMode\":438},"
			  "{\"path\":\"/dev/d\",\"type\":\"c\",\"major\":1,\"minor\":7}]}}");
	assert_int_equal(s->ndevices, 4);
	assert_int_equal(s->devices[0].mode, 0600);
	assert_int_equal(s->devices[1].mode, 0660); /* 25008 = 060660: S_IFBLK | 0660 */
	assert_int_equal(s->devices[2].mode, 0666);
	assert_int_equal(s->devices[3].mode, 0666); /* the default */
	bh_rt_spec_free(s);
}

/* The config's annotations are kept as given (the state carries them unchanged). */
static void test_annotations_kept(void **state)
{
	struct bh_rt_spec *s;

	(void)state;
	s = parse_ok(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{}}");
	assert_null(s->annotations);
	bh_rt_spec_free(s);
	s = parse_ok(HEAD "\"process\":{\"args\":[\"a\"]},\"annotations\":{}}");
	assert_true(json_is_object(s->annotations));
	assert_int_equal(json_object_size(s->annotations), 0);
	bh_rt_spec_free(s);
	s = parse_ok(HEAD "\"process\":{\"args\":[\"a\"]},"
			  "\"annotations\":{\"a\":\"1\",\"org.bulkhead.mounts\":\"deny\"}}");
	assert_int_equal(json_object_size(s->annotations), 2);
	assert_string_equal(json_string_value(json_object_get(s->annotations, "a")), "1");
	bh_rt_spec_free(s);
}

static void test_hostile(void **state)
{
	(void)state;
	parse_bad("{", "invalid JSON");
	parse_bad("[]", "must be a JSON object");
	parse_bad("{\"ociVersion\":\"2.0\",\"root\":{\"path\":\"r\"}}", "not 1.x");
	parse_bad(HEAD "\"process\":{\"args\":[]}}", "process.args");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{\"devices\":[{\"path\":"
		       "\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":65536}]}}",
		  "fileMode: 65536 is out of range");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{\"resources\":{\"memory\":"
		       "{\"kernelTCP\":-2}}}}",
		  "kernelTCP: -2 is out of range");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{\"resources\":{\"memory\":"
		       "{\"kernelTCP\":\"1m\"}}}}",
		  "kernelTCP must be an integer");
	parse_bad(HEAD "\"process\":{\"args\":[\"\"]}}", "process.args");
	parse_bad(
		HEAD
		"\"process\":{\"args\":[\"a\"]},\"linux\":{\"namespaces\":[{\"type\":\"nope\"}]}}",
		"unknown namespace type");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
		  "{\"type\":\"pid\"}]}}",
		  "appears twice");
	parse_bad(
		HEAD
		"\"process\":{\"args\":[\"a\"]},\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
		"needs linux.uidMappings");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
		  "\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":0,\"size\":2}],"
		  "\"gidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}}",
		  "overflows");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"linux\":{\"namespaces\":[{\"type\":\"user\"}],"
		  "\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":10},"
		  "{\"containerID\":5,\"hostID\":100,\"size\":10}],"
		  "\"gidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}}",
		  "overlap");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"mounts\":[{\"destination\":\"/../..\","
		       "\"type\":\"tmpfs\"}]}",
		  "climbs above");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"mounts\":[{\"destination\":\"/\",\"type\":"
		       "\"tmpfs\"}]}",
		  "over /");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"mounts\":[{\"destination\":\"/x\",\"type\":"
		  "\"tmpfs\",\"options\":[\"size=1,nr_inodes=2\"]}]}",
		  "not a valid option");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"mounts\":[{\"destination\":\"/x\",\"type\":"
		  "\"../x\"}]}",
		  "not a file system type");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_NOPE\",\"hard\":1,"
		  "\"soft\":1}]}}",
		  "unknown type");
	parse_bad(
		HEAD
		"\"process\":{\"args\":[\"a\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,"
		"\"soft\":2}]}}",
		"soft exceeds hard");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"}}", "absolute");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"linux\":{\"cgroupsPath\":\"/a/../../b\"}}",
		  "'..'");
	parse_bad(
		HEAD
		"\"process\":{\"args\":[\"a\"]},\"annotations\":{\"org.bulkhead.mounts\":\"yes\"}}",
		"org.bulkhead.mounts");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"annotations\":{\"org.bulkhead.landlock.ro\":"
		  "\"usr\"}}",
		  "absolute path");
	parse_bad(HEAD "\"process\":{\"args\":[\"a\"]},\"hostname\":\"h\"}", "uts namespace");
	parse_bad(HEAD
		  "\"process\":{\"args\":[\"a\"]},\"linux\":{\"sysctl\":{\"a/../../b\":\"1\"}}}",
		  "sysctl");
	parse_bad("{\"ociVersion\":\"1.0.2\",\"ociVersion\":\"1.0.2\"}", "invalid JSON");
	{
		/* too big */
		size_t n = BH_RT_MAX_CONFIG + 10;
		char *big = bh_malloc(n + 1);
		struct bh_rt_spec *s = NULL;
		struct bh_error *err = NULL;

		memset(big, ' ', n);
		big[n] = 0;
		assert_int_equal(bh_rt_spec_parse(big, n, &s, &err), -1);
		assert_int_equal(bh_error_code(err), BH_ERR_LIMIT);
		bh_error_free(err);
		free(big);
	}
}

static void test_ids_signals(void **state)
{
	int sig = 0;

	(void)state;
	assert_int_equal(bh_rt_id_check("abc-1.2_+x", NULL), 0);
	assert_int_equal(bh_rt_id_check("..", NULL), -1);
	assert_int_equal(bh_rt_id_check("a/b", NULL), -1);
	assert_int_equal(bh_rt_id_check("", NULL), -1);
	/* the names of bulkhead's own quarantine and guard directories in the state root */
	assert_int_equal(bh_rt_id_check("quarantine", NULL), -1);
	assert_int_equal(bh_rt_id_check("guard", NULL), -1);
	assert_int_equal(bh_rt_id_check("vtpm-kept", NULL), -1);
	assert_int_equal(bh_rt_id_check("guard2", NULL), 0);
	assert_int_equal(bh_rt_signal_parse("KILL", &sig, NULL), 0);
	assert_int_equal(sig, SIGKILL);
	assert_int_equal(bh_rt_signal_parse("sigterm", &sig, NULL), 0);
	assert_int_equal(sig, SIGTERM);
	assert_int_equal(bh_rt_signal_parse("9", &sig, NULL), 0);
	assert_int_equal(sig, 9);
	assert_int_equal(bh_rt_signal_parse("RTMIN+1", &sig, NULL), 0);
	assert_int_equal(sig, SIGRTMIN + 1);
	assert_int_equal(bh_rt_signal_parse("0", &sig, NULL), -1);
	assert_int_equal(bh_rt_signal_parse("NOPE", &sig, NULL), -1);
}

static void test_seccomp(void **state)
{
	struct bh_rt_seccomp_opts o = { .mounts = BH_MOUNTS_DENY, .allow = NULL };
	struct bh_error *err = NULL;
	void *prog = NULL;
	size_t n = 0;
	bool listener = true;
	json_t *p;

	(void)state;
	/* the default profile compiles */
	assert_int_equal(bh_rt_seccomp_compile(NULL, &o, &prog, &n, &listener, &err), 0);
	assert_true(n > 10);
	assert_false(listener);
	free(prog);
	/* a profile that allows everything, including the deny-list, still compiles (the
	 * runtime's rules win) */
	assert_int_equal(
		bh_json_parse(
			"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			"[\"bpf\",\"mount\",\"kexec_load\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
			strlen("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			       "[\"bpf\",\"mount\",\"kexec_load\"],\"action\":\"SCMP_ACT_ALLOW\"}]"
			       "}"),
			1 << 20, "t", &p, NULL),
		0);
	assert_int_equal(bh_rt_seccomp_compile(p, &o, &prog, &n, &listener, &err), 0);
	free(prog);
	/* supervised mounts need a listener */
	o.mounts = BH_MOUNTS_SUPERVISED;
	assert_int_equal(bh_rt_seccomp_compile(p, &o, &prog, &n, &listener, &err), 0);
	assert_true(listener);
	free(prog);
	json_decref(p);
	/* a default notification (protect's learned list): a listener, and the runtime's EPERM
	 * rules notify too (the supervisor answers EPERM and counts); ENOSYS ones stay */
	o.mounts = BH_MOUNTS_DENY;
	assert_int_equal(bh_json_parse("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"syscalls\":"
				       "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
				       strlen("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"syscalls\":"
					      "[{\"names\":[\"read\"],\"action\":"
					      "\"SCMP_ACT_ALLOW\"}]}"),
				       1 << 20, "t", &p, NULL),
			 0);
	listener = false;
	assert_int_equal(bh_rt_seccomp_compile(p, &o, &prog, &n, &listener, &err), 0);
	assert_true(listener);
	{
		const struct sock_filter *f = prog;
		size_t notify = 0, eperm = 0;

		for (size_t i = 0; i < n; i++) {
			if (f[i].code != (BPF_RET | BPF_K))
				continue;
			notify += f[i].k == SECCOMP_RET_USER_NOTIF;
			eperm += f[i].k == (SECCOMP_RET_ERRNO | EPERM);
		}
		assert_true(notify > 0);
		assert_int_equal(eperm, 0);
	}
	free(prog);
	json_decref(p);
	/* bad actions are errors */
	assert_int_equal(bh_json_parse("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
				       strlen("{\"defaultAction\":\"SCMP_ACT_NOPE\"}"), 1 << 20,
				       "t", &p, NULL),
			 0);
	assert_int_equal(bh_rt_seccomp_compile(p, &o, &prog, &n, &listener, &err), -1);
	assert_error(err, BH_ERR_INVALID, "defaultAction");
	bh_error_free(err);
	json_decref(p);
}

static void test_tmpcopyup_parse(void **state)
{
	struct bh_rt_spec *s;

	(void)state;
	s = parse_ok(HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
			  "\"mounts\":[{\"destination\":\"/etc\",\"type\":\"tmpfs\","
			  "\"source\":\"tmpfs\",\"options\":[\"tmpcopyup\",\"mode=755\",\"ro\"]}],"
			  "\"linux\":{\"namespaces\":[{\"type\":\"mount\",\"path\":\"/x/mnt\"}]}}");
	assert_int_equal(s->nmounts, 1);
	assert_true(s->mounts[0].tmpcopyup);
	assert_string_equal(s->mounts[0].data, "mode=755"); /* not passed to the file system */
	assert_true(s->mounts[0].attr_set & MOUNT_ATTR_RDONLY);
	assert_string_equal(s->namespaces[0].path, "/x/mnt");
	bh_rt_spec_free(s);
}

/* A new pty of rows x cols: returns the master, the slave in *slave. */
static int pty_open(int *slave, int rows, int cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(*slave >= 0);
	assert_int_equal(ioctl(*slave, TIOCSWINSZ, &ws), 0);
	return m;
}

/* A pty pair whose slave a child uses as its terminal: returns the master. */
static int pty_child(const char *script, pid_t *pid, int rows, int cols)
{
	int sl, m = pty_open(&sl, rows, cols);

	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		setsid();
		ioctl(sl, TIOCSCTTY, 0);
		dup2(sl, 0);
		dup2(sl, 1);
		dup2(sl, 2);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(sl);
	return m;
}

/* Everything readable from fd until EOF (a pipe whose writers are closed). */
static char *slurp(int fd)
{
	struct bh_buf b = BH_BUF_INIT(1 << 20);

	assert_int_equal(bh_buf_read_fd(&b, fd, "out", NULL), 0);
	bh_buf_addc(&b, 0, NULL);
	return b.data;
}

static void test_tty_proxy(void **state)
{
	struct bh_error *err = NULL;
	struct rt_tty t;
	int in[2], out[2], ws = 0, m;
	pid_t pid;
	char *got;

	(void)state;
	/* not a terminal on our side: no raw mode; input, then its end as the pty's EOF */
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	m = pty_child("stty size; read a; read b || echo eof; echo got:$a; exit 6", &pid, 12, 34);
	assert_int_equal(write(in[1], "line-one\n", 9), 9);
	close(in[1]);
	assert_int_equal(rt_tty_begin(&t, m, in[0], out[1], &err), 0);
	assert_false(t.raw);
	assert_int_equal(t.winfd, -1);
	assert_int_equal(rt_tty_proxy(&t, pid, &err), 0);
	rt_tty_end(&t);
	assert_int_equal(t.master, -1);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 6);
	close(out[1]);
	got = slurp(out[0]);
	if (!strstr(got, "12 34") || !strstr(got, "got:line-one") || !strstr(got, "eof"))
		fail_msg("proxied output: '%s'", got);
	free(got);
	close(in[0]);
	close(out[0]);
	assert_null(err);
}

static void test_tty_raw_and_restore(void **state)
{
	struct bh_error *err = NULL;
	struct termios before, during, after;
	struct winsize ws = { .ws_row = 40, .ws_col = 100 }, cws;
	struct rt_tty t;
	int om, os, m, out[2];
	pid_t pid;

	(void)state;
	/* our side is a terminal too: raw while proxying, restored after, its size copied */
	om = pty_open(&os, ws.ws_row, ws.ws_col);
	assert_int_equal(tcgetattr(os, &before), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	m = pty_child("exit 0", &pid, 1, 1);
	assert_int_equal(rt_tty_begin(&t, m, os, out[1], &err), 0);
	assert_true(t.raw);
	assert_int_equal(ioctl(m, TIOCGWINSZ, &cws), 0);
	assert_int_equal(cws.ws_row, 40);
	assert_int_equal(cws.ws_col, 100);
	assert_int_equal(tcgetattr(os, &during), 0);
	assert_false(during.c_lflag & (ICANON | ECHO | ISIG));
	assert_int_equal(rt_tty_proxy(&t, pid, &err), 0);
	rt_tty_end(&t);
	assert_int_equal(tcgetattr(os, &after), 0);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(after.c_oflag, before.c_oflag);
	waitpid(pid, NULL, 0);
	close(out[0]);
	close(out[1]);
	close(os);
	close(om);
	assert_null(err);
}

static void test_tty_recv_master(void **state)
{
	struct bh_error *err = NULL;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sv[2], fd = STDERR_FILENO, got;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	assert_true(sendmsg(sv[1], &msg, 0) == 1);
	got = rt_tty_recv_master(sv[0], &err);
	assert_true(got > 2);
	assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
	close(got);
	/* a message without an fd, then the peer gone: errors */
	assert_true(send(sv[1], "y", 1, 0) == 1);
	assert_int_equal(rt_tty_recv_master(sv[0], &err), -1);
	assert_error(err, BH_ERR_IO, "sent no pty");
	bh_error_clear(&err);
	close(sv[1]);
	assert_int_equal(rt_tty_recv_master(sv[0], &err), -1);
	assert_error(err, BH_ERR_IO, "sent no pty");
	bh_error_free(err);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_spec_roundtrip),
		cmocka_unit_test(test_full_parse),
		cmocka_unit_test(test_annotations_kept),
		cmocka_unit_test(test_device_file_mode),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_ids_signals),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_tmpcopyup_parse),
		cmocka_unit_test(test_tty_proxy),
		cmocka_unit_test(test_tty_raw_and_restore),
		cmocka_unit_test(test_tty_recv_master),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
