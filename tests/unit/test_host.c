/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host benchmark (src/host): its parsers over ordinary and hostile input,
 * each against a guard page (an over-read crashes): sysctl values,
 * daemon.json, the TOML-ish reader, audit rules, mountinfo's options; and the
 * checks on roots made here: a symlink out of the root is resolved inside it,
 * a FIFO is refused (not waited on), a file over the bound is a WARN, and
 * the report's formats carry every check.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bulkhead/guard.h"
#include "bulkhead/host.h"
#include "banned.h"

/* (s, n) copied to the end of a page followed by a PROT_NONE one. */
static char *guarded(const char *s, size_t n, void **map, size_t *maplen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
	char *m = mmap(NULL, pages * (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + (pages - 1) * (size_t)pg, (size_t)pg, PROT_NONE), 0);
	memcpy(m + (pages - 1) * (size_t)pg - n, s, n);
	*map = m;
	*maplen = pages * (size_t)pg;
	return m + (pages - 1) * (size_t)pg - n;
}

static int sysctl(const char *s, long long *v)
{
	void *m;
	size_t ml, n = strlen(s);
	char *p = guarded(s, n, &m, &ml);
	struct bh_error *err = NULL;
	int r = bh_host_sysctl_int(p, n, v, &err);

	bh_error_free(err);
	munmap(m, ml);
	return r;
}

static void test_sysctl(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(sysctl("1\n", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sysctl("  2 \n", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sysctl("-1", &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(sysctl("9223372036854775807", &v), 0);
	/* hostile or not one integer */
	assert_int_equal(sysctl("", &v), -1);
	assert_int_equal(sysctl("\n", &v), -1);
	assert_int_equal(sysctl("-", &v), -1);
	assert_int_equal(sysctl("1 1", &v), -1);
	assert_int_equal(sysctl("0x1", &v), -1);
	assert_int_equal(sysctl("1\0", &v), 0); /* strlen stops at the NUL */
	assert_int_equal(sysctl("99999999999999999999999", &v), -1);
	assert_int_equal(sysctl("9223372036854775808", &v), -1);
	assert_int_equal(
		sysctl("1                                                                     ",
		       &v),
		-1); /* over 64 bytes */
}

static int docker(const char *s, struct bh_host_docker *d, struct bh_error **err)
{
	void *m;
	size_t ml, n = strlen(s);
	char *p = guarded(s, n, &m, &ml);
	int r = bh_host_docker_parse(p, n, d, err);

	munmap(m, ml);
	return r;
}

static void test_daemon_json(void **state)
{
	struct bh_host_docker d;
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(docker("{}", &d, &err), 0);
	assert_int_equal(d.live_restore, -1);
	assert_int_equal(d.icc, -1);
	assert_false(d.tcp_host);
	bh_host_docker_release(&d);
	assert_int_equal(
		docker("{\"hosts\": [\"unix:///run/docker.sock\", \"tcp://0.0.0.0:2376\"],"
		       " \"tlsverify\": true, \"userns-remap\": \"default\", \"live-restore\": "
		       "true,"
		       " \"insecure-registries\": [\"a:5000\", \"b\"], \"default-ulimits\":"
		       " {\"nofile\": {\"Name\": \"nofile\", \"Hard\": 64000, \"Soft\": 64000}},"
		       " \"log-driver\": \"journald\", \"no-new-privileges\": true, \"icc\": false,"
		       " \"userland-proxy\": false, \"experimental\": false,"
		       " \"seccomp-profile\": \"unconfined\"}",
		       &d, &err),
		0);
	assert_true(d.tcp_host);
	assert_true(d.tlsverify);
	assert_true(d.userns);
	assert_int_equal(d.live_restore, 1);
	assert_int_equal(d.insecure_registries, 2);
	assert_true(d.ulimits);
	assert_string_equal(d.log_driver, "journald");
	assert_int_equal(d.no_new_privileges, 1);
	assert_int_equal(d.icc, 0);
	assert_int_equal(d.userland_proxy, 0);
	assert_int_equal(d.experimental, 0);
	assert_string_equal(d.seccomp_profile, "unconfined");
	bh_host_docker_release(&d);
	/* a bare host:port is remote too */
	assert_int_equal(docker("{\"hosts\": [\"10.0.0.1:2375\"]}", &d, &err), 0);
	assert_true(d.tcp_host);
	bh_host_docker_release(&d);

	/* hostile: wrong types, duplicates, not an object, truncated */
	assert_int_equal(docker("{\"live-restore\": \"yes\"}", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "\"live-restore\" is not a boolean");
	bh_error_clear(&err);
	assert_int_equal(docker("{\"hosts\": \"tcp://x\"}", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "\"hosts\" is not an array");
	bh_error_clear(&err);
	assert_int_equal(docker("{\"hosts\": [1]}", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "\"hosts\"[0] is not a string");
	bh_error_clear(&err);
	assert_int_equal(docker("{\"icc\": true, \"icc\": false}", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "daemon.json");
	bh_error_clear(&err);
	assert_int_equal(docker("[]", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "not a JSON object");
	bh_error_clear(&err);
	assert_int_equal(docker("{\"log-driver\": \"jour", &d, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(docker("", &d, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(docker("{\"log-driver\": {}}", &d, &err), -1);
	assert_error(err, BH_ERR_INVALID, "\"log-driver\" is not a string");
	bh_error_clear(&err);
	assert_null(d.log_driver);
}

static int toml(const char *s, const char *table, const char *key, char **out,
		struct bh_error **err)
{
	void *m;
	size_t ml, n = strlen(s);
	char *p = guarded(s, n, &m, &ml);
	int r = bh_host_toml_get(p, n, table, key, out, err);

	munmap(m, ml);
	return r;
}

static void test_toml(void **state)
{
	static const char conf[] = "version = 2\n"
				   "root = \"/var/lib/containerd\"\n"
				   "[grpc]\n"
				   "  address = \"/run/containerd/containerd.sock\"\n"
				   "  tcp_address = '0.0.0.0:10010' # a comment\n"
				   "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
				   "  enable_unprivileged_ports = true\n"
				   "  sandbox_image = \"a\\\"b\\tc\"\n"
				   "[containers]\n"
				   "\"seccomp_profile\" = \"unconfined\"\n"
				   "default_capabilities = [\n  \"CHOWN\",\n]\n"
				   "userns=\"auto\"";
	struct bh_error *err = NULL;
	char *v = NULL;

	(void)state;
	assert_int_equal(toml(conf, NULL, "version", &v, &err), 1);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(toml(conf, "", "root", &v, &err), 1);
	assert_string_equal(v, "/var/lib/containerd");
	free(v);
	assert_int_equal(toml(conf, "grpc", "tcp_address", &v, &err), 1);
	assert_string_equal(v, "0.0.0.0:10010");
	free(v);
	assert_int_equal(toml(conf, "grpc", "root", &v, &err), 0); /* another table's */
	assert_null(v);
	assert_int_equal(toml(conf, "plugins.\"io.containerd.grpc.v1.cri\"",
			      "enable_unprivileged_ports", &v, &err),
			 1);
	assert_string_equal(v, "true");
	free(v);
	assert_int_equal(
		toml(conf, "plugins.\"io.containerd.grpc.v1.cri\"", "sandbox_image", &v, &err), 1);
	assert_string_equal(v, "a\"b\tc");
	free(v);
	assert_int_equal(toml(conf, "containers", "seccomp_profile", &v, &err), 1);
	assert_string_equal(v, "unconfined");
	free(v);
	assert_int_equal(toml(conf, "containers", "default_capabilities", &v, &err), 0);
	assert_int_equal(toml(conf, "containers", "userns", &v, &err), 1); /* no newline at end */
	assert_string_equal(v, "auto");
	free(v);

	/* hostile */
	assert_int_equal(toml("[grpc\nx = 1\n", "grpc", "x", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "line 1: a table header without ]");
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\nx = \"open\n", "a", "x", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "line 2: x: a string not closed");
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\nx = \"bad \\q escape\"\n", "a", "x", &v, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\nx =   \n", "a", "x", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "x has no value");
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\n\"x = 1\n", "a", "x", &v, &err), -1);
	assert_error(err, BH_ERR_INVALID, "a quoted key not closed");
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\nx = \"\"\"multi\nline\"\"\"\n", "a", "x", &v, &err), 0);
	assert_int_equal(toml("[a]\nx = \"", "a", "x", &v, &err), -1); /* at the guard page */
	bh_error_clear(&err);
	assert_int_equal(toml("[a]\nx = '", "a", "x", &v, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(toml("[", "a", "x", &v, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(toml("x", NULL, "x", &v, &err), 0);
	assert_int_equal(toml("x =", NULL, "x", &v, &err), -1);
	bh_error_clear(&err);
}

static bool audit(const char *s, const char *path)
{
	void *m;
	size_t ml, n = strlen(s);
	char *p = guarded(s, n, &m, &ml);
	bool r = bh_host_audit_watches(p, n, path);

	munmap(m, ml);
	return r;
}

static void test_audit(void **state)
{
	static const char rules[] =
		"## docker\n"
		"-w /usr/bin/dockerd -k docker\n"
		"  -w\t/etc/docker -p wa\n"
		"# -w /usr/bin/runc -k docker\n"
		"-a exit,always -F arch=b64 -S open -F path=/etc/docker/daemon.json\n"
		"-a always,exit -F dir=/var/lib/docker -k docker\n"
		"-w /run/containerd";
	(void)state;
	assert_true(audit(rules, "/usr/bin/dockerd"));
	assert_true(audit(rules, "/etc/docker"));
	assert_true(audit(rules, "/etc/docker/daemon.json"));
	assert_true(audit(rules, "/var/lib/docker"));
	assert_true(audit(rules, "/run/containerd"));	  /* at the end, no newline */
	assert_false(audit(rules, "/usr/bin/runc"));	  /* commented out */
	assert_false(audit(rules, "/usr/bin/docker"));	  /* a prefix of a watched path */
	assert_false(audit(rules, "/etc/docker/daemon")); /* -F path= prefix */
	assert_false(audit(rules, "/run"));
	assert_false(audit(rules, ""));
	assert_false(audit("-w", "/x"));
	assert_false(audit("-a", "/x"));
	assert_false(audit("-wpath=/x", "/x"));
	assert_false(audit("-a x -Fpath=/x", "/x"));
}

static int count_mount(const struct bh_guard_mount *m, void *arg)
{
	char **opts = arg;

	free(*opts);
	*opts = bh_strdup(m->opts);
	return 0;
}

static void test_mountinfo_opts(void **state)
{
	static const char mi[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"23 22 8:2 / /usr ro,nosuid,relatime shared:2 - ext4 /dev/sda2 rw\n"
		"24 22 8:3 / /a\\040b ro\\054x - ext4 /dev/sda3 rw\n";
	struct bh_error *err = NULL;
	char *opts = NULL;
	void *m;
	size_t ml;
	char *p = guarded(mi, sizeof(mi) - 1, &m, &ml);

	(void)state;
	assert_int_equal(bh_guard_parse_mountinfo(p, sizeof(mi) - 1, count_mount, &opts, &err), 0);
	assert_string_equal(opts, "ro,x"); /* the last line's, unescaped */
	free(opts);
	munmap(m, ml);
}

/* ---- checks on prepared roots ---------------------------------------------------------- */

static void put(const char *root, const char *rel, const char *content)
{
	char *path = bh_asprintf("%s/%s", root, rel), *dir = bh_strdup(path);
	int fd;

	*strrchr(dir, '/') = 0;
	assert_int_equal(bh_mkdirs(dir, 0755, 0755, NULL), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(bh_write_all(fd, content, strlen(content), NULL), 0);
	close(fd);
	free(path);
	free(dir);
}

static const struct bh_host_result *find(const struct bh_host_report *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	fail_msg("no result %s", id);
	return NULL;
}

static void test_roots(void **state)
{
	char *d = unit_mktmp(), *outside = unit_mktmp(), *p;
	struct bh_host_opts o = { .root = d };
	struct bh_host_report *r = NULL;
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(16u << 20);

	(void)state;
	put(d, "proc/sys/kernel/kptr_restrict", "2\n");
	put(d, "proc/sys/kernel/dmesg_restrict", "0\n");
	/* a symlink out of the root is resolved inside it: ../../outside/x is /x here */
	put(outside, "x", "1\n");
	p = bh_asprintf("%s/proc/sys/kernel/unprivileged_bpf_disabled", d);
	assert_int_equal(symlink("../../../../../../../../../..", p), 0);
	free(p);
	p = bh_asprintf("%s/proc/sys/fs", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	/* fs.protected_symlinks: an absolute symlink to the outside file */
	p = bh_asprintf("%s/proc/sys/fs/protected_symlinks", d);
	{
		char *target = bh_asprintf("%s/x", outside);

		assert_int_equal(symlink(target, p), 0);
		free(target);
	}
	free(p);
	/* a FIFO is refused, not waited on */
	p = bh_asprintf("%s/proc/sys/fs/protected_hardlinks", d);
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	/* a file over the bound */
	{
		char *big = bh_malloc(BH_HOST_MAX_FILE + 2);

		memset(big, '1', BH_HOST_MAX_FILE + 1);
		big[BH_HOST_MAX_FILE + 1] = 0;
		put(d, "proc/sys/kernel/yama/ptrace_scope", big);
		free(big);
	}
	put(d, "proc/self/mountinfo",
	    "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
	    "2 1 8:2 / /usr ro - ext4 /dev/sda2 rw\n"
	    "3 1 8:3 / /var/lib/docker rw - ext4 /dev/sda3 rw\n");
	p = bh_asprintf("%s/var/lib/containers", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	p = bh_asprintf("%s/var/lib/docker", d);
	assert_int_equal(bh_mkdirs(p, 0755, 0755, NULL), 0);
	free(p);
	put(d, "etc/docker/daemon.json", "{\"icc\": \"no\"}");

	assert_int_equal(bh_host_bench(&o, &r, &err), 0);
	assert_int_equal(find(r, "BH-HOST-001")->status, BH_HOST_PASS);
	assert_string_equal(find(r, "BH-HOST-001")->actual, "2");
	assert_int_equal(find(r, "BH-HOST-002")->status, BH_HOST_FAIL);
	/* the link to ".." many times over is the root itself: a directory, not read */
	assert_int_equal(find(r, "BH-HOST-003")->status, BH_HOST_WARN);
	/* the absolute link names <root>/<outside>/x, absent in the root */
	assert_int_equal(find(r, "BH-HOST-006")->status, BH_HOST_FAIL);
	assert_non_null(strstr(find(r, "BH-HOST-006")->actual, "absent"));
	assert_int_equal(find(r, "BH-HOST-007")->status, BH_HOST_WARN);
	assert_non_null(strstr(find(r, "BH-HOST-007")->actual, "not a regular file"));
	assert_int_equal(find(r, "BH-HOST-005")->status, BH_HOST_WARN);
	assert_non_null(strstr(find(r, "BH-HOST-005")->actual, "limit"));
	assert_int_equal(find(r, "BH-HOST-011")->status, BH_HOST_PASS);
	assert_int_equal(find(r, "BH-HOST-012")->status, BH_HOST_FAIL);
	assert_string_equal(find(r, "BH-HOST-012")->actual,
			    "/var/lib/docker on /var/lib/docker; /var/lib/containers on /");
	assert_int_equal(find(r, "BH-ENGINE-008")->status, BH_HOST_WARN);
	assert_non_null(strstr(find(r, "BH-ENGINE-008")->actual, "\"icc\" is not a boolean"));
	assert_true(bh_host_report_failed(r));

	/* every format carries every check */
	for (int f = BH_HOST_FMT_TABLE; f <= BH_HOST_FMT_SARIF; f++) {
		bh_buf_reset(&b);
		assert_int_equal(bh_host_report_write(r, (enum bh_host_format)f, &b, &err), 0);
		assert_non_null(strstr(b.data, "BH-HOST-003"));
	}
	bh_host_report_free(r);

	/* level 1 leaves level 2 out */
	o.level = 1;
	assert_int_equal(bh_host_bench(&o, &r, &err), 0);
	for (size_t i = 0; i < r->n; i++)
		assert_int_equal(r->v[i].level, 1);
	bh_host_report_free(r);

	o.level = 3;
	assert_int_equal(bh_host_bench(&o, &r, &err), -1);
	assert_error(err, BH_ERR_USAGE, "level 3");
	bh_error_clear(&err);
	o.level = 0;
	o.root = "/nonexistent/bh-root";
	assert_int_equal(bh_host_bench(&o, &r, &err), -1);
	assert_error(err, BH_ERR_IO, "bench root /nonexistent/bh-root");
	bh_error_clear(&err);
	assert_int_equal(bh_host_format_parse("sarif"), BH_HOST_FMT_SARIF);
	assert_int_equal(bh_host_format_parse("xml"), -1);
	bh_buf_release(&b);
	unit_rmtmp(d);
	unit_rmtmp(outside);
}

/* The container checks on configs of the wrong shape: nothing crashes, each check answers. */
static void test_container_config(void **state)
{
	static const char *const cfgs[] = {
		"{}",
		"{\"process\": \"x\", \"linux\": [], \"mounts\": {}, \"root\": 7}",
		"{\"process\": {\"user\": {\"uid\": \"0\"}, \"capabilities\": {\"effective\": [1, "
		"null]}},"
		" \"linux\": {\"namespaces\": [1, {\"type\": 2}], \"resources\": {\"memory\": "
		"{\"limit\":"
		" \"1g\"}, \"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1}]},"
		" \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000}]},"
		" \"mounts\": [{\"source\": null, \"type\": \"bind\"}, {\"source\": \"/etc/hosts\","
		" \"type\": \"bind\"}, {\"source\": \"/etcetera\", \"options\": [\"rbind\"]}]}",
	};
	struct bh_host_report r = { 0 };
	json_t *j;

	(void)state;
	/* NULL: every check answers FAIL or PASS on nothing */
	bh_host_check_config(NULL, "null", 2, &r);
	assert_int_equal(r.n, 14);
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		j = json_loads(cfgs[i], 0, NULL);
		assert_non_null(j);
		bh_host_check_config(j, "c\001x", 1, &r);
		json_decref(j);
	}
	assert_int_equal(r.n, 14 + 3 * 13);
	/* the last: uid "0" is not uid 0; a typed device rule is not every device; the
	 * mounts are fine (/etc/hosts, /etcetera), no limits */
	assert_string_equal(find(&r, "BH-CTR-002")->actual,
			    "0 capabilities, none beyond the default set");
	for (size_t i = 14 + 2 * 13; i < r.n; i++) {
		const struct bh_host_result *x = &r.v[i];

		assert_string_equal(x->target, "c?x");
		if (!strcmp(x->id, "BH-CTR-001") || !strcmp(x->id, "BH-CTR-007"))
			assert_int_equal(x->status, BH_HOST_PASS);
		if (!strcmp(x->id, "BH-CTR-009") || !strcmp(x->id, "BH-CTR-003"))
			assert_int_equal(x->status, BH_HOST_FAIL);
		if (!strcmp(x->id, "BH-CTR-014"))
			assert_string_equal(x->actual, "uid 0");
	}
	for (size_t i = 0; i < r.n; i++) {
		free(r.v[i].actual);
		free(r.v[i].target);
	}
	free(r.v);
}

/* an engine's inspect data: ports (published, else asked), restart policy, privileged */
static void test_inspect(void **state)
{
	static const char docker[] =
		"{\"HostConfig\": {\"Privileged\": true, \"RestartPolicy\": {\"Name\": "
		"\"on-failure\", \"MaximumRetryCount\": 5}, \"PortBindings\": {\"1/tcp\": "
		"[{\"HostPort\": \"1\"}]}}, \"NetworkSettings\": {\"Ports\": {\"443/tcp\": "
		"[{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"8443\"}, {\"HostIp\": \"\", "
		"\"HostPort\": \"443\"}], \"53/udp\": null, \"9/tcp\": [{\"HostPort\": \"\"}]}}}";
	static const char asked[] =
		"{\"HostConfig\": {\"RestartPolicy\": {\"Name\": \"\"}, \"PortBindings\": "
		"{\"80/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080-8081\"}]}}, "
		"\"NetworkSettings\": {\"Ports\": {}}}";
	static const struct {
		const char *json, *needle;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{}", "HostConfig is missing" },
		{ "{\"HostConfig\": {\"Privileged\": 1}}", "Privileged is not a boolean" },
		{ "{\"HostConfig\": {\"RestartPolicy\": {\"MaximumRetryCount\": \"5\"}}}",
		  "RestartPolicy" },
		{ "{\"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostPort\": 80}]}}}",
		  "HostConfig.PortBindings[\"80/tcp\"][0]" },
		{ "{\"HostConfig\": {}, \"NetworkSettings\": {\"Ports\": {\"1/tcp\": 1}}}",
		  "is not an array" },
	};
	struct bh_host_inspect in;
	struct bh_host_report r = { 0 };
	struct bh_error *err = NULL;

	(void)state;
	assert_int_equal(bh_host_inspect_parse(docker, strlen(docker), &in, &err), 0);
	assert_true(in.privileged);
	assert_string_equal(in.restart, "on-failure");
	assert_int_equal(in.max_retry, 5);
	/* what is published wins over what was asked; a random port is none */
	assert_int_equal(in.nports, 2);
	assert_int_equal(in.low_port, 443);
	assert_string_equal(in.ports[0], "127.0.0.1:8443->443/tcp");
	assert_string_equal(in.ports[1], "0.0.0.0:443->443/tcp");
	bh_host_check_container(NULL, &in, NULL, "t", 2, &r);
	assert_int_equal(r.n, 17);
	assert_int_equal(find(&r, "BH-CTR-015")->status, BH_HOST_FAIL);
	assert_int_equal(find(&r, "BH-CTR-016")->status, BH_HOST_FAIL);
	assert_string_equal(find(&r, "BH-CTR-016")->actual, "0.0.0.0:443->443/tcp (below 1024)");
	assert_int_equal(find(&r, "BH-CTR-017")->status, BH_HOST_PASS);
	bh_host_inspect_release(&in);

	assert_int_equal(bh_host_inspect_parse(asked, strlen(asked), &in, &err), 0);
	assert_false(in.privileged);
	assert_string_equal(in.restart, "no");
	assert_int_equal(in.low_port, 8080);
	bh_host_check_container(NULL, &in, NULL, "u", 1, &r);
	assert_int_equal(r.n, 17 + 16);
	assert_string_equal(r.v[r.n - 2].actual, "0.0.0.0:8080->80/tcp (none below 1024)");
	assert_int_equal(r.v[r.n - 1].status, BH_HOST_PASS);
	bh_host_inspect_release(&in);
	/* no engine data: INFO rows naming why; no engine at all: no rows */
	bh_host_check_container(NULL, NULL, "dockerd is not running", "v", 2, &r);
	assert_int_equal(r.n, 33 + 17);
	assert_int_equal(r.v[r.n - 1].status, BH_HOST_INFO);
	assert_string_equal(r.v[r.n - 1].actual, "unknown: dockerd is not running");
	bh_host_check_container(NULL, NULL, NULL, "w", 2, &r);
	assert_int_equal(r.n, 50 + 14);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bh_host_inspect_parse(bad[i].json, strlen(bad[i].json), &in, &err),
				 -1);
		assert_error(err, BH_ERR_INVALID, bad[i].needle);
		assert_null(in.restart);
		bh_error_free(err);
		err = NULL;
	}
	for (size_t i = 0; i < r.n; i++) {
		free(r.v[i].actual);
		free(r.v[i].target);
	}
	free(r.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_daemon_json),
		cmocka_unit_test(test_toml),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_mountinfo_opts),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_container_config),
		cmocka_unit_test(test_inspect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
