/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container inventory (bh_ctr_list) and attribution (bh_ctr_lookup_*).
 *
 * For each runtime row (containers_runtimes.c) and each of its state roots
 * (defaults plus opts->state_roots), every <root>/<id>/<state file> is read
 * and parsed; then, per container:
 *   status    the init alive (its /proc/PID/stat start time equal to the
 *             recorded one, so a reused pid is not taken for it): "created"
 *             while the exec fifo exists or the state says so, "paused" when
 *             its freezer says FROZEN, else "running"; a dead init "stopped"
 *   cgroups   the live init's /proc/PID/cgroup (the kernel's word), else the
 *             directories the state recorded, turned into paths inside their
 *             hierarchies through the cgroup mounts of <root>/proc/self/mountinfo;
 *             each directory's kernfs id through name_to_handle_at (the id BPF
 *             reads), st_ino where that is refused
 *   config    crun's copy in its state directory, else <bundle>/config.json;
 *             the raw document and the runtime's typed parse (bh_rt_spec_parse)
 *   engine    the first row of ctr_engines that claims it, else the runtime;
 *             then each engine adds what it records (names, images, labels)
 * Everything is read inside opts->root (openat2 RESOLVE_IN_ROOT), final
 * symlinks refused, regular files only, each bounded.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkhead/runtime.h"
#include "containers_internal.h"

#include "banned.h"

static const char *const engine_names[] = {
	[BH_CTR_UNKNOWN] = "unknown",
	[BH_CTR_BULKHEAD] = "bulkhead",
	[BH_CTR_RUNC] = "runc",
	[BH_CTR_CRUN] = "crun",
	[BH_CTR_PODMAN] = "podman",
	[BH_CTR_DOCKER] = "docker",
	[BH_CTR_CONTAINERD] = "containerd",
	[BH_CTR_CRIO] = "cri-o",
};

const char *bh_ctr_engine_name(enum bh_ctr_engine e)
{
	if ((size_t)e >= sizeof(engine_names) / sizeof(engine_names[0]))
		return "unknown";
	return engine_names[e];
}

enum bh_ctr_engine bh_ctr_engine_parse(const char *name)
{
	size_t i;

	for (i = 1; name && i < sizeof(engine_names) / sizeof(engine_names[0]); i++)
		if (!strcmp(name, engine_names[i]))
			return (enum bh_ctr_engine)i;
	if (name && !strcmp(name, "crio"))
		return BH_CTR_CRIO;
	return BH_CTR_UNKNOWN;
}

/* ---- helpers --------------------------------------------------------------------- */

void ctr_set(char **field, const char *v)
{
	char *n = v ? bh_strdup(v) : NULL;

	free(*field);
	*field = n;
}

void ctr_warn(struct ctr_scan *s, const char *fmt, ...)
{
	va_list ap;
	struct bh_buf b = BH_BUF_INIT(4096);

	if (s->warnings.n >= 1000)
		return;
	va_start(ap, fmt);
	if (bh_buf_vaddf(&b, NULL, fmt, ap) < 0)
		bh_buf_adds(&b, "(a warning too long to keep)", NULL);
	va_end(ap);
	bh_strvec_push_take(&s->warnings, bh_buf_detach(&b, NULL));
}

int ctr_read_path(int rootfd, const char *path, bool regular, struct bh_buf *b,
		  struct bh_error **err)
{
	struct bh_error *e = NULL;
	int fd, r;

	fd = bh_root_openat(rootfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, &e);
	if (fd < 0) {
		int en = bh_error_errno(e);
		bh_error_free(e);
		if (en == ENOENT || en == ENOTDIR)
			return bh_error_set(err, BH_ERR_NOTFOUND, "%s: not found", path);
		if (en == ELOOP)
			return bh_error_set(err, BH_ERR_UNSAFE, "%s: a symlink, not followed",
					    path);
		return bh_error_sys(err, en, "%s", path);
	}
	r = regular ? bh_read_fd_regular(fd, path, b, err) : bh_buf_read_fd(b, fd, path, err);
	close(fd);
	return r;
}

int ctr_read(int rootfd, const char *path, struct bh_buf *b, struct bh_error **err)
{
	return ctr_read_path(rootfd, path, true, b, err);
}

int ctr_read_json(int rootfd, const char *path, size_t max, json_t **out, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(max);
	int r;

	r = ctr_read(rootfd, path, &b, err);
	if (r == 0)
		r = bh_json_parse(b.data ? b.data : "", b.len, max, path, out, err);
	bh_buf_release(&b);
	return r < 0 ? -1 : 0;
}

json_t *ctr_string_object(const json_t *j)
{
	json_t *o = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)j, k, v)
		if (json_is_string(v))
			json_object_set(o, k, v);
	return o;
}

/* ---- /proc ------------------------------------------------------------------------ */

int bh_ctr_parse_proc_cgroup(const char *buf, size_t len, struct bh_ctr *c, struct bh_error **err)
{
	const char *line = buf, *end = buf + len;

	if (memchr(buf, 0, len))
		return bh_error_set(err, BH_ERR_INVALID, "cgroup file: a NUL byte");
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *le = nl ? nl : end;
		const char *c1 = memchr(line, ':', (size_t)(le - line)), *c2;
		char *ctl, *path;

		if (le == line) {
			line = nl ? nl + 1 : end;
			continue;
		}
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		if (!c1 || !c2 || c2 + 1 >= le || c2[1] != '/')
			return bh_error_set(err, BH_ERR_INVALID, "cgroup file: a malformed line");
		if (c->ncgroups >= CTR_MAX_CGROUPS)
			return bh_error_set(err, BH_ERR_LIMIT, "cgroup file: over %d hierarchies",
					    CTR_MAX_CGROUPS);
		ctl = bh_asprintf("%.*s", (int)(c2 - c1 - 1), c1 + 1);
		path = bh_asprintf("%.*s", (int)(le - c2 - 1), c2 + 1);
		c->cgroups = bh_reallocarray(c->cgroups, c->ncgroups + 1, sizeof(*c->cgroups));
		c->cgroups[c->ncgroups].controller = ctl;
		c->cgroups[c->ncgroups].path = path;
		c->cgroups[c->ncgroups].id = 0;
		c->ncgroups++;
		line = nl ? nl + 1 : end;
	}
	return 0;
}

/* Field 22 of /proc/PID/stat (after the parenthesised comm, which may hold anything). */
int ctr_proc_start_time(int rootfd, pid_t pid, uint64_t *out)
{
	struct bh_buf b = BH_BUF_INIT(8192);
	char *path = bh_asprintf("/proc/%d/stat", (int)pid), *p, *q;
	int field = 3, r = -1;

	if (ctr_read_path(rootfd, path, false, &b, NULL) < 0 || !b.data)
		goto out;
	p = strrchr(b.data, ')');
	if (!p)
		goto out;
	p += 2;
	while (field < 22 && (q = strchr(p, ' '))) {
		p = q + 1;
		field++;
	}
	if (field == 22) {
		q = strchr(p, ' ');
		if (q)
			*q = 0;
		if (bh_parse_u64(p, out, NULL) == 0)
			r = 0;
	}
out:
	bh_buf_release(&b);
	free(path);
	return r;
}

static int read_proc_cgroup(int rootfd, pid_t pid, struct bh_ctr *c, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(CTR_CGROUP_MAX);
	char *path = bh_asprintf("/proc/%d/cgroup", (int)pid);
	int r;

	r = ctr_read_path(rootfd, path, false, &b, err);
	if (r == 0)
		r = bh_ctr_parse_proc_cgroup(b.data ? b.data : "", b.len, c, err);
	bh_buf_release(&b);
	free(path);
	return r;
}

/* ---- one container ---------------------------------------------------------------- */

void bh_ctr_release(struct bh_ctr *c)
{
	size_t i;

	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->runtime);
	free(c->state_dir);
	free(c->image);
	free(c->image_id);
	free(c->image_digest);
	free(c->pod_name);
	free(c->pod_namespace);
	free(c->pod_uid);
	json_decref(c->labels);
	json_decref(c->annotations);
	free(c->status);
	free(c->created);
	free(c->bundle);
	json_decref(c->config);
	bh_rt_spec_free(c->spec);
	free(c->config_error);
	for (i = 0; i < c->ncgroups; i++) {
		free(c->cgroups[i].controller);
		free(c->cgroups[i].path);
	}
	free(c->cgroups);
	memset(c, 0, sizeof(*c));
}

static void drop_cgroups(struct bh_ctr *c)
{
	size_t i;

	for (i = 0; i < c->ncgroups; i++) {
		free(c->cgroups[i].controller);
		free(c->cgroups[i].path);
	}
	free(c->cgroups);
	c->cgroups = NULL;
	c->ncgroups = 0;
}

static void load_config(struct ctr_scan *s, struct bh_ctr *c, const struct ctr_runtime *rt)
{
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(CTR_STATE_MAX);
	char *path = NULL;
	json_t *ann;
	int r = -1;

	/* crun keeps its own copy; the bundle's may be gone or changed since */
	if (!strcmp(rt->name, "crun")) {
		path = bh_asprintf("%s/config.json", c->state_dir);
		r = ctr_read(s->rootfd, path, &b, &err);
		if (r < 0 && bh_error_code(err) == BH_ERR_NOTFOUND) {
			bh_error_clear(&err);
			free(path);
			path = NULL;
		}
	}
	if (!path && c->bundle && c->bundle[0] == '/') {
		path = bh_asprintf("%s/config.json", c->bundle);
		r = ctr_read(s->rootfd, path, &b, &err);
	}
	if (!path) {
		c->config_error = bh_strdup("no bundle recorded");
		goto out;
	}
	if (r == 0)
		r = bh_json_parse(b.data ? b.data : "", b.len, CTR_STATE_MAX, path, &c->config,
				  &err);
	if (r == 0 && !json_is_object(c->config)) {
		json_decref(c->config);
		c->config = NULL;
		r = bh_error_set(&err, BH_ERR_INVALID, "%s: not an object", path);
	}
	if (r < 0) {
		c->config_error = bh_error_message(err);
		goto out;
	}
	ann = json_object_get(c->config, "annotations");
	if (json_is_object(ann)) {
		json_t *o = ctr_string_object(ann);
		json_object_update_missing(c->annotations, o);
		json_decref(o);
	}
	if (bh_rt_spec_parse(b.data, b.len, &c->spec, &err) < 0) {
		char *m = bh_error_message(err);
		c->config_error = bh_asprintf("%s: %s", path, m);
		free(m);
		c->spec = NULL;
	}
out:
	bh_error_free(err);
	bh_buf_release(&b);
	free(path);
}

static bool path_exists(int rootfd, const char *path)
{
	int fd = bh_root_openat(rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool frozen(int rootfd, const struct ctr_mounts *m, const struct bh_ctr *c)
{
	const struct ctr_mnt *x = ctr_mount_of(m, "freezer");
	struct bh_buf b = BH_BUF_INIT(256);
	bool r = false;
	size_t i;

	for (i = 0; x && i < c->ncgroups; i++) {
		if (ctr_ctl_covers(c->cgroups[i].controller, "freezer")) {
			char *p = bh_asprintf("%s%s/freezer.state", x->dir, c->cgroups[i].path);
			if (ctr_read_path(rootfd, p, false, &b, NULL) == 0 && b.data)
				r = bh_str_has_prefix(b.data, "FROZEN");
			free(p);
			break;
		}
	}
	bh_buf_release(&b);
	return r;
}

/* Status, cgroups and their ids of a parsed container. */
static void settle(struct ctr_scan *s, const struct ctr_mounts *m, struct bh_ctr *c)
{
	struct bh_error *err = NULL;
	uint64_t start = 0;
	bool alive = false;
	size_t i;

	if (c->pid > 0 && ctr_proc_start_time(s->rootfd, c->pid, &start) == 0)
		alive = !c->pid_start || start == c->pid_start;
	if (alive) {
		struct bh_ctr tmp = { 0 };
		if (read_proc_cgroup(s->rootfd, c->pid, &tmp, &err) == 0) {
			drop_cgroups(c);
			c->cgroups = tmp.cgroups;
			c->ncgroups = tmp.ncgroups;
		} else {
			bh_error_free(err);
			drop_cgroups(&tmp);
		}
	}
	/* directories recorded by the state: paths inside their hierarchies */
	for (i = 0; i < c->ncgroups; i++) {
		struct bh_ctr_cgroup *g = &c->cgroups[i];
		if (!strcmp(g->controller, "*")) {
			/* crun: one path in every hierarchy */
			size_t k, n0 = c->ncgroups;
			free(g->controller);
			g->controller = bh_strdup(m->n ? m->v[0].controllers : "");
			for (k = 1; k < m->n && n0 + k - 1 < CTR_MAX_CGROUPS; k++) {
				c->cgroups = bh_reallocarray(c->cgroups, c->ncgroups + 1,
							     sizeof(*c->cgroups));
				c->cgroups[c->ncgroups].controller = bh_strdup(m->v[k].controllers);
				c->cgroups[c->ncgroups].path = bh_strdup(c->cgroups[i].path);
				c->cgroups[c->ncgroups].id = 0;
				c->ncgroups++;
			}
		} else if (g->path[0] == '/' && bh_str_has_prefix(g->path, "/sys/fs/cgroup")) {
			const char *ctl = g->controller;
			char *p = ctr_dir_to_path(m, g->path, &ctl);
			if (p) {
				char *cc = bh_strdup(ctl);
				free(g->controller);
				free(g->path);
				g->controller = cc;
				g->path = p;
			}
		}
	}
	for (i = 0; i < c->ncgroups; i++)
		c->cgroups[i].id =
			ctr_cgroup_id(s->rootfd, m, c->cgroups[i].controller, c->cgroups[i].path);
	if (!alive) {
		ctr_set(&c->status, "stopped");
	} else {
		char *fifo = bh_asprintf("%s/exec.fifo", c->state_dir);
		bool created = (c->status && !strcmp(c->status, "created")) ||
			       path_exists(s->rootfd, fifo);
		free(fifo);
		ctr_set(&c->status, created		      ? "created"
				    : frozen(s->rootfd, m, c) ? "paused"
							      : "running");
	}
}

static bool id_ok(const char *id)
{
	size_t i;

	if (!*id || !strcmp(id, ".") || !strcmp(id, "..") || strlen(id) > 1024)
		return false;
	for (i = 0; id[i]; i++)
		if (!bh_isalnum((unsigned char)id[i]) && !strchr("_+.-", id[i]))
			return false;
	return true;
}

static void read_one(struct ctr_scan *s, const struct ctr_mounts *m, const struct ctr_runtime *rt,
		     const char *root, const char *id)
{
	struct bh_error *err = NULL;
	struct bh_buf b = BH_BUF_INIT(CTR_STATE_MAX);
	struct bh_ctr c = { 0 };
	char *dir = bh_asprintf("%s/%s", root, id);
	char *path = bh_asprintf("%s/%s", dir, rt->state_file);
	const struct ctr_engine *e;
	size_t k;

	for (k = 0; k < s->n; k++)
		if (!strcmp(s->v[k].state_dir, dir))
			goto out; /* the same root named twice */
	if (ctr_read(s->rootfd, path, &b, &err) < 0) {
		if (bh_error_code(err) != BH_ERR_NOTFOUND) {
			char *msg = bh_error_message(err);
			ctr_warn(s, "%s: %s", rt->name, msg);
			free(msg);
		}
		goto out;
	}
	c.labels = json_object();
	c.annotations = json_object();
	if (rt->parse(b.data ? b.data : "", b.len, &c, &err) < 0) {
		char *msg = bh_error_message(err);
		ctr_warn(s, "%s: %s: %s", rt->name, path, msg);
		free(msg);
		goto out;
	}
	if (!c.id)
		c.id = bh_strdup(id);
	else if (strcmp(c.id, id)) {
		ctr_warn(s, "%s: %s: names container %s, not %s", rt->name, path, c.id, id);
		goto out;
	}
	c.runtime = bh_strdup(rt->name);
	c.state_dir = dir;
	dir = NULL;
	settle(s, m, &c);
	if (!strcmp(c.status, "stopped") && !s->opts->include_stopped)
		goto out;
	load_config(s, &c, rt);
	c.engine = rt->engine;
	for (e = ctr_engines; e->claims; e++)
		if (e->claims(&c)) {
			c.engine = e->engine;
			break;
		}
	bh_ctr_apply_annotations(&c);
	if (s->opts->engine && c.engine != s->opts->engine)
		goto out;
	if (s->n >= CTR_MAX_CONTAINERS) {
		ctr_warn(s, "over %d containers: the rest left out", CTR_MAX_CONTAINERS);
		goto out;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = bh_reallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = c;
	memset(&c, 0, sizeof(c));
out:
	bh_ctr_release(&c);
	bh_error_free(err);
	bh_buf_release(&b);
	free(path);
	free(dir);
}

/* Every entry of directory `dir` (inside the root) that is a directory itself. */
static void subdirs(struct ctr_scan *s, const char *dir, struct bh_strvec *out)
{
	struct dirent *de;
	DIR *d;
	int fd = bh_root_openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, NULL);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && out->n < CTR_MAX_CONTAINERS) {
		struct stat st;
		if (!id_ok(de->d_name) || de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		bh_strvec_push(out, de->d_name);
	}
	closedir(d);
}

static void scan_root(struct ctr_scan *s, const struct ctr_mounts *m, const struct ctr_runtime *rt,
		      const char *root)
{
	struct bh_strvec ids = BH_STRVEC_INIT;
	const char *star = strstr(root, "/*");
	size_t i;

	if (star && star[2] == 0) {
		/* one level of namespaces (containerd's <root>/<ns>/<id>) */
		char *parent = bh_asprintf("%.*s", (int)(star - root), root);
		struct bh_strvec ns = BH_STRVEC_INIT;
		subdirs(s, parent, &ns);
		for (i = 0; i < ns.n; i++) {
			char *r = bh_asprintf("%s/%s", parent, ns.v[i]);
			scan_root(s, m, rt, r);
			free(r);
		}
		bh_strvec_release(&ns);
		free(parent);
		return;
	}
	subdirs(s, root, &ids);
	for (i = 0; i < ids.n; i++)
		/* bulkhead's own quarantine and guard records, not containers */
		if (rt->engine != BH_CTR_BULKHEAD || !bh_rt_id_reserved(ids.v[i]))
			read_one(s, m, rt, root, ids.v[i]);
	bh_strvec_release(&ids);
}

static int cmp_ctr(const void *a, const void *b)
{
	const struct bh_ctr *x = a, *y = b;

	if (x->engine != y->engine)
		return (int)x->engine - (int)y->engine;
	return strcmp(x->id, y->id);
}

/* A state root RUNTIME:/DIR (bh_ctr_opts.state_roots): its runtime and DIR. */
static int state_root_parse(const char *sr, const struct ctr_runtime **rt, const char **dir,
			    struct bh_error **err)
{
	const char *colon = strchr(sr, ':');
	char *name = colon ? bh_asprintf("%.*s", (int)(colon - sr), sr) : NULL;

	*rt = name ? ctr_runtime_find(name) : NULL;
	free(name);
	/* a ".." would name a path outside root in bh_ctr_state_dirs (not in bh_ctr_list) */
	if (!*rt || colon[1] != '/' || strstr(colon, "/../") ||
	    (strlen(colon) >= 3 && !strcmp(colon + strlen(colon) - 3, "/..")))
		return bh_error_set(err, BH_ERR_USAGE,
				    "state root \"%s\": not RUNTIME:/DIR with RUNTIME "
				    "bulkhead, runc or crun (and no \"..\" in DIR)",
				    sr);
	*dir = colon + 1;
	return 0;
}

static void state_dir(struct ctr_scan *s, const char *prefix, const char *root,
		      struct bh_strvec *out)
{
	const char *star = strstr(root, "/*");
	struct bh_strvec ns = BH_STRVEC_INIT;
	char *parent;

	bh_strvec_pushf(out, "%s%s", prefix, root);
	if (!star || star[2])
		return;
	parent = bh_asprintf("%.*s", (int)(star - root), root);
	if (s->rootfd >= 0)
		subdirs(s, parent, &ns);
	for (size_t i = 0; i < ns.n; i++)
		bh_strvec_pushf(out, "%s%s/%s", prefix, parent, ns.v[i]);
	bh_strvec_release(&ns);
	free(parent);
}

int bh_ctr_state_dirs(const struct bh_ctr_opts *opts, struct bh_strvec *out, struct bh_error **err)
{
	static const struct bh_ctr_opts none = { 0 };
	struct ctr_scan s = { .opts = opts ? opts : &none };
	const char *root = s.opts->root && strcmp(s.opts->root, "/") ? s.opts->root : "";
	const struct ctr_runtime *rt;
	int rc = 0;

	s.rootfd = bh_root_open(*root ? root : "/", NULL);
	for (rt = ctr_runtimes; rt->name; rt++)
		for (size_t i = 0; rt->roots[i]; i++)
			state_dir(&s, root, rt->roots[i], out);
	for (size_t i = 0; s.opts->state_roots && s.opts->state_roots[i]; i++) {
		const char *dir;

		rc = state_root_parse(s.opts->state_roots[i], &rt, &dir, err);
		if (rc < 0)
			break;
		state_dir(&s, root, dir, out);
	}
	if (s.rootfd >= 0)
		close(s.rootfd);
	return rc;
}

void bh_ctr_list_free(struct bh_ctr_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		bh_ctr_release(&l->v[i]);
	free(l->v);
	for (i = 0; i < l->nwarnings; i++)
		free(l->warnings[i]);
	free(l->warnings);
	free(l);
}

/* The list of scan s (an ID for a name where none was found; sorted when
 * `sort`), its mounts released and its root closed. */
static struct bh_ctr_list *scan_finish(struct ctr_scan *s, struct ctr_mounts *m, bool sort)
{
	struct bh_ctr_list *l;

	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].name)
			s->v[i].name = bh_strdup(s->v[i].id);
	if (sort && s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_ctr);
	l = bh_calloc(1, sizeof(*l));
	l->v = s->v;
	l->n = s->n;
	l->nwarnings = s->warnings.n;
	l->warnings = bh_strvec_detach(&s->warnings);
	ctr_mounts_release(m);
	close(s->rootfd);
	return l;
}

int bh_ctr_list(const struct bh_ctr_opts *opts, struct bh_ctr_list **out, struct bh_error **err)
{
	static const struct bh_ctr_opts none = { 0 };
	struct ctr_scan s = { .opts = opts ? opts : &none, .warnings = BH_STRVEC_INIT };
	struct ctr_mounts m = { 0 };
	const struct ctr_runtime *rt;
	const struct ctr_engine *e;
	size_t i;

	*out = NULL;
	s.rootfd = bh_root_open(s.opts->root ? s.opts->root : "/", err);
	if (s.rootfd < 0)
		return bh_error_prefix(err, "containers");
	ctr_mounts_load(s.rootfd, &m);
	for (rt = ctr_runtimes; rt->name; rt++)
		for (i = 0; rt->roots[i]; i++)
			scan_root(&s, &m, rt, rt->roots[i]);
	for (i = 0; s.opts->state_roots && s.opts->state_roots[i]; i++) {
		const char *dir;

		if (state_root_parse(s.opts->state_roots[i], &rt, &dir, err) < 0) {
			for (size_t k = 0; k < s.n; k++)
				bh_ctr_release(&s.v[k]);
			free(s.v);
			bh_strvec_release(&s.warnings);
			ctr_mounts_release(&m);
			close(s.rootfd);
			return -1;
		}
		scan_root(&s, &m, rt, dir);
	}
	for (e = ctr_engines; e->claims; e++)
		if (e->enrich)
			e->enrich(&s);
	*out = scan_finish(&s, &m, true);
	return 0;
}

/* dir (a path inside the root) DIR/ID of root (a runtime root or state root,
 * containerd's "/ *"-ending root: one level of namespaces): read as read_one does. */
/* Whether dir (inside the root) is a container directory of the state root
 * `root` (one ending in a star component: ROOT/NS/ID). */
static bool dir_of(const char *root, const char *dir)
{
	const char *slash = strrchr(dir, '/'), *star = strstr(root, "/*");
	size_t pl = slash ? (size_t)(slash - dir) : 0, rl = strlen(root);

	if (!slash || !id_ok(slash + 1) || slash[1] == '.')
		return false;
	if (star && star[2] == 0) {
		char *parent = bh_asprintf("%.*s", (int)pl, dir);
		const char *ns = strrchr(parent, '/');
		bool ok;

		rl = (size_t)(star - root);
		ok = ns && (size_t)(ns - parent) == rl && !strncmp(dir, root, rl) &&
		     id_ok(ns + 1) && ns[1] != '.';
		free(parent);
		return ok;
	}
	return pl == rl && !strncmp(dir, root, rl);
}

static bool read_dir_of(struct ctr_scan *s, const struct ctr_mounts *m,
			const struct ctr_runtime *rt, const char *root, const char *dir)
{
	const char *slash = strrchr(dir, '/');
	char *parent;

	if (!dir_of(root, dir))
		return false;
	parent = bh_asprintf("%.*s", (int)(slash - dir), dir);
	if (rt->engine != BH_CTR_BULKHEAD || !bh_rt_id_reserved(slash + 1))
		read_one(s, m, rt, parent, slash + 1);
	free(parent);
	return true;
}

const char *bh_ctr_dir_runtime(const struct bh_ctr_opts *opts, const char *dir)
{
	static const struct bh_ctr_opts none = { 0 };
	const struct bh_ctr_opts *o = opts ? opts : &none;
	const char *root = o->root && strcmp(o->root, "/") ? o->root : "";
	size_t plen = strlen(root);
	const struct ctr_runtime *rt;

	if (!dir || strncmp(dir, root, plen) || dir[plen] != '/' || strstr(dir, "/../"))
		return NULL;
	dir += plen;
	for (rt = ctr_runtimes; rt->name; rt++)
		for (size_t k = 0; rt->roots[k]; k++)
			if (dir_of(rt->roots[k], dir))
				return rt->name;
	for (size_t k = 0; o->state_roots && o->state_roots[k]; k++) {
		const char *sdir;
		struct bh_error *e = NULL;

		if (state_root_parse(o->state_roots[k], &rt, &sdir, &e) < 0) {
			bh_error_free(e);
			continue;
		}
		if (dir_of(sdir, dir))
			return rt->name;
	}
	return NULL;
}

int bh_ctr_list_dirs(const struct bh_ctr_opts *opts, const struct bh_strvec *dirs,
		     struct bh_ctr_list **out, struct bh_error **err)
{
	static const struct bh_ctr_opts none = { 0 };
	struct ctr_scan s = { .opts = opts ? opts : &none, .warnings = BH_STRVEC_INIT };
	const char *root = s.opts->root && strcmp(s.opts->root, "/") ? s.opts->root : "";
	size_t plen = strlen(root);
	struct ctr_mounts m = { 0 };

	*out = NULL;
	s.rootfd = bh_root_open(*root ? root : "/", err);
	if (s.rootfd < 0)
		return bh_error_prefix(err, "containers");
	ctr_mounts_load(s.rootfd, &m);
	for (size_t i = 0; dirs && i < dirs->n && i < BH_CTR_WATCH_DIRS; i++) {
		/* the host path back inside the root */
		const char *dir = dirs->v[i];
		const struct ctr_runtime *rt;
		bool done = false;

		if (strncmp(dir, root, plen) || dir[plen] != '/' || strstr(dir, "/../"))
			continue;
		dir += plen;
		for (rt = ctr_runtimes; rt->name && !done; rt++)
			for (size_t k = 0; rt->roots[k] && !done; k++)
				done = read_dir_of(&s, &m, rt, rt->roots[k], dir);
		for (size_t k = 0; s.opts->state_roots && s.opts->state_roots[k] && !done; k++) {
			const char *sdir;
			struct bh_error *e = NULL;

			if (state_root_parse(s.opts->state_roots[k], &rt, &sdir, &e) < 0) {
				bh_error_free(e);
				continue;
			}
			done = read_dir_of(&s, &m, rt, sdir, dir);
		}
	}
	*out = scan_finish(&s, &m, false);
	return 0;
}

/* ---- attribution ------------------------------------------------------------------ */

/* `path` is `base` or below it; base "/" never matches (a container's cgroup in
 * the root of a hierarchy, as crun's in the cgroup2 one here, says nothing). */
static size_t path_under(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (n <= 1 || strncmp(path, base, n) || (path[n] != '/' && path[n] != 0))
		return 0;
	return n;
}

const struct bh_ctr *bh_ctr_lookup_cgroup(const struct bh_ctr_list *l, const char *controller,
					  const char *path)
{
	const struct bh_ctr *best = NULL;
	size_t i, k, bl = 0;

	if (!l || !controller || !path)
		return NULL;
	for (i = 0; i < l->n; i++)
		for (k = 0; k < l->v[i].ncgroups; k++) {
			const struct bh_ctr_cgroup *g = &l->v[i].cgroups[k];
			size_t n;
			if (!ctr_ctl_same(g->controller, controller))
				continue;
			n = path_under(path, g->path);
			if (n > bl) {
				bl = n;
				best = &l->v[i];
			}
		}
	return best;
}

const struct bh_ctr *bh_ctr_lookup_cgroup_id(const struct bh_ctr_list *l,
					     const struct bh_ctr_opts *opts, uint64_t id)
{
	const struct bh_ctr *hit = NULL;
	struct ctr_mounts m = { 0 };
	size_t i, k;
	int rootfd;

	if (!l || id <= 1)
		return NULL;
	for (i = 0; i < l->n; i++)
		for (k = 0; k < l->v[i].ncgroups; k++)
			if (l->v[i].cgroups[k].id == id && strcmp(l->v[i].cgroups[k].path, "/"))
				return &l->v[i];
	/* a sub-cgroup: the id back to a path, through each hierarchy's mount */
	rootfd = bh_root_open(opts && opts->root ? opts->root : "/", NULL);
	if (rootfd < 0)
		return NULL;
	ctr_mounts_load(rootfd, &m);
	for (i = 0; i < m.n && !hit; i++) {
		struct {
			struct file_handle fh;
			unsigned char bytes[8];
		} h;
		char link[64], target[4096];
		ssize_t n;
		int mfd, fd;
		mfd = bh_root_openat(rootfd, m.v[i].dir, O_RDONLY | O_DIRECTORY, 0, NULL);
		if (mfd < 0)
			continue;
		h.fh.handle_bytes = 8;
		h.fh.handle_type = 0xfe; /* FILEID_KERNFS */
		memcpy(h.fh.f_handle, &id, 8);
		fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			n = readlink(link, target, sizeof(target) - 1);
			if (n > 0) {
				size_t dl = strlen(m.v[i].dir);
				target[n] = 0;
				if (!strncmp(target, m.v[i].dir, dl) &&
				    (target[dl] == '/' || target[dl] == 0)) {
					const char *r = strcmp(m.v[i].root, "/") ? m.v[i].root : "";
					char *p = bh_asprintf("%s%s", r,
							      target[dl] ? target + dl : "/");
					hit = bh_ctr_lookup_cgroup(l, m.v[i].controllers, p);
					free(p);
				}
			}
			close(fd);
		}
		close(mfd);
	}
	ctr_mounts_release(&m);
	close(rootfd);
	return hit;
}

const struct bh_ctr *bh_ctr_lookup_pid(const struct bh_ctr_list *l, const struct bh_ctr_opts *opts,
				       pid_t pid, struct bh_error **err)
{
	const struct bh_ctr *best = NULL;
	struct bh_ctr tmp = { 0 };
	size_t i, bl = 0;
	int rootfd;

	if (pid <= 0) {
		bh_error_set(err, BH_ERR_USAGE, "pid %d: not a process ID", (int)pid);
		return NULL;
	}
	rootfd = bh_root_open(opts && opts->root ? opts->root : "/", err);
	if (rootfd < 0)
		return NULL;
	if (read_proc_cgroup(rootfd, pid, &tmp, err) < 0) {
		bh_error_prefix(err, "process %d", (int)pid);
		goto out;
	}
	/* the deepest match over every hierarchy: a nested container beats its parent */
	for (i = 0; i < tmp.ncgroups; i++) {
		const struct bh_ctr *c =
			bh_ctr_lookup_cgroup(l, tmp.cgroups[i].controller, tmp.cgroups[i].path);
		size_t k;
		for (k = 0; c && k < c->ncgroups; k++) {
			size_t n;
			if (!ctr_ctl_same(c->cgroups[k].controller, tmp.cgroups[i].controller))
				continue;
			n = path_under(tmp.cgroups[i].path, c->cgroups[k].path);
			if (n > bl) {
				bl = n;
				best = c;
			}
		}
	}
out:
	drop_cgroups(&tmp);
	close(rootfd);
	return best;
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *bh_ctr_to_json(const struct bh_ctr *c)
{
	json_t *cg = json_array(), *j;
	size_t i;

	for (i = 0; i < c->ncgroups; i++) {
		json_t *g = json_pack(
			"{s:s, s:s, s:I}", "controller",
			c->cgroups[i].controller[0] ? c->cgroups[i].controller : "cgroup2", "path",
			c->cgroups[i].path, "id", (json_int_t)c->cgroups[i].id);
		json_array_append_new(cg, g);
	}
	j = json_object();
	json_object_set_new(j, "id", json_string(c->id));
	json_object_set_new(j, "name", str_or_null(c->name));
	json_object_set_new(j, "engine", json_string(bh_ctr_engine_name(c->engine)));
	json_object_set_new(j, "runtime", str_or_null(c->runtime));
	json_object_set_new(j, "status", str_or_null(c->status));
	json_object_set_new(j, "pid", json_integer(c->pid));
	json_object_set_new(j, "created", str_or_null(c->created));
	json_object_set_new(j, "image", str_or_null(c->image));
	json_object_set_new(j, "image_id", str_or_null(c->image_id));
	json_object_set_new(j, "image_digest", str_or_null(c->image_digest));
	json_object_set_new(j, "pod",
			    json_pack("{s:o, s:o, s:o}", "name", str_or_null(c->pod_name),
				      "namespace", str_or_null(c->pod_namespace), "uid",
				      str_or_null(c->pod_uid)));
	json_object_set(j, "labels", c->labels);
	json_object_set(j, "annotations", c->annotations);
	json_object_set_new(j, "state_dir", str_or_null(c->state_dir));
	json_object_set_new(j, "bundle", str_or_null(c->bundle));
	json_object_set_new(j, "cgroups", cg);
	json_object_set_new(j, "config", c->config ? json_incref(c->config) : json_null());
	if (c->config_error)
		json_object_set_new(j, "config_error", json_string(c->config_error));
	return j;
}
