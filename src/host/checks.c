/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's checks (BH-HOST-*): sysctls, user namespaces, LSMs, mounts
 * (/usr read-only, container storage partitions), time synchronisation,
 * automatic updates, a minimal OS, audit rules; and the owner and mode of
 * files (the engines' rows use it too).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/guard.h"
#include "bulkhead/inventory.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "bulkhead/vuln.h"
#include "host_int.h"
#include "banned.h"

/* ---- sysctls ------------------------------------------------------------------------------ */

void host_eval_sysctl(struct hctx *c, const struct check *k)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	struct bh_error *e = NULL;
	char *why = NULL;
	long long v;
	int r = host_read(c, k->path[0], &b, &why);

	if (r == -ENOENT)
		host_add(c, k, BH_HOST_FAIL, "/%s: absent (the kernel does not have it)",
			 k->path[0]);
	else if (r < 0)
		host_add(c, k, BH_HOST_WARN, "%s", why);
	else if (bh_host_sysctl_int(b.data, b.len, &v, &e) < 0)
		host_add(c, k, BH_HOST_WARN, "/%s: %s", k->path[0], e->msg);
	else if (k->op == '=' ? v == k->want : v >= k->want)
		host_add(c, k, BH_HOST_PASS, "%lld", v);
	else
		host_add(c, k, BH_HOST_FAIL, "%lld", v);
	bh_error_free(e);
	free(why);
	bh_buf_release(&b);
}

/* User namespaces: Debian's kernel.unprivileged_userns_clone = 0, else
 * user.max_user_namespaces = 0 (which rootless engines cannot live with). */
void host_eval_userns(struct hctx *c, const struct check *k)
{
	static const char *const files[] = { "proc/sys/kernel/unprivileged_userns_clone",
					     "proc/sys/user/max_user_namespaces" };
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char *why = NULL;
	long long v;

	for (size_t i = 0; i < 2; i++) {
		int r = host_read(c, files[i], &b, &why);

		if (r == -ENOENT)
			continue;
		if (r < 0 || bh_host_sysctl_int(b.data, b.len, &v, NULL) < 0) {
			host_add(c, k, BH_HOST_WARN, "/%s: %s", files[i],
				 why ? why : "not an integer");
			goto out;
		}
		host_add(c, k, v == 0 ? BH_HOST_PASS : BH_HOST_FAIL, "%s = %lld",
			 i == 0 ? "kernel.unprivileged_userns_clone" : "user.max_user_namespaces",
			 v);
		goto out;
	}
	host_add(c, k, BH_HOST_WARN,
		 "neither kernel.unprivileged_userns_clone nor "
		 "user.max_user_namespaces can be read");
out:
	free(why);
	bh_buf_release(&b);
}

/* ---- LSMs --------------------------------------------------------------------------------- */

void host_eval_lsm(struct hctx *c, const struct check *k)
{
	static const char *const mac[] = { "apparmor", "selinux", "smack", "tomoyo" };
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char *why = NULL;
	int r = host_read(c, "sys/kernel/security/lsm", &b, &why);

	if (r == -ENOENT) {
		host_add(c, k, BH_HOST_WARN,
			 "/sys/kernel/security/lsm absent (securityfs not mounted)");
	} else if (r < 0) {
		host_add(c, k, BH_HOST_WARN, "%s", why);
	} else {
		const char *p = b.data, *e = b.data + b.len;
		const char *found = NULL;

		while (e > p && bh_isspace((unsigned char)e[-1]))
			e--;
		for (const char *q = p; q < e && !found;) {
			const char *comma = memchr(q, ',', (size_t)(e - q)),
				   *qe = comma ? comma : e;

			for (size_t i = 0; i < 4; i++)
				if ((size_t)(qe - q) == strlen(mac[i]) &&
				    !memcmp(q, mac[i], (size_t)(qe - q)))
					found = mac[i];
			q = comma ? comma + 1 : e;
		}
		for (const char *q = p; q < e; q++)
			if (!bh_isprint((unsigned char)*q)) {
				host_add(c, k, BH_HOST_WARN, "/sys/kernel/security/lsm: not text");
				goto out;
			}
		host_add(c, k, found ? BH_HOST_PASS : BH_HOST_FAIL, "%.*s%s", (int)(e - p), p,
			 found ? "" : " (no AppArmor, SELinux, Smack or TOMOYO)");
	}
out:
	free(why);
	bh_buf_release(&b);
}

/* ---- mounts ------------------------------------------------------------------------------- */

static int collect_mount(const struct bh_guard_mount *m, void *arg)
{
	struct hctx *c = arg;
	bool ro = false;

	if (c->nmounts >= MAX_MOUNTS)
		return bh_error_set(NULL, BH_ERR_LIMIT, "too many mounts");
	for (const char *o = m->opts; o && *o;) {
		const char *comma = strchr(o, ',');
		size_t n = comma ? (size_t)(comma - o) : strlen(o);

		if (n == 2 && !memcmp(o, "ro", 2))
			ro = true;
		o += n + (comma != NULL);
	}
	c->mounts = bh_reallocarray(c->mounts, c->nmounts + 1, sizeof(*c->mounts));
	c->mounts[c->nmounts].point = bh_strdup(m->point);
	c->mounts[c->nmounts++].ro = ro;
	return 0;
}

static bool read_mounts(struct hctx *c)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE * 4);
	struct bh_error *e = NULL;
	char *why = NULL;
	int r;

	if (c->mounts_read)
		return !c->mounts_why;
	c->mounts_read = true;
	r = host_read(c, "proc/self/mountinfo", &b, &why);
	if (r == -ENOENT) {
		c->mounts_why = bh_strdup("/proc/self/mountinfo absent");
	} else if (r < 0) {
		c->mounts_why = why;
		why = NULL;
	} else if (bh_guard_parse_mountinfo(b.data, b.len, collect_mount, c, &e) < 0) {
		c->mounts_why = e ? bh_asprintf("/proc/self/mountinfo: %s", e->msg)
				  : bh_strdup("/proc/self/mountinfo: over 4096 mounts");
	}
	bh_error_free(e);
	free(why);
	bh_buf_release(&b);
	return !c->mounts_why;
}

/* The mount holding path (absolute): the last listed of the longest mount point
 * that is path or a parent of it. */
static const struct mnt *mount_of(struct hctx *c, const char *path)
{
	const struct mnt *best = NULL;
	size_t bl = 0;

	for (size_t i = 0; i < c->nmounts; i++) {
		const char *p = c->mounts[i].point;
		size_t n = strlen(p);

		if (!strcmp(p, "/"))
			n = 0;
		else if (strncmp(path, p, n) || (path[n] != '/' && path[n] != 0))
			continue;
		if (!best || n >= bl) {
			best = &c->mounts[i];
			bl = n;
		}
	}
	return best;
}

void host_eval_usr_ro(struct hctx *c, const struct check *k)
{
	const struct mnt *m;

	if (!read_mounts(c)) {
		host_add(c, k, BH_HOST_WARN, "%s", c->mounts_why);
		return;
	}
	m = mount_of(c, "/usr");
	if (!m)
		host_add(c, k, BH_HOST_WARN, "no mount holds /usr");
	else
		host_add(c, k, m->ro ? BH_HOST_PASS : BH_HOST_FAIL, "/usr on %s (%s)", m->point,
			 m->ro ? "ro" : "rw");
}

void host_eval_storage_part(struct hctx *c, const struct check *k)
{
	static const char *const dirs[] = { "/var/lib/docker", "/var/lib/containers" };
	struct bh_buf msg = BH_BUF_INIT(4096);
	size_t present = 0, separate = 0;

	if (!read_mounts(c)) {
		host_add(c, k, BH_HOST_WARN, "%s", c->mounts_why);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		const struct mnt *m;
		struct stat st;

		if (host_stat(c, dirs[i] + 1, true, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		present++;
		m = mount_of(c, dirs[i]);
		/* its own mount, or one of a parent below / (a /var partition counts) */
		if (m && strcmp(m->point, "/")) {
			separate++;
			bh_buf_addf(&msg, NULL, "%s%s on %s", msg.len ? "; " : "", dirs[i],
				    m->point);
		} else {
			bh_buf_addf(&msg, NULL, "%s%s on /", msg.len ? "; " : "", dirs[i]);
		}
	}
	if (!present)
		host_add(c, k, BH_HOST_INFO, "no /var/lib/docker or /var/lib/containers");
	else
		host_add(c, k, separate == present ? BH_HOST_PASS : BH_HOST_FAIL, "%s", msg.data);
	bh_buf_release(&msg);
}

/* ---- time synchronisation ---------------------------------------------------------------- */

/* Whether a config text has a server, pool or peer line. */
static size_t ntp_sources(const char *p, size_t len)
{
	const char *e = p + len;
	size_t n = 0;

	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if ((le - p > 7 && !memcmp(p, "server", 6) && bh_isspace((unsigned char)p[6])) ||
		    (le - p > 5 && !memcmp(p, "pool", 4) && bh_isspace((unsigned char)p[4])) ||
		    (le - p > 5 && !memcmp(p, "peer", 4) && bh_isspace((unsigned char)p[4])))
			n++;
		p = nl ? nl + 1 : e;
	}
	return n;
}

void host_eval_timesync(struct hctx *c, const struct check *k)
{
	static const struct {
		const char *name, *conf[2], *unit[3];
	} daemons[] = {
		{ "chrony",
		  { "etc/chrony/chrony.conf", "etc/chrony.conf" },
		  { "etc/systemd/system/multi-user.target.wants/chrony.service",
		    "etc/systemd/system/multi-user.target.wants/chronyd.service" } },
		{ "ntp",
		  { "etc/ntpsec/ntp.conf", "etc/ntp.conf" },
		  { "etc/systemd/system/multi-user.target.wants/ntpsec.service",
		    "etc/systemd/system/multi-user.target.wants/ntp.service",
		    "etc/systemd/system/multi-user.target.wants/ntpd.service" } },
	};
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE), msg = BH_BUF_INIT(4096);
	char *why = NULL;

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		size_t sources = 0;
		bool conf = false, unit = false;

		for (size_t j = 0; j < 2 && !conf; j++) {
			int r = host_read(c, daemons[i].conf[j], &b, &why);

			free(why);
			why = NULL;
			if (r == 0) {
				conf = true;
				sources = ntp_sources(b.data, b.len);
			}
		}
		for (size_t j = 0; j < 3 && daemons[i].unit[j]; j++)
			unit = unit || host_exists(c, daemons[i].unit[j]);
		if (conf && unit && sources) {
			host_add(c, k, BH_HOST_PASS, "%s enabled, %zu sources", daemons[i].name,
				 sources);
			goto out;
		}
		if (conf || unit)
			bh_buf_addf(&msg, NULL, "%s%s: %s", msg.len ? "; " : "", daemons[i].name,
				    !unit   ? "configured, unit not enabled"
				    : !conf ? "enabled, no configuration file"
					    : "no server, pool or peer line");
	}
	if (host_exists(c, "etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service")) {
		host_add(c, k, BH_HOST_PASS, "systemd-timesyncd enabled");
		goto out;
	}
	host_add(c, k, BH_HOST_FAIL, "%s",
		 msg.len ? msg.data : "no chrony, ntp or systemd-timesyncd enabled");
out:
	bh_buf_release(&b);
	bh_buf_release(&msg);
}

/* ---- automatic updates ------------------------------------------------------------------- */

/* The value of APT::Periodic::Unattended-Upgrade in an apt.conf text: 1 on, 0 off, -1 unset. */
static int apt_unattended(const char *p, size_t len)
{
	static const char key[] = "APT::Periodic::Unattended-Upgrade";
	const char *e = p + len;
	int v = -1;

	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *le = nl ? nl : e;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(le - p) > sizeof(key) - 1 && !memcmp(p, key, sizeof(key) - 1)) {
			const char *q = p + sizeof(key) - 1, *qe;

			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
			if (q < le && *q == '"') {
				qe = memchr(q + 1, '"', (size_t)(le - q - 1));
				if (qe) {
					v = !(qe - q - 1 == 1 && q[1] == '0') && !(qe - q - 1 == 0);
				}
			}
		}
		p = nl ? nl + 1 : e;
	}
	return v;
}

void host_eval_autoupdate(struct hctx *c, const struct check *k)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char **names = host_list_dir(c, "etc/apt/apt.conf.d", NULL), *why = NULL, *where = NULL;
	int on = -1;

	for (size_t i = 0; names && names[i]; i++) {
		char *path = bh_asprintf("etc/apt/apt.conf.d/%s", names[i]);
		int v;

		if (host_read(c, path, &b, &why) == 0 && (v = apt_unattended(b.data, b.len)) >= 0) {
			on = v;
			free(where);
			where = bh_strdup(names[i]);
		}
		free(why);
		why = NULL;
		free(path);
	}
	if (on == 1 && host_exists(c, "usr/bin/unattended-upgrade"))
		host_add(c, k, BH_HOST_PASS, "unattended-upgrades on (apt.conf.d/%s)", where);
	else if (on == 1)
		host_add(
			c, k, BH_HOST_FAIL,
			"APT::Periodic::Unattended-Upgrade on (apt.conf.d/%s), unattended-upgrades "
			"not installed",
			where);
	else if (on == 0)
		host_add(c, k, BH_HOST_FAIL,
			 "APT::Periodic::Unattended-Upgrade \"0\" (apt.conf.d/%s)", where);
	else if (host_read(c, "etc/dnf/automatic.conf", &b, &why) == 0) {
		char *v = NULL;
		bool timer = host_exists(c, "etc/systemd/system/timers.target.wants/"
					    "dnf-automatic.timer") ||
			     host_exists(c, "etc/systemd/system/timers.target.wants/"
					    "dnf-automatic-install.timer");

		if (bh_host_toml_get(b.data, b.len, "commands", "apply_updates", &v, NULL) == 1 &&
		    (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) && timer)
			host_add(c, k, BH_HOST_PASS, "dnf-automatic applies updates");
		else
			host_add(c, k, BH_HOST_FAIL, "dnf-automatic: apply_updates %s, timer %s",
				 v ? v : "unset", timer ? "enabled" : "not enabled");
		free(v);
	} else if (names || host_exists(c, "etc/dnf")) {
		host_add(c, k, BH_HOST_FAIL, "no automatic updates configured");
	} else {
		host_add(c, k, BH_HOST_WARN, "neither apt nor dnf found");
	}
	free(why);
	free(where);
	host_strv_free(names);
	bh_buf_release(&b);
}

/* ---- minimal OS --------------------------------------------------------------------------- */

#define MINIMAL_PKGS 400

void host_eval_minimal(struct hctx *c, const struct check *k)
{
	static const char *const container_os[] = { "flatcar",	    "fedora-coreos", "coreos",
						    "bottlerocket", "talos",	     "rancheros",
						    "cos",	    "photon",	     NULL };
	struct bh_buf b = BH_BUF_INIT(64u << 20);
	struct bh_os os = { 0 };
	struct bh_pkglist l = { 0 };
	struct bh_error *e = NULL;
	char *why = NULL;
	const char *db = NULL;

	if ((host_read(c, "etc/os-release", &b, &why) == 0 ||
	     (free(why), why = NULL, host_read(c, "usr/lib/os-release", &b, &why) == 0)) &&
	    bh_inventory_parse_os_release(b.data, b.len, "/etc/os-release", &os, NULL) == 0 &&
	    os.id) {
		for (size_t i = 0; container_os[i]; i++)
			if (!strcmp(os.id, container_os[i])) {
				host_add(c, k, BH_HOST_PASS, "%s: a container-specific OS", os.id);
				goto out;
			}
	}
	free(why);
	why = NULL;
	if (host_read(c, "var/lib/dpkg/status", &b, &why) == 0) {
		db = "dpkg";
		bh_inventory_parse_dpkg_status(b.data, b.len, "var/lib/dpkg/status", &l, &e);
	} else if (free(why), why = NULL, host_read(c, "lib/apk/db/installed", &b, &why) == 0) {
		db = "apk";
		bh_inventory_parse_apk_installed(b.data, b.len, "lib/apk/db/installed", &l, &e);
	}
	if (!db)
		host_add(c, k, BH_HOST_WARN, "no dpkg or apk database (%s)",
			 os.id ? os.id : "unknown OS");
	else if (e)
		host_add(c, k, BH_HOST_WARN, "%s database: %s", db, e->msg);
	else
		host_add(c, k, l.n <= MINIMAL_PKGS ? BH_HOST_PASS : BH_HOST_FAIL,
			 "%zu packages (%s, %s)%s", l.n, db, os.pretty_name ? os.pretty_name : "?",
			 l.n <= MINIMAL_PKGS ? "" : ": more than a container host needs");
out:
	free(why);
	bh_error_free(e);
	bh_pkglist_release(&l);
	bh_os_release(&os);
	bh_buf_release(&b);
}

/* ---- audit rules -------------------------------------------------------------------------- */

static void read_audit(struct hctx *c)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char **names, *why = NULL;

	if (c->audit_read)
		return;
	c->audit_read = true;
	bh_buf_init(&c->audit, 16u << 20);
	names = host_list_dir(c, "etc/audit/rules.d", ".rules");
	for (size_t i = 0; names && names[i]; i++) {
		char *path = bh_asprintf("etc/audit/rules.d/%s", names[i]);

		if (host_read(c, path, &b, &why) == 0 &&
		    bh_buf_add(&c->audit, b.data, b.len, NULL) == 0 &&
		    bh_buf_addc(&c->audit, '\n', NULL) == 0)
			c->audit_files++;
		free(why);
		why = NULL;
		free(path);
	}
	if (host_read(c, "etc/audit/audit.rules", &b, &why) == 0 &&
	    bh_buf_add(&c->audit, b.data, b.len, NULL) == 0)
		c->audit_files++;
	free(why);
	host_strv_free(names);
	bh_buf_release(&b);
}

void host_eval_audit(struct hctx *c, const struct check *k)
{
	const char *found = NULL;
	char *abs;

	for (size_t i = 0; i < 3 && k->path[i] && !found; i++)
		if (host_exists(c, k->path[i]))
			found = k->path[i];
	if (!found) {
		host_add(c, k, BH_HOST_INFO, "/%s: absent", k->path[0]);
		return;
	}
	read_audit(c);
	abs = bh_asprintf("/%s", found);
	if (c->audit_files == 0)
		host_add(c, k, BH_HOST_FAIL, "%s: no audit rules (/etc/audit/rules.d)", abs);
	else if (bh_host_audit_watches(c->audit.data ? c->audit.data : "", c->audit.len, abs))
		host_add(c, k, BH_HOST_PASS, "%s: watched", abs);
	else
		host_add(c, k, BH_HOST_FAIL, "%s: not watched", abs);
	free(abs);
}

/* ---- files: owner and mode ---------------------------------------------------------------- */

void host_eval_file(struct hctx *c, const struct check *k)
{
	struct stat st;
	const char *found = NULL;
	mode_t extra;

	for (size_t i = 0; i < 3 && k->path[i] && !found; i++)
		if (host_stat(c, k->path[i], true, &st) == 0)
			found = k->path[i];
	if (!found) {
		host_add(c, k, BH_HOST_INFO, "/%s: absent", k->path[0]);
		return;
	}
	extra = st.st_mode & 07777 & ~(mode_t)k->want;
	host_add(c, k, st.st_uid == 0 && !extra ? BH_HOST_PASS : BH_HOST_FAIL,
		 "/%s: uid %u, gid %u, mode %04o%s%s", found, (unsigned)st.st_uid,
		 (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
		 st.st_uid ? ", not owned by root" : "",
		 extra ? ", more permissive than wanted" : "");
}

/* ---- pending security updates ------------------------------------------------------------ */

/*
 * The host's OS packages (dpkg or apk database, os-release) matched against
 * the advisory store by the scan pipeline's match stage (bh_vuln_match): a
 * finding with a fixed version is an update waiting. Only the package
 * database is read, not a walk of every file as `scan rootfs:/` does (a
 * minute on a developer host; the OS packages are what updates fix).
 */
void host_eval_pending(struct hctx *c, const struct check *k)
{
	struct bh_buf b = BH_BUF_INIT(64u << 20);
	struct bh_inventory inv = { 0 };
	struct bh_pkglist l = { 0 };
	struct bh_findings f = { 0 };
	struct bh_match_stats st = { 0 };
	struct bh_store *store = NULL;
	struct bh_error *e = NULL;
	char *why = NULL;
	size_t pending = 0, crit = 0;
	int r;

	if (!c->db) {
		host_add(c, k, BH_HOST_INFO, "no advisory database given (--db)");
		return;
	}
	if ((host_read(c, "etc/os-release", &b, &why) < 0 &&
	     (free(why), why = NULL, host_read(c, "usr/lib/os-release", &b, &why) < 0)) ||
	    bh_inventory_parse_os_release(b.data, b.len, "/etc/os-release", &inv.os, &e) < 0) {
		host_add(c, k, BH_HOST_WARN, "os-release: %s", e ? e->msg : why ? why : "absent");
		goto out;
	}
	bh_os_set_ecosystem(&inv.os);
	if (!inv.os.ecosystem) {
		host_add(c, k, BH_HOST_WARN, "%s %s: no advisories for this OS",
			 inv.os.id ? inv.os.id : "?", inv.os.version_id ? inv.os.version_id : "");
		goto out;
	}
	free(why);
	why = NULL;
	if ((r = host_read(c, "var/lib/dpkg/status", &b, &why)) == 0)
		bh_inventory_parse_dpkg_status(b.data, b.len, "var/lib/dpkg/status", &l, &e);
	else if (free(why), why = NULL, host_read(c, "lib/apk/db/installed", &b, &why) == 0)
		bh_inventory_parse_apk_installed(b.data, b.len, "lib/apk/db/installed", &l, &e);
	else {
		host_add(c, k, BH_HOST_WARN, "no dpkg or apk database");
		goto out;
	}
	if (e) {
		host_add(c, k, BH_HOST_WARN, "package database: %s", e->msg);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		if (!l.v[i].ecosystem)
			l.v[i].ecosystem = bh_strdup(inv.os.ecosystem);
	inv.pkgs = l.v;
	inv.npkgs = l.n;
	if (bh_vuln_store_open(c->db, false, &store, &e) < 0 ||
	    bh_vuln_match(store, &inv, &f, &st, &e) < 0) {
		char *m = bh_error_message(e);

		host_add(c, k, bh_error_code(e) == BH_ERR_NOTFOUND ? BH_HOST_INFO : BH_HOST_WARN,
			 "%s", m);
		free(m);
		goto out;
	}
	for (size_t i = 0; i < f.n; i++)
		if (f.v[i].fixed_versions && f.v[i].fixed_versions[0]) {
			pending++;
			crit += f.v[i].severity >= BH_SEV_HIGH;
		}
	host_add(c, k, pending ? BH_HOST_FAIL : BH_HOST_PASS,
		 "vulnerabilities an update fixes: %zu (%zu high or critical) in %zu %s packages",
		 pending, crit, l.n, inv.os.ecosystem);
out:
	inv.pkgs = NULL;
	inv.npkgs = 0;
	bh_vuln_store_close(store);
	bh_findings_release(&f);
	bh_pkglist_release(&l);
	bh_os_release(&inv.os);
	bh_error_free(e);
	free(why);
	bh_buf_release(&b);
}
