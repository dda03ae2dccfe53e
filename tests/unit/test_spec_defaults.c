/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two variants of the default config.json (bh_rt_spec_defaults): the
 * hardened one of `bulkhead spec`, the runc-compatible one an image bundle
 * starts from. Both parse with our own spec parser.
 */
#include "unit.h"
#include "bulkhead/runtime.h"

/* What `runc spec` (runc 1.1) writes, as far as the bundle variant follows it. */
static const char runc_mounts[] =
	"[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
	"\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}]";
static const char runc_masked[] =
	"[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
	"\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\","
	"\"/proc/scsi\"]";
static const char runc_readonly[] =
	"[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]";
/* The Docker (and runtime-tools) default set the bundle has always had. */
static const char bundle_caps[] =
	"[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\","
	"\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","
	"\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]";

static json_t *parse_json(const char *text)
{
	json_t *j = NULL;

	assert_int_equal(bh_json_parse(text, strlen(text), 1 << 20, "test", &j, NULL), 0);
	return j;
}

static void assert_json_is(json_t *got, const char *want_text)
{
	json_t *want = parse_json(want_text);

	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT);

		fail_msg("got %s, want %s", g ? g : "(null)", want_text);
	}
	json_decref(want);
}

static bool has_string(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static json_t *path(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);

	return b ? json_object_get(v, b) : v;
}

static json_t *mount(json_t *spec, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(spec, "mounts"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "destination")), dest))
			return m;
	return NULL;
}

/* The document parses with the runtime's own parser; returns the parsed spec. */
static struct bh_rt_spec *parse_spec(json_t *j)
{
	char *text = json_dumps(j, 0);
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;

	assert_non_null(text);
	if (bh_rt_spec_parse(text, strlen(text), &s, &err) < 0)
		fail_msg("the default spec does not parse: %s", bh_error_message(err));
	free(text);
	return s;
}

static void no_sys_admin(json_t *spec)
{
	static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
	json_t *caps = path(spec, "process", "capabilities");

	for (size_t i = 0; i < 4; i++)
		assert_false(has_string(json_object_get(caps, sets[i]), "CAP_SYS_ADMIN"));
}

static void test_hardened(void **state)
{
	json_t *j = bh_rt_spec_defaults(BH_RT_SPEC_HARDENED), *masked, *tmp;
	struct bh_rt_spec *s;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "ociVersion")), BH_RT_OCI_VERSION);
	assert_true(json_is_true(path(j, "root", "readonly")));
	assert_true(json_is_true(path(j, "process", "noNewPrivileges")));
	no_sys_admin(j);
	assert_json_is(path(path(j, "process", "capabilities"), "bounding", NULL),
		       "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\","
		       "\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\",\"CAP_SETGID\",\"CAP_SETUID\"]");
	assert_json_is(path(path(j, "process", "capabilities"), "ambient", NULL), "[]");
	/* runc's masked paths, and /sys/kernel/security besides */
	masked = path(j, "linux", "maskedPaths");
	assert_int_equal(json_array_size(masked), 11);
	assert_string_equal(json_string_value(json_array_get(masked, 10)), "/sys/kernel/security");
	json_array_remove(masked, 10);
	assert_json_is(masked, runc_masked);
	assert_json_is(path(j, "linux", "readonlyPaths"), runc_readonly);
	/* a writable /tmp on the read-only root; /proc and /dev noexec */
	tmp = mount(j, "/tmp");
	assert_non_null(tmp);
	assert_string_equal(json_string_value(json_object_get(tmp, "type")), "tmpfs");
	assert_non_null(mount(j, "/run"));
	assert_true(has_string(json_object_get(mount(j, "/proc"), "options"), "noexec"));
	assert_true(has_string(json_object_get(mount(j, "/dev"), "options"), "noexec"));
	assert_json_is(path(path(j, "linux", "resources"), "pids", NULL), "{\"limit\":4096}");
	assert_string_equal(json_string_value(path(j, "annotations", "org.bulkhead.mounts")),
			    "deny");
	assert_null(path(j, "linux", "seccomp"));

	s = parse_spec(j);
	assert_true(s->root_readonly);
	assert_int_equal(s->process.caps[BH_CAP_BOUNDING] & (1ULL << 21), 0); /* SYS_ADMIN */
	bh_rt_spec_free(s);
	json_decref(j);
}

static void test_runc_compatible(void **state)
{
	json_t *j = bh_rt_spec_defaults(BH_RT_SPEC_RUNC), *caps;
	struct bh_rt_spec *s;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "ociVersion")), "1.0.2");
	assert_json_is(json_object_get(j, "root"), "{\"path\":\"rootfs\",\"readonly\":false}");
	assert_json_is(json_object_get(j, "mounts"), runc_mounts);
	assert_json_is(path(j, "linux", "maskedPaths"), runc_masked);
	assert_json_is(path(j, "linux", "readonlyPaths"), runc_readonly);
	assert_json_is(path(j, "linux", "resources"),
		       "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	assert_json_is(path(j, "linux", "namespaces"),
		       "[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
		       "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]");
	assert_json_is(path(j, "process", "rlimits"),
		       "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}]");
	assert_true(json_is_true(path(j, "process", "noNewPrivileges")));
	caps = path(j, "process", "capabilities");
	assert_json_is(json_object_get(caps, "bounding"), bundle_caps);
	assert_json_is(json_object_get(caps, "effective"), bundle_caps);
	assert_json_is(json_object_get(caps, "permitted"), bundle_caps);
	assert_null(json_object_get(caps, "ambient"));
	no_sys_admin(j);
	assert_null(json_object_get(j, "annotations"));
	assert_null(path(j, "linux", "seccomp"));

	s = parse_spec(j);
	assert_false(s->root_readonly);
	bh_rt_spec_free(s);
	json_decref(j);
}

static void test_legacy_is_hardened(void **state)
{
	json_t *a = bh_rt_default_spec(), *b = bh_rt_spec_defaults(BH_RT_SPEC_HARDENED);
	char *ta = json_dumps(a, JSON_INDENT(2)), *tb = json_dumps(b, JSON_INDENT(2));

	(void)state;
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hardened),
		cmocka_unit_test(test_runc_compatible),
		cmocka_unit_test(test_legacy_is_hardened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
