/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration defects (NIST SP 800-190 4.1.2, and 4.1.4 for credentials
 * left in the configuration): checks of the image config, its build
 * history, the merged filesystem and the package inventory. Each check has
 * a stable ID, a severity, the countermeasure it serves, a title and a
 * remediation (bh_content_checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

enum cfg {
	CFG_ROOT,
	CFG_CONFIG_SECRET,
	CFG_HISTORY_SECRET,
	CFG_SSHD,
	CFG_PORT22,
	CFG_SUDO,
	CFG_SUID_PKG,
	CFG_SUID_ODD,
	CFG_WW_FILE,
	CFG_WW_DIR,
	CFG_ADD_URL,
	CFG_PIPE_SHELL,
	CFG_HEALTHCHECK,
	CFG_LATEST,
	CFG_CACHE,
	CFG_CRED_FILE,
	CFG_GIT,
	CFG_COUNT,
};

static const struct bh_content_check checks[CFG_COUNT] = {
	[CFG_ROOT] = { "BH-CFG-001", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.2", "Image runs as root",
		       "Create an unprivileged user in the image and set it with USER (a "
		       "numeric UID, e.g. USER 10001), so a compromised process does not run "
		       "as root." },
	[CFG_CONFIG_SECRET] = { "BH-CFG-002", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.4",
				"Secret in the image config (Env or label)",
				"Do not bake credentials into ENV or LABEL: anyone who can pull "
				"the image reads them. Inject them at run time from a secret "
				"store (orchestrator secrets, mounted files) and rotate this "
				"one." },
	[CFG_HISTORY_SECRET] = { "BH-CFG-003", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.4",
				 "Secret in the build history",
				 "Build arguments and ENV lines are recorded in the image history: "
				 "pass build-time secrets with BuildKit secret mounts (RUN "
				 "--mount=type=secret) and rotate this one." },
	[CFG_SSHD] = { "BH-CFG-004", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.2", "SSH server installed",
		       "Remove the SSH server: containers are immutable and managed through "
		       "the orchestrator (exec, logs), not by remote shells." },
	[CFG_PORT22] = { "BH-CFG-005", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2", "Port 22 exposed",
			 "Do not EXPOSE 22: remote shells into containers bypass the "
			 "orchestrator's access control and audit." },
	[CFG_SUDO] = { "BH-CFG-006", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2", "sudo installed",
		       "Remove sudo: a container runs one process as one user; privilege "
		       "changes belong in the image build, not at run time." },
	[CFG_SUID_PKG] = { "BH-CFG-007", BH_FIND_CONFIG, BH_SEV_LOW, "4.1.2",
			   "setuid/setgid executable from a package",
			   "Remove the setuid/setgid bits (chmod u-s,g-s) of programs the "
			   "application does not need, or run with no-new-privileges." },
	[CFG_SUID_ODD] = { "BH-CFG-008", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.2",
			   "setuid/setgid executable that no package ships",
			   "Find out who added it and why; remove it or its setuid/setgid bits. A "
			   "setuid-root copy of a shell gives root to anyone who runs it." },
	[CFG_WW_FILE] = { "BH-CFG-009", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
			  "World-writable file",
			  "Remove write permission for others (chmod o-w); any user in the "
			  "container can change this file." },
	[CFG_WW_DIR] = { "BH-CFG-010", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
			 "World-writable directory without the sticky bit",
			 "chmod o-w the directory, or set the sticky bit (chmod +t) so users "
			 "cannot delete or replace each other's files." },
	[CFG_ADD_URL] = { "BH-CFG-011", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
			  "ADD of a remote URL",
			  "Download with a verified checksum (ADD --checksum=sha256:..., or "
			  "curl then sha256sum -c) or COPY a vetted file from the build "
			  "context." },
	[CFG_PIPE_SHELL] = { "BH-CFG-012", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
			     "Downloaded script piped into a shell",
			     "Download the script, verify its checksum or signature, then run "
			     "it; better, install from the distribution's signed packages." },
	[CFG_HEALTHCHECK] = { "BH-CFG-013", BH_FIND_CONFIG, BH_SEV_LOW, "4.1.2", "No HEALTHCHECK",
			      "Add a HEALTHCHECK (or orchestrator probes) so a hung process is "
			      "detected and replaced." },
	[CFG_LATEST] = { "BH-CFG-014", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
			 "Image referenced by the 'latest' tag",
			 "Refer to images by an immutable version tag or, better, by digest "
			 "(name@sha256:...), so what is scanned is what runs." },
	[CFG_CACHE] = { "BH-CFG-015", BH_FIND_CONFIG, BH_SEV_LOW, "4.1.2",
			"Package manager cache left in the image",
			"Clean the cache in the same RUN that fills it (apt-get clean && rm -rf "
			"/var/lib/apt/lists/*, apk add --no-cache, pip --no-cache-dir, npm cache "
			"clean --force)." },
	[CFG_CRED_FILE] = { "BH-CFG-016", BH_FIND_CONFIG, BH_SEV_HIGH, "4.1.4",
			    "Credentials left in a tool's configuration file",
			    "Remove the file from every layer (use BuildKit secret mounts for "
			    ".npmrc, .pypirc, .docker/config.json at build time) and revoke the "
			    "credentials." },
	[CFG_GIT] = { "BH-CFG-017", BH_FIND_CONFIG, BH_SEV_MEDIUM, "4.1.2",
		      ".git directory in the image",
		      "Add .git to .dockerignore: the repository's history, remotes and "
		      "possibly credentials ship with the image." },
};

const struct bh_content_check *bh_content_checks(size_t *n)
{
	*n = CFG_COUNT;
	return checks;
}

/* ---- what to keep from the walk ------------------------------------------------ */

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

enum capture_kind content_capture_kind_of(const char *path)
{
	static const char *const cred_names[] = { ".npmrc",	      ".pypirc",     ".netrc",
						  ".git-credentials", ".yarnrc.yml", "npmrc" };
	static const char *const cred_suffixes[] = {
		".docker/config.json",
		".kube/config",
		"pip/pip.conf",
		"etc/pip.conf",
		".gem/credentials",
		".cargo/credentials",
		".cargo/credentials.toml",
		".composer/auth.json",
		".m2/settings.xml",
		".config/gh/hosts.yml",
	};
	const char *b = basename_of(path);

	if (!strcmp(path, "etc/passwd"))
		return CAP_PASSWD;
	if (!strcmp(path, "lib/apk/db/installed"))
		return CAP_APK_DB;
	if (bh_str_has_prefix(path, "var/lib/dpkg/info/") && bh_str_has_suffix(path, ".list") &&
	    !strchr(path + 18, '/'))
		return CAP_DPKG_LIST;
	for (size_t i = 0; i < sizeof(cred_names) / sizeof(cred_names[0]); i++)
		if (!strcmp(b, cred_names[i]) && (i != 5 || bh_str_has_prefix(path, "etc/") ||
						  bh_str_has_prefix(path, "usr/etc/")))
			return CAP_CRED;
	for (size_t i = 0; i < sizeof(cred_suffixes) / sizeof(cred_suffixes[0]); i++) {
		size_t n = strlen(path), m = strlen(cred_suffixes[i]);

		if (n >= m && !strcmp(path + n - m, cred_suffixes[i]) &&
		    (n == m || path[n - m - 1] == '/'))
			return CAP_CRED;
	}
	return 0;
}

size_t content_capture_max(enum capture_kind k)
{
	switch (k) {
	case CAP_PASSWD: return BH_CONTENT_MAX_PASSWD;
	case CAP_DPKG_LIST: return 4u << 20;
	case CAP_APK_DB: return 64u << 20;
	case CAP_CRED: return 1u << 20;
	}
	return 0;
}

static const char *const shell_names[] = {
	"sh",	"bash", "dash",	   "zsh",   "ash",  "ksh",  "ksh93",  "mksh",	 "tcsh",
	"csh",	"fish", "busybox", "rbash", "yash", "perl", "python", "python3", "php",
	"ruby", "node", "lua",	   "env",   "find", "vim",  "vi",     "less",	 "awk",
};

static bool is_shell_name(const char *b)
{
	for (size_t i = 0; i < sizeof(shell_names) / sizeof(shell_names[0]); i++) {
		size_t m = strlen(shell_names[i]);

		/* "python3.11", "perl5.36.0" */
		if (!strncmp(b, shell_names[i], m) &&
		    (b[m] == 0 || (m >= 4 && (b[m] == '.' || (b[m] >= '0' && b[m] <= '9')))))
			return true;
	}
	return false;
}

bool content_is_shell_path(const char *path)
{
	static const char *const dirs[] = { "bin/",	 "usr/bin/",	   "sbin/",
					    "usr/sbin/", "usr/local/bin/", "usr/local/sbin/" };
	const char *b = basename_of(path);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (bh_str_has_prefix(path, dirs[i]) && (size_t)(b - path) == strlen(dirs[i]))
			return is_shell_name(b);
	return false;
}

/* ---- the merged view --------------------------------------------------------------- */

const struct bh_file *content_merged_find(const struct bh_fileset *fs, const char *path)
{
	size_t lo = 0, hi = fs ? fs->nfiles : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(fs->files[mid].path, path);

		if (!r)
			return &fs->files[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A capture whose (path, layer) is what the merged view holds. */
static const struct capture *live_capture(const struct checks_in *in, const char *path)
{
	const struct bh_file *f = content_merged_find(in->merged, path);

	if (!f || f->type != BH_FT_REG)
		return NULL;
	for (size_t i = 0; i < in->caps->n; i++)
		if (in->caps->v[i].layer == f->layer && !strcmp(in->caps->v[i].path, path))
			return &in->caps->v[i];
	return NULL;
}

/* Resolve symlinked directories of `path` through the merged view ("bin/su"
 * -> "usr/bin/su" when bin -> usr/bin). The last component is left alone. */
static char *resolve_dirs(const struct bh_fileset *fs, const char *path)
{
	struct bh_buf cur = BH_BUF_INIT(8192), tmp = BH_BUF_INIT(8192), clean = BH_BUF_INIT(8192);
	bool changed = true;

	bh_buf_adds(&cur, path, NULL);
	for (int hops = 0; changed && hops < 40; hops++) {
		changed = false;
		for (size_t i = 0; cur.data && i < cur.len && !changed; i++) {
			const struct bh_file *f;

			if (cur.data[i] != '/')
				continue;
			cur.data[i] = 0;
			f = content_merged_find(fs, cur.data);
			cur.data[i] = '/';
			if (!f || f->type != BH_FT_SYMLINK || !f->link)
				continue;
			bh_buf_reset(&tmp);
			if (f->link[0] != '/') {
				const char *slash = memrchr(cur.data, '/', i);

				if (slash)
					bh_buf_add(&tmp, cur.data, (size_t)(slash - cur.data) + 1,
						   NULL);
			}
			bh_buf_adds(&tmp, f->link, NULL);
			bh_buf_add(&tmp, cur.data + i, cur.len - i, NULL);
			bh_buf_reset(&clean);
			if (bh_path_clean(tmp.data, true, 4096, &clean, NULL) < 0 || !clean.data)
				break;
			bh_buf_reset(&cur);
			bh_buf_add(&cur, clean.data, clean.len, NULL);
			changed = true;
		}
	}
	bh_buf_release(&tmp);
	bh_buf_release(&clean);
	return bh_buf_detach(&cur, NULL);
}

/* ---- findings ---------------------------------------------------------------------- */

struct run {
	const struct checks_in *in;
	bool (*skip)(const void *ctx, const char *id);
	const void *ctx;
	struct bh_findings *out;
};

static struct bh_finding *add(struct run *r, enum cfg k, enum bh_severity sev, int layer,
			      const char *path, const char *fmt, ...) BH_PRINTF(6, 7);

static struct bh_finding *add(struct run *r, enum cfg k, enum bh_severity sev, int layer,
			      const char *path, const char *fmt, ...)
{
	struct bh_finding *f;
	struct bh_buf b = BH_BUF_INIT(TEXT_MAX);
	va_list ap;

	if (r->skip(r->ctx, checks[k].id))
		return NULL;
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	f = bh_findings_add(r->out);
	f->id = bh_strdup(checks[k].id);
	f->kind = BH_FIND_CONFIG;
	f->severity = sev ? sev : checks[k].severity;
	f->countermeasure = bh_strdup(checks[k].countermeasure);
	f->title = bh_buf_detach(&b, NULL);
	f->remediation = bh_strdup(checks[k].remediation);
	f->layer = layer;
	f->path = path ? bh_asprintf("/%s", path) : NULL;
	return f;
}

static void describe(struct bh_finding *f, const char *fmt, ...) BH_PRINTF(2, 3);

static void describe(struct bh_finding *f, const char *fmt, ...)
{
	struct bh_buf b = BH_BUF_INIT(TEXT_MAX);
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	bh_buf_vaddf(&b, NULL, fmt, ap);
	va_end(ap);
	free(f->description);
	f->description = bh_buf_detach(&b, NULL);
}

/* ---- image config ------------------------------------------------------------------- */

static void check_user(struct run *r)
{
	const struct bh_image_config *cfg = &r->in->img->config;
	const char *u = cfg->user;
	char name[256];
	size_t n;
	uint32_t uid = 1;
	bool root = false, numeric = true;
	const char *how = "";
	struct bh_finding *f;

	if (!u || !*u) {
		f = add(r, CFG_ROOT, 0, -1, NULL, "Image runs as root (no USER set)");
		describe(f, "The image config sets no User, so its processes run as root (UID 0) "
			    "unless the runtime says otherwise.");
		return;
	}
	n = strcspn(u, ":");
	if (n >= sizeof(name))
		return;
	memcpy(name, u, n);
	name[n] = 0;
	for (size_t i = 0; i < n; i++)
		numeric &= name[i] >= '0' && name[i] <= '9';
	if (numeric && n) {
		uint64_t v;

		root = bh_parse_u64(name, &v, NULL) == 0 && v == 0;
		how = "UID 0";
	} else if (!strcmp(name, "root")) {
		root = true;
		how = "the root user";
	} else {
		const struct capture *pw = live_capture(r->in, "etc/passwd");
		struct bh_error *e = NULL;

		if (pw && bh_content_passwd_uid(pw->data, pw->len, name, &uid, &e) == 1 &&
		    uid == 0) {
			root = true;
			how = "a user with UID 0 in /etc/passwd";
		}
		bh_error_free(e);
	}
	if (!root)
		return;
	f = add(r, CFG_ROOT, 0, -1, NULL, "Image runs as root (User '%s')", u);
	describe(f, "The image config sets User '%s', which is %s: its processes run as root.", u,
		 how);
}

static void check_config_value(struct run *r, const char *where, const char *name, size_t nlen,
			       const char *value)
{
	struct secret_found sf;
	size_t vlen = strlen(value);
	bool named = bh_content_credential_name(name, nlen);
	bool token = r->in->value_secret && r->in->value_secret(r->in->vctx, value, vlen, &sf);
	enum bh_severity sev = BH_SEV_HIGH;
	char shown[16], fp[13];
	struct bh_finding *f;

	if (!vlen ||
	    (!token && (!named || content_looks_placeholder((const unsigned char *)value, vlen) ||
			value[0] == '/')))
		return;
	if (token && sf.severity > sev)
		sev = sf.severity;
	content_redact((const unsigned char *)value, vlen, shown, sizeof(shown));
	content_fingerprint(value, vlen, fp);
	f = add(r, CFG_CONFIG_SECRET, sev, -1, NULL,
		"Secret in the image config: %s %.*s=%s (sha256:%s)", where, (int)nlen, name, shown,
		fp);
	describe(f,
		 "%s %.*s %s%s%s; the value is shown redacted, with the first 12 hex digits of "
		 "its SHA-256.",
		 where, (int)nlen, name,
		 token ? "holds a " : "has a name that says it holds a credential",
		 token ? content_secret_rule_title(sf.rule) : "", token ? "" : "");
}

static void check_config_secrets(struct run *r)
{
	const struct bh_image_config *cfg = &r->in->img->config;

	for (size_t i = 0; cfg->env && cfg->env[i]; i++) {
		const char *eq = strchr(cfg->env[i], '=');

		if (eq)
			check_config_value(r, "Env", cfg->env[i], (size_t)(eq - cfg->env[i]),
					   eq + 1);
	}
	if (cfg->labels && json_is_object(cfg->labels)) {
		const char *k;
		json_t *v;

		json_object_foreach (cfg->labels, k, v) {
			if (json_is_string(v))
				check_config_value(r, "Label", k, strlen(k), json_string_value(v));
		}
	}
}

static void check_ports(struct run *r)
{
	const struct bh_image_config *cfg = &r->in->img->config;

	for (size_t i = 0; cfg->exposed_ports && cfg->exposed_ports[i]; i++) {
		const char *p = cfg->exposed_ports[i];

		if (!strcmp(p, "22") || !strcmp(p, "22/tcp")) {
			struct bh_finding *f = add(r, CFG_PORT22, 0, -1, NULL,
						   "Port 22 (SSH) exposed: ExposedPorts %s", p);

			describe(f,
				 "The image config exposes %s, the SSH port: a remote shell into "
				 "the container is planned.",
				 p);
		}
	}
}

static void check_healthcheck(struct run *r)
{
	struct bh_finding *f;

	if (r->in->img->config.has_healthcheck)
		return;
	f = add(r, CFG_HEALTHCHECK, 0, -1, NULL, "No HEALTHCHECK in the image config");
	describe(f, "Without a health check, a process that hangs but does not exit is not "
		    "noticed by Docker (orchestrators use their own probes).");
}

/* The tag of a reference: "name:tag", "path:tag", "oci:dir:tag"; NULL when it
 * has none or is pinned by digest. */
static bool tag_is_latest(const char *ref)
{
	const char *slash, *colon;

	if (!ref || strchr(ref, '@'))
		return false;
	if (!strcmp(ref, "latest"))
		return true;
	slash = strrchr(ref, '/');
	colon = strrchr(slash ? slash : ref, ':');
	return colon && !strcmp(colon + 1, "latest");
}

static void check_latest(struct run *r)
{
	const char *ref = r->in->o->reference, *name = r->in->img->name;
	struct bh_finding *f;

	if (tag_is_latest(ref)) {
		f = add(r, CFG_LATEST, 0, -1, NULL, "Image referenced by the 'latest' tag: %s",
			ref);
	} else if (tag_is_latest(name)) {
		f = add(r, CFG_LATEST, 0, -1, NULL, "Image tagged 'latest': %s", name);
	} else {
		return;
	}
	describe(f, "'latest' moves: the image scanned now need not be the one deployed later, "
		    "and a rollback has nothing to return to.");
}

/* ---- history ------------------------------------------------------------------------ */

static void check_history(struct run *r)
{
	const struct bh_image *img = r->in->img;
	size_t li = 0;

	for (size_t i = 0; i < img->config.nhistory; i++) {
		const struct bh_history *h = &img->config.history[i];
		struct bh_history_issues is;
		int layer = -1;
		struct bh_finding *f;

		if (!h->empty_layer) {
			layer = li < img->nlayers ? (int)li : -1;
			li++;
		}
		if (!h->created_by)
			continue;
		if (!bh_content_history_check(h->created_by, strlen(h->created_by), &is))
			continue;
		if (is.flags & BH_HIST_ADD_URL) {
			f = add(r, CFG_ADD_URL, 0, layer, NULL, "ADD of a remote URL: %s", is.url);
			describe(f,
				 "History entry %zu adds %s without a checksum: what was "
				 "downloaded is whatever the server sent at build time.",
				 i + 1, is.url);
		}
		if (is.flags & BH_HIST_PIPE_SHELL) {
			f = add(r, CFG_PIPE_SHELL, 0, layer, NULL,
				"Downloaded script piped into a shell: %.120s", is.fetcher);
			describe(f,
				 "History entry %zu runs a script straight from the network "
				 "(%.200s): nothing checks what it was.",
				 i + 1, is.fetcher);
		}
		if (is.flags & BH_HIST_SECRET) {
			size_t vl = strlen(is.value);
			char shown[16], fp[13];

			content_redact((const unsigned char *)is.value, vl, shown, sizeof(shown));
			content_fingerprint(is.value, vl, fp);
			f = add(r, CFG_HISTORY_SECRET, 0, layer, NULL,
				"Secret in the build history: %s=%s (sha256:%s)", is.name, shown,
				fp);
			describe(f,
				 "History entry %zu (created_by) records %s with a value; "
				 "anyone who pulls the image can read it (docker history).",
				 i + 1, is.name);
		}
		memset(&is, 0, sizeof(is));
	}
}

/* ---- packages and files ---------------------------------------------------------------- */

static const struct bh_file *find_file(const struct checks_in *in, const char *const *paths,
				       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bh_file *f = content_merged_find(in->merged, paths[i]);

		if (f && (f->type == BH_FT_REG || f->type == BH_FT_HARDLINK))
			return f;
	}
	return NULL;
}

static void check_packages(struct run *r, enum cfg k, const char *const *names, size_t nn,
			   const char *const *paths, size_t np, const char *what)
{
	const struct bh_inventory *inv = r->in->inv;
	bool found = false;
	const struct bh_file *f;
	struct bh_finding *fd;

	for (size_t i = 0; inv && i < inv->npkgs; i++) {
		const struct bh_package *p = &inv->pkgs[i];

		if (p->type != BH_PKG_DPKG && p->type != BH_PKG_APK && p->type != BH_PKG_RPM)
			continue;
		for (size_t j = 0; j < nn; j++) {
			if (strcmp(p->name, names[j]))
				continue;
			fd = add(r, k, 0, (int)p->layer, NULL, "%s installed: package %s %s", what,
				 p->name, p->version ? p->version : "");
			if (fd) {
				fd->pkg = i;
				describe(fd, "Package %s %s (%s, layer %u) is installed.", p->name,
					 p->version ? p->version : "", bh_pkg_type_name(p->type),
					 p->layer + 1);
			}
			found = true;
		}
	}
	if (found || !(f = find_file(r->in, paths, np)))
		return;
	fd = add(r, k, 0, (int)f->layer, f->path, "%s installed: /%s", what, f->path);
	describe(fd, "/%s is in the image (no package database names it).", f->path);
}

/* ---- setuid / setgid ---------------------------------------------------------------- */

struct owned {
	const struct checks_in *in;
	struct bh_map *map;
	const char *pkg; /* dpkg: the .list file's package */
};

static void owned_add(const char *path, size_t n, const char *pkg, void *data)
{
	struct owned *o = data;
	char *p = bh_strndup(path, n), *res = resolve_dirs(o->in->merged, p);
	const char *name = pkg ? pkg : o->pkg;

	free(bh_map_put(o->map, res, strlen(res), bh_strdup(name ? name : "?")));
	free(res);
	free(p);
}

static void free_str(void *v)
{
	free(v);
}

static struct bh_map *owned_files(const struct checks_in *in, bool *any)
{
	struct owned o = { in, bh_map_new(), NULL };

	*any = false;
	for (size_t i = 0; i < in->caps->n; i++) {
		const struct capture *c = &in->caps->v[i];
		const struct bh_file *f;
		char pkg[256];
		size_t bl;

		if (c->kind != CAP_DPKG_LIST && c->kind != CAP_APK_DB)
			continue;
		f = content_merged_find(in->merged, c->path);
		if (!f || f->layer != c->layer)
			continue;
		*any = true;
		if (c->kind == CAP_APK_DB) {
			bh_content_apk_files(c->data, c->len, owned_add, &o, NULL);
			continue;
		}
		/* var/lib/dpkg/info/<pkg>[:arch].list */
		bl = strlen(basename_of(c->path)) - 5;
		if (bl >= sizeof(pkg))
			continue;
		memcpy(pkg, basename_of(c->path), bl);
		pkg[bl] = 0;
		if (strchr(pkg, ':'))
			*strchr(pkg, ':') = 0;
		o.pkg = pkg;
		bh_content_dpkg_list(c->data, c->len, owned_add, &o, NULL);
	}
	return o.map;
}

static const struct hashed *hash_of(const struct checks_in *in, const char *path, unsigned layer)
{
	for (size_t i = 0; i < in->hashes->n; i++)
		if (in->hashes->v[i].layer == layer && !strcmp(in->hashes->v[i].path, path))
			return &in->hashes->v[i];
	return NULL;
}

/* A live shell or interpreter with the same content as `h`. */
static const char *same_as_shell(const struct checks_in *in, const struct hashed *h)
{
	for (size_t i = 0; h && i < in->hashes->n; i++) {
		const struct hashed *o = &in->hashes->v[i];
		const struct bh_file *f;

		if (o == h || !content_is_shell_path(o->path) || strcmp(o->d.str, h->d.str) ||
		    !strcmp(o->path, h->path))
			continue;
		f = content_merged_find(in->merged, o->path);
		if (f && f->layer == o->layer)
			return o->path;
	}
	return NULL;
}

static void check_setuid(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	bool have_db;
	struct bh_map *owned = owned_files(r->in, &have_db);

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		const char *pkg, *shell = NULL;
		char bits[32];
		bool suid = f->mode & 04000;
		struct bh_finding *fd;
		enum bh_severity sev;

		if ((f->type != BH_FT_REG && f->type != BH_FT_HARDLINK) || !(f->mode & 06000))
			continue;
		snprintf(bits, sizeof(bits), "%s%s%s (%04o)",
			 suid ? (f->uid == 0 ? "setuid-root" : "setuid") : "",
			 suid && (f->mode & 02000) ? "+" : "", (f->mode & 02000) ? "setgid" : "",
			 f->mode & 07777);
		pkg = bh_map_get(owned, f->path, strlen(f->path));
		if (pkg) {
			fd = add(r, CFG_SUID_PKG, 0, (int)f->layer, f->path,
				 "%s /%s from package %s", bits, f->path, pkg);
			describe(fd, "/%s is %s (owner %u:%u) and ships with package %s.", f->path,
				 bits, f->uid, f->gid, pkg);
			continue;
		}
		if (is_shell_name(basename_of(f->path)))
			shell = f->path;
		else
			shell = same_as_shell(r->in, hash_of(r->in, f->path, f->layer));
		sev = shell && suid && f->uid == 0 ? BH_SEV_CRITICAL
		      : suid			   ? BH_SEV_HIGH
						   : BH_SEV_MEDIUM;
		if (shell && shell != f->path)
			fd = add(r, CFG_SUID_ODD, sev, (int)f->layer, f->path,
				 "%s copy of /%s: /%s", bits, shell, f->path);
		else
			fd = add(r, CFG_SUID_ODD, sev, (int)f->layer, f->path, "%s %s/%s%s", bits,
				 shell ? "shell " : "", f->path, have_db ? ", in no package" : "");
		describe(fd, "/%s is %s (owner %u:%u), added in layer %u, and %s.%s", f->path, bits,
			 f->uid, f->gid, f->layer + 1,
			 have_db ? "no installed package ships it"
				 : "the image has no package database",
			 shell ? " Anyone who runs it gets a shell with its owner's privileges."
			       : "");
	}
	bh_map_free(owned, free_str);
}

/* ---- world-writable -------------------------------------------------------------------- */

#define MAX_LISTED 50

static void check_world_writable(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	size_t nfiles = 0, ndirs = 0;

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		struct bh_finding *fd;

		if (!(f->mode & 0002) || f->type == BH_FT_SYMLINK || f->type == BH_FT_CHAR ||
		    f->type == BH_FT_BLOCK || f->type == BH_FT_WHITEOUT || f->type == BH_FT_OPAQUE)
			continue;
		if (f->type == BH_FT_DIR) {
			if (f->mode & 01000)
				continue;
			if (++ndirs > MAX_LISTED)
				continue;
			fd = add(r, CFG_WW_DIR, 0, (int)f->layer, f->path,
				 "World-writable directory without the sticky bit: /%s (%04o)",
				 f->path, f->mode & 07777);
			describe(fd,
				 "Directory /%s has mode %04o: any user can delete or replace "
				 "any file in it.",
				 f->path, f->mode & 07777);
		} else {
			if (++nfiles > MAX_LISTED)
				continue;
			fd = add(r, CFG_WW_FILE, 0, (int)f->layer, f->path,
				 "World-writable file: /%s (%04o)", f->path, f->mode & 07777);
			describe(fd, "/%s has mode %04o: any user in the container can change it.",
				 f->path, f->mode & 07777);
		}
	}
	if (nfiles > MAX_LISTED)
		describe(add(r, CFG_WW_FILE, 0, -1, NULL, "%zu more world-writable files",
			     nfiles - MAX_LISTED),
			 "Only the first %d are listed one by one.", MAX_LISTED);
	if (ndirs > MAX_LISTED)
		describe(add(r, CFG_WW_DIR, 0, -1, NULL,
			     "%zu more world-writable directories without the sticky bit",
			     ndirs - MAX_LISTED),
			 "Only the first %d are listed one by one.", MAX_LISTED);
}

/* ---- caches and .git -------------------------------------------------------------------- */

struct cache {
	const char *what, *dir;
	size_t files;
	uint64_t bytes;
	unsigned layer;
};

/* The caches: a path prefix, or a marker anywhere in the path (per user). */
static const struct {
	const char *what, *prefix, *marker;
} caches[] = {
	{ "apt package lists", "var/lib/apt/lists/", NULL },
	{ "apt package archives", "var/cache/apt/", NULL },
	{ "apk cache", "var/cache/apk/", NULL },
	{ "pip cache", NULL, ".cache/pip/" },
	{ "npm cache", NULL, ".npm/_cacache/" },
	{ "dnf cache", "var/cache/dnf/", NULL },
	{ "yum cache", "var/cache/yum/", NULL },
	{ "yarn cache", NULL, ".cache/yarn/" },
};

#define NCACHES (sizeof(caches) / sizeof(caches[0]))

static int cache_kind(const char *p, size_t *dirlen)
{
	const char *b = basename_of(p);

	for (size_t k = 0; k < NCACHES; k++) {
		const char *m;

		if (caches[k].prefix && bh_str_has_prefix(p, caches[k].prefix)) {
			/* apt: the lists (not the lock, not partial downloads), and the
			 * archives and binary caches under var/cache/apt. */
			if (k == 0 && (!strcmp(b, "lock") || strstr(p, "/partial/")))
				return -1;
			if (k == 1 && !bh_str_has_suffix(p, ".deb") &&
			    !bh_str_has_suffix(p, ".bin"))
				return -1;
			*dirlen = strlen(caches[k].prefix) - 1;
			return (int)k;
		}
		if (caches[k].marker && (m = strstr(p, caches[k].marker)) &&
		    (m == p || m[-1] == '/')) {
			*dirlen = (size_t)(m - p) + strlen(caches[k].marker) - 1;
			return (int)k;
		}
	}
	return -1;
}

static void check_caches(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	struct {
		char *dir;
		size_t files;
		uint64_t bytes;
		unsigned layer;
	} c[NCACHES];

	memset(c, 0, sizeof(c));
	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		size_t dl;
		int k;

		if (f->type != BH_FT_REG || (k = cache_kind(f->path, &dl)) < 0)
			continue;
		if (!c[k].dir)
			c[k].dir = bh_strndup(f->path, dl);
		c[k].files++;
		c[k].bytes += f->size;
		if (f->layer > c[k].layer)
			c[k].layer = f->layer;
	}
	for (size_t k = 0; k < NCACHES; k++) {
		char hs[32];
		struct bh_finding *f;

		if (!c[k].files)
			continue;
		bh_human_size(c[k].bytes, hs, sizeof(hs));
		f = add(r, CFG_CACHE, 0, (int)c[k].layer, c[k].dir,
			"%s left in the image: /%s (%zu files, %s)", caches[k].what, c[k].dir,
			c[k].files, hs);
		describe(f,
			 "/%s holds %zu files (%s) of the %s: they make the image bigger, go "
			 "stale, and tell an attacker where packages come from.",
			 c[k].dir, c[k].files, hs, caches[k].what);
		free(c[k].dir);
	}
}

static void check_git(struct run *r)
{
	const struct bh_fileset *fs = r->in->merged;
	const char *last = NULL;
	size_t nlast = 0;

	for (size_t i = 0; i < fs->nfiles; i++) {
		const struct bh_file *f = &fs->files[i];
		struct bh_finding *fd;

		if (f->type != BH_FT_DIR || strcmp(basename_of(f->path), ".git"))
			continue;
		if (last && !strncmp(f->path, last, nlast) && f->path[nlast] == '/')
			continue;
		last = f->path;
		nlast = strlen(last);
		fd = add(r, CFG_GIT, 0, (int)f->layer, f->path, ".git directory in the image: /%s",
			 f->path);
		{
			char *cfg = bh_asprintf("%s/config", f->path);
			const struct bh_file *c = content_merged_find(fs, cfg);

			describe(fd,
				 "/%s is a git repository%s: its history (and anything ever "
				 "committed to it) ships with the image.",
				 f->path,
				 c ? " with a config file (remotes, maybe credentials)" : "");
			free(cfg);
		}
	}
}

/* ---- credential files (hits: they are followed through the layers) --------------------- */

/* Lines "key<sep>value" where key (case-insensitive) ends a name in `keys`;
 * the first non-placeholder value. */
static bool find_kv(const char *d, size_t n, const char *const *keys, size_t nk, const char **key,
		    const char **val, size_t *vlen, long *line)
{
	const char *p = d, *end = d + n;
	long ln = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;

		ln++;
		for (size_t k = 0; k < nk; k++) {
			size_t m = strlen(keys[k]);

			for (const char *q = p; q + m <= le; q++) {
				const char *v, *ve;

				if (strncasecmp(q, keys[k], m))
					continue;
				v = q + m;
				while (v < le &&
				       (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
					v++;
				if (v < le && (*v == '=' || *v == ':'))
					v++;
				else if (!(v > q + m && v[-1] != '"'))
					continue;
				while (v < le &&
				       (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
					v++;
				ve = v;
				while (ve < le && *ve != ' ' && *ve != '\t' && *ve != '"' &&
				       *ve != '\'' && *ve != '\r' && *ve != ',' && *ve != '<')
					ve++;
				if (ve == v || content_looks_placeholder((const unsigned char *)v,
									 (size_t)(ve - v)))
					continue;
				*key = keys[k];
				*val = v;
				*vlen = (size_t)(ve - v);
				*line = ln;
				return true;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

void content_checks_cred_file(const struct capture *cap, struct hitlist *out)
{
	static const char *const npm[] = { "_authToken", "_auth", "_password" };
	static const char *const pypi[] = { "password" };
	static const char *const netrc[] = { "password" };
	static const char *const kube[] = { "token", "client-key-data", "password" };
	static const char *const gem[] = { ":rubygems_api_key" };
	static const char *const cargo[] = { "token" };
	static const char *const composer[] = { "\"password\"", "\"github-oauth\"", "\"token\"" };
	static const char *const maven[] = { "<password>" };
	static const char *const gh[] = { "oauth_token" };
	static const char *const yarn[] = { "npmAuthToken", "npmAuthIdent" };
	const char *b = basename_of(cap->path), *key = NULL, *val = NULL, *tool;
	const char *const *keys = NULL;
	size_t nk = 0, vlen = 0;
	long line = 0;
	struct hit *h;
	char shown[16], fp[13];

#define KEYS(a) (keys = (a), nk = sizeof(a) / sizeof((a)[0]))
	if (!strcmp(b, ".npmrc") || !strcmp(b, "npmrc"))
		tool = "npm", KEYS(npm);
	else if (!strcmp(b, ".pypirc"))
		tool = "PyPI (twine)", KEYS(pypi);
	else if (!strcmp(b, ".netrc"))
		tool = "netrc", KEYS(netrc);
	else if (bh_str_has_suffix(cap->path, ".kube/config"))
		tool = "kubectl", KEYS(kube);
	else if (bh_str_has_suffix(cap->path, ".gem/credentials"))
		tool = "RubyGems", KEYS(gem);
	else if (strstr(cap->path, ".cargo/credentials"))
		tool = "Cargo", KEYS(cargo);
	else if (bh_str_has_suffix(cap->path, ".composer/auth.json"))
		tool = "Composer", KEYS(composer);
	else if (bh_str_has_suffix(cap->path, ".m2/settings.xml"))
		tool = "Maven", KEYS(maven);
	else if (bh_str_has_suffix(cap->path, ".config/gh/hosts.yml"))
		tool = "GitHub CLI", KEYS(gh);
	else if (!strcmp(b, ".yarnrc.yml"))
		tool = "Yarn", KEYS(yarn);
	else
		tool = NULL;
#undef KEYS
	if (bh_str_has_suffix(cap->path, ".docker/config.json")) {
		json_t *j = NULL, *auths;
		const char *reg, *first = NULL;
		json_t *v;
		struct bh_buf all = BH_BUF_INIT(1u << 20);
		size_t n = 0;

		tool = "Docker";
		if (bh_json_parse(cap->data, cap->len, 1u << 20, cap->path, &j, NULL) < 0)
			return;
		auths = bh_json_obj(j, "auths");
		json_object_foreach (auths, reg, v) {
			const char *a = bh_json_str(v, "auth"),
				   *t = bh_json_str(v, "identitytoken");

			if ((a && *a) || (t && *t)) {
				bh_buf_adds(&all, a && *a ? a : t, NULL);
				if (!n++)
					first = reg;
			}
		}
		if (n) {
			h = content_hitlist_add(out);
			h->id = bh_strdup(checks[CFG_CRED_FILE].id);
			h->kind = BH_FIND_CONFIG;
			h->severity = checks[CFG_CRED_FILE].severity;
			h->countermeasure = checks[CFG_CRED_FILE].countermeasure;
			h->title = bh_asprintf("Docker registry credentials in /%s (%s%s)",
					       cap->path, first, n > 1 ? " and more" : "");
			h->description = bh_asprintf("/%s holds credentials for %zu registr%s",
						     cap->path, n, n == 1 ? "y" : "ies");
			h->remediation = checks[CFG_CRED_FILE].remediation;
			h->path = bh_strdup(cap->path);
			h->layer = cap->layer;
			content_fingerprint(all.data, all.len, h->fp);
		}
		bh_buf_release(&all);
		json_decref(j);
		return;
	}
	if (!strcmp(b, ".git-credentials") || bh_str_has_suffix(cap->path, "pip/pip.conf") ||
	    bh_str_has_suffix(cap->path, "etc/pip.conf")) {
		/* URLs with user:password@ */
		const char *p = memmem(cap->data, cap->len, "://", 3);

		tool = !strcmp(b, ".git-credentials") ? "git" : "pip";
		while (p) {
			const char *s = p + 3, *at, *colon,
				   *le = memchr(s, '\n', cap->len - (size_t)(s - cap->data));

			if (!le)
				le = cap->data + cap->len;
			at = memchr(s, '@', (size_t)(le - s));
			colon = at ? memchr(s, ':', (size_t)(at - s)) : NULL;
			if (colon && at - colon > 1 &&
			    !content_looks_placeholder((const unsigned char *)colon + 1,
						       (size_t)(at - colon - 1))) {
				key = "user:password@ in a URL";
				val = colon + 1;
				vlen = (size_t)(at - colon - 1);
				line = 1;
				for (const char *q = cap->data; q < p; q++)
					line += *q == '\n';
				break;
			}
			p = memmem(le, cap->len - (size_t)(le - cap->data), "://", 3);
		}
		if (!val)
			return;
	} else if (!tool || !find_kv(cap->data, cap->len, keys, nk, &key, &val, &vlen, &line)) {
		return;
	}
	content_redact((const unsigned char *)val, vlen, shown, sizeof(shown));
	content_fingerprint(val, vlen, fp);
	h = content_hitlist_add(out);
	h->id = bh_strdup(checks[CFG_CRED_FILE].id);
	h->kind = BH_FIND_CONFIG;
	h->severity = checks[CFG_CRED_FILE].severity;
	h->countermeasure = checks[CFG_CRED_FILE].countermeasure;
	h->title = bh_asprintf("%s credentials in /%s (%s): %s (sha256:%s)", tool, cap->path, key,
			       shown, fp);
	h->description = bh_asprintf("/%s, the %s configuration, holds a credential (%s)",
				     cap->path, tool, key);
	h->remediation = checks[CFG_CRED_FILE].remediation;
	h->path = bh_strdup(cap->path);
	h->line = line;
	h->layer = cap->layer;
	memcpy(h->fp, fp, sizeof(fp));
}

/* ---- all of them ---------------------------------------------------------------------- */

int content_checks_run(const struct checks_in *in, bool (*skip)(const void *ctx, const char *id),
		       const void *ctx, struct bh_findings *out, struct bh_error **err)
{
	static const char *const ssh_pkgs[] = { "openssh-server", "openssh-sshd",
						"dropbear",	  "dropbear-bin",
						"tinysshd",	  "openssh-server-pam" };
	static const char *const ssh_files[] = { "usr/sbin/sshd", "sbin/sshd", "usr/sbin/dropbear",
						 "usr/bin/dropbear", "usr/sbin/tinysshd" };
	static const char *const sudo_pkgs[] = { "sudo", "sudo-ldap" };
	static const char *const sudo_files[] = { "usr/bin/sudo", "bin/sudo" };
	struct run r = { in, skip, ctx, out };
	struct bh_fileset empty = { NULL, 0 };
	struct checks_in in2;

	if (!in->merged) {
		in2 = *in;
		in2.merged = &empty;
		r.in = &in2;
		bh_warn("configuration checks: no merged filesystem; file checks are skipped");
	}
	check_user(&r);
	check_config_secrets(&r);
	check_history(&r);
	check_packages(&r, CFG_SSHD, ssh_pkgs, sizeof(ssh_pkgs) / sizeof(ssh_pkgs[0]), ssh_files,
		       sizeof(ssh_files) / sizeof(ssh_files[0]), "SSH server");
	check_ports(&r);
	check_packages(&r, CFG_SUDO, sudo_pkgs, sizeof(sudo_pkgs) / sizeof(sudo_pkgs[0]),
		       sudo_files, sizeof(sudo_files) / sizeof(sudo_files[0]), "sudo");
	check_setuid(&r);
	check_world_writable(&r);
	check_healthcheck(&r);
	check_latest(&r);
	check_caches(&r);
	check_git(&r);
	(void)err;
	return 0;
}
