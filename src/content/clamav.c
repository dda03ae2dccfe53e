/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ClamAV, run as a separate process (it is GPL and never linked): during
 * the walk every file to scan is written to a private staging directory
 * (bounded in total size), and after the walk clamscan reads the list of
 * staged files; each "FOUND" line of its output is a hit for the file it
 * names.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

extern char **environ;

#define CLAM_MAX_STAGED (8ull << 30)
#define CLAM_MAX_OUTPUT (16u << 20)

struct staged {
	char *path;
	unsigned layer;
};

struct clam {
	char *prog, *db, *dir;
	pthread_mutex_t lock;
	struct staged *v;
	size_t n, cap;
	uint64_t bytes; /* staged so far */
	bool full;
};

static char *find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *found = NULL;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? bh_strdup(prog) : NULL;
	copy = bh_strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand = bh_asprintf("%s/%s", *d ? d : ".", prog);

		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found;
}

int content_clam_new(const struct bh_content_opts *o, struct clam **out, struct bh_error **err)
{
	struct clam *c;
	char *prog = find_in_path(o->clamscan ? o->clamscan : "clamscan");
	char *tmpl;

	*out = NULL;
	if (!prog) {
		bh_warn("--clamav: %s is not installed; ClamAV is skipped",
			o->clamscan ? o->clamscan : "clamscan");
		return 0;
	}
	tmpl = bh_asprintf("%s/bulkhead-clamav.XXXXXX", o->tmpdir ? o->tmpdir : "/var/tmp");
	if (!mkdtemp(tmpl)) {
		int e = errno;

		free(prog);
		bh_error_sys(err, e, "--clamav: cannot create a staging directory %s", tmpl);
		free(tmpl);
		return -1;
	}
	c = bh_calloc(1, sizeof(*c));
	c->prog = prog;
	c->db = o->clamav_db ? bh_strdup(o->clamav_db) : NULL;
	c->dir = tmpl;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void content_clam_free(struct clam *c)
{
	if (!c)
		return;
	bh_remove_tree(AT_FDCWD, c->dir, NULL);
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	free(c->prog);
	free(c->db);
	free(c->dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int content_clam_stage(struct clam *c, const char *path, unsigned layer, uint64_t size,
		       struct bh_error **err)
{
	size_t idx;
	char name[64];
	int fd;

	pthread_mutex_lock(&c->lock);
	if (c->full || c->bytes + size > CLAM_MAX_STAGED) {
		if (!c->full)
			bh_warn("--clamav: more than %llu GiB to stage; the rest is not scanned "
				"by ClamAV",
				CLAM_MAX_STAGED >> 30);
		c->full = true;
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	c->bytes += size;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->v = bh_reallocarray(c->v, c->cap, sizeof(*c->v));
	}
	idx = c->n++;
	c->v[idx].path = bh_strdup(path);
	c->v[idx].layer = layer;
	pthread_mutex_unlock(&c->lock);
	snprintf(name, sizeof(name), "%s/%zu", c->dir, idx);
	fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return bh_error_sys(err, errno, "--clamav: %s", name);
	return fd;
}

/* "<dir>/<n>: <signature> FOUND": a hit for staged file n. */
static void clam_line(const struct clam *c, const char *p, const char *le, struct hitlist *out)
{
	size_t dl = strlen(c->dir), sl;
	const char *q = p + dl + 1, *colon, *sig;
	uint64_t idx = 0;
	struct hit *h;
	char num[32];

	if ((size_t)(le - p) < dl + 10 || memcmp(p, c->dir, dl) || p[dl] != '/' ||
	    memcmp(le - 6, " FOUND", 6))
		return;
	colon = memchr(q, ':', (size_t)(le - q));
	if (!colon || (size_t)(colon - q) >= sizeof(num) || le - 6 < colon + 2)
		return;
	memcpy(num, q, (size_t)(colon - q));
	num[colon - q] = 0;
	if (bh_parse_u64(num, &idx, NULL) < 0 || idx >= c->n)
		return;
	sig = colon + 2;
	sl = (size_t)(le - 6 - sig);
	h = content_hitlist_add(out);
	h->id = bh_strdup("BH-MALWARE-CLAMAV");
	h->kind = BH_FIND_MALWARE;
	h->severity = BH_SEV_CRITICAL;
	h->countermeasure = "4.1.3";
	h->title = bh_asprintf("ClamAV: %.*s", (int)(sl > 200 ? 200 : sl), sig);
	h->description = bh_strdup("clamscan reported the file as infected");
	h->remediation = "Remove the file and find out how it got into the image; rebuild from "
			 "trusted sources.";
	h->path = bh_strdup(c->v[idx].path);
	h->layer = c->v[idx].layer;
	h->pkg = SIZE_MAX;
	content_fingerprint(sig, sl, h->fp);
}

int content_clam_run(struct clam *c, struct hitlist *out, struct bh_error **err)
{
	struct bh_buf list = BH_BUF_INIT(TEXT_MAX), res = BH_BUF_INIT(CLAM_MAX_OUTPUT);
	char *listpath = NULL, *outpath = NULL, *errpath = NULL, *dbarg = NULL, *listarg = NULL;
	posix_spawn_file_actions_t fa;
	char *argv[8];
	int argc = 0, status = 0, rc = -1;
	pid_t pid;
	const char *p, *end;

	if (!c || !c->n)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		bh_buf_addf(&list, NULL, "%s/%zu\n", c->dir, i);
	listpath = bh_asprintf("%s/list", c->dir);
	outpath = bh_asprintf("%s/stdout", c->dir);
	errpath = bh_asprintf("%s/stderr", c->dir);
	if (bh_write_file_atomic(listpath, list.data, list.len, 0600, err) < 0)
		goto out;
	listarg = bh_asprintf("--file-list=%s", listpath);
	argv[argc++] = c->prog;
	argv[argc++] = "--no-summary";
	argv[argc++] = "--infected";
	argv[argc++] = "--stdout";
	argv[argc++] = listarg;
	if (c->db) {
		dbarg = bh_asprintf("--database=%s", c->db);
		argv[argc++] = dbarg;
	}
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	errno = posix_spawn(&pid, c->prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (errno) {
		bh_error_sys(err, errno, "--clamav: cannot run %s", c->prog);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			bh_error_sys(err, errno, "--clamav: waitpid");
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		struct bh_buf e = BH_BUF_INIT(4096);
		char *nl;

		bh_read_file(errpath, &e, NULL);
		nl = e.data ? strchr(e.data, '\n') : NULL;
		if (nl)
			*nl = 0;
		bh_error_set(err, BH_ERR_IO, "--clamav: %s failed (%s %d)%s%s", c->prog,
			     WIFEXITED(status) ? "exit" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			     e.data ? ": " : "", e.data ? e.data : "");
		bh_buf_release(&e);
		goto out;
	}
	if (bh_read_file(outpath, &res, err) < 0)
		goto out;
	p = res.data ? res.data : "";
	end = p + res.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		clam_line(c, p, nl ? nl : end, out);
		p = nl ? nl + 1 : end;
	}
	rc = 0;
out:
	bh_buf_release(&list);
	bh_buf_release(&res);
	free(listpath);
	free(outpath);
	free(errpath);
	free(dbarg);
	free(listarg);
	return rc;
}
