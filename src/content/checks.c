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

#include "bulkhead/content.h"
#include "checks.h"
#include "banned.h"

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

const struct bh_content_check *content_check_def(enum cfg k)
{
	return &checks[k];
}

/* ---- findings ---------------------------------------------------------------------- */

struct bh_finding *content_check_add(struct run *r, enum cfg k, enum bh_severity sev, int layer,
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

void content_check_describe(struct bh_finding *f, const char *fmt, ...)
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
		f = content_check_add(r, CFG_ROOT, 0, -1, NULL, "Image runs as root (no USER set)");
		content_check_describe(
			f, "The image config sets no User, so its processes run as root (UID 0) "
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
		const struct capture *pw =
			content_live_capture(r->in->caps, r->in->merged, "etc/passwd");
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
	f = content_check_add(r, CFG_ROOT, 0, -1, NULL, "Image runs as root (User '%s')", u);
	content_check_describe(
		f, "The image config sets User '%s', which is %s: its processes run as root.", u,
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
	f = content_check_add(r, CFG_CONFIG_SECRET, sev, -1, NULL,
			      "Secret in the image config: %s %.*s=%s (sha256:%s)", where,
			      (int)nlen, name, shown, fp);
	content_check_describe(
		f,
		"%s %.*s %s%s%s; the value is shown redacted, with the first 12 hex digits of "
		"its SHA-256.",
		where, (int)nlen, name,
		token ? "holds a " : "has a name that says it holds a credential",
		token ? content_secret_rule(sf.rule)->title : "", token ? "" : "");
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
			struct bh_finding *f =
				content_check_add(r, CFG_PORT22, 0, -1, NULL,
						  "Port 22 (SSH) exposed: ExposedPorts %s", p);

			content_check_describe(
				f,
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
	f = content_check_add(r, CFG_HEALTHCHECK, 0, -1, NULL,
			      "No HEALTHCHECK in the image config");
	content_check_describe(
		f, "Without a health check, a process that hangs but does not exit is not "
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
		f = content_check_add(r, CFG_LATEST, 0, -1, NULL,
				      "Image referenced by the 'latest' tag: %s", ref);
	} else if (tag_is_latest(name)) {
		f = content_check_add(r, CFG_LATEST, 0, -1, NULL, "Image tagged 'latest': %s",
				      name);
	} else {
		return;
	}
	content_check_describe(
		f, "'latest' moves: the image scanned now need not be the one deployed later, "
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
			f = content_check_add(r, CFG_ADD_URL, 0, layer, NULL,
					      "ADD of a remote URL: %s", is.url);
			content_check_describe(
				f,
				"History entry %zu adds %s without a checksum: what was "
				"downloaded is whatever the server sent at build time.",
				i + 1, is.url);
		}
		if (is.flags & BH_HIST_PIPE_SHELL) {
			f = content_check_add(r, CFG_PIPE_SHELL, 0, layer, NULL,
					      "Downloaded script piped into a shell: %.120s",
					      is.fetcher);
			content_check_describe(
				f,
				"History entry %zu runs a script straight from the network "
				"(%.200s): nothing checks what it was.",
				i + 1, is.fetcher);
		}
		if (is.flags & BH_HIST_SECRET) {
			size_t vl = strlen(is.value);
			char shown[16], fp[13];

			content_redact((const unsigned char *)is.value, vl, shown, sizeof(shown));
			content_fingerprint(is.value, vl, fp);
			f = content_check_add(r, CFG_HISTORY_SECRET, 0, layer, NULL,
					      "Secret in the build history: %s=%s (sha256:%s)",
					      is.name, shown, fp);
			content_check_describe(
				f,
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
			fd = content_check_add(r, k, 0, (int)p->layer, NULL,
					       "%s installed: package %s %s", what, p->name,
					       p->version ? p->version : "");
			if (fd) {
				fd->pkg = i;
				content_check_describe(fd,
						       "Package %s %s (%s, layer %u) is installed.",
						       p->name, p->version ? p->version : "",
						       bh_pkg_type_name(p->type), p->layer + 1);
			}
			found = true;
		}
	}
	if (found || !(f = find_file(r->in, paths, np)))
		return;
	fd = content_check_add(r, k, 0, (int)f->layer, f->path, "%s installed: /%s", what, f->path);
	content_check_describe(fd, "/%s is in the image (no package database names it).", f->path);
}

/* ---- all of them ---------------------------------------------------------------------- */

static void check_sshd(struct run *r)
{
	static const char *const pkgs[] = {
		"openssh-server", "openssh-sshd", "dropbear",
		"dropbear-bin",	  "tinysshd",	  "openssh-server-pam"
	};
	static const char *const files[] = { "usr/sbin/sshd", "sbin/sshd", "usr/sbin/dropbear",
					     "usr/bin/dropbear", "usr/sbin/tinysshd" };

	check_packages(r, CFG_SSHD, pkgs, sizeof(pkgs) / sizeof(pkgs[0]), files,
		       sizeof(files) / sizeof(files[0]), "SSH server");
}

static void check_sudo(struct run *r)
{
	static const char *const pkgs[] = { "sudo", "sudo-ldap" };
	static const char *const files[] = { "usr/bin/sudo", "bin/sudo" };

	check_packages(r, CFG_SUDO, pkgs, sizeof(pkgs) / sizeof(pkgs[0]), files,
		       sizeof(files) / sizeof(files[0]), "sudo");
}

/* Every check, in the order their findings are reported. */
static void (*const steps[])(struct run *r) = {
	check_user,	   check_config_secrets, check_history,	       check_sshd,
	check_ports,	   check_sudo,		 content_check_setuid, content_check_world_writable,
	check_healthcheck, check_latest,	 content_check_caches, content_check_git,
};

int content_checks_run(const struct checks_in *in, bool (*skip)(const void *ctx, const char *id),
		       const void *ctx, struct bh_findings *out, struct bh_error **err)
{
	struct run r = { in, skip, ctx, out };
	struct bh_fileset empty = { NULL, 0 };
	struct checks_in in2;

	if (!in->merged) {
		in2 = *in;
		in2.merged = &empty;
		r.in = &in2;
		bh_warn("configuration checks: no merged filesystem; file checks are skipped");
	}
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		steps[i](&r);
	(void)err;
	return 0;
}
