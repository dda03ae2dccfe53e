/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A watch on the runtimes' state directories (include/bulkhead/containers.h,
 * bh_ctr_watch_*): one inotify fd on every state root bh_ctr_state_dirs
 * names and on each new container directory made in one, so that the
 * monitor's guard and net run list the containers again at a container's
 * create (its runtime writes the state then, before the engine starts it)
 * instead of at their next periodic listing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "bulkhead/containers.h"
#include "banned.h"

struct bh_ctr_watch {
	const struct bh_ctr_opts *opts;
	int fd;
	struct wdir {
		int wd;
		unsigned levels; /* how deep new subdirectories are watched */
		char *path;
	} * v;
	size_t n;
};

static void dir_add(struct bh_ctr_watch *w, const char *path, unsigned levels)
{
	int wd = inotify_add_watch(w->fd, path,
				   IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR |
					   IN_DONT_FOLLOW);

	if (wd < 0)
		return; /* not there (yet): tried again at the next bh_ctr_watch_roots */
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].wd == wd)
			return;
	if (w->n == BH_CTR_WATCH_MAX) {
		inotify_rm_watch(w->fd, wd);
		return;
	}
	w->v = bh_reallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = (struct wdir){ .wd = wd, .levels = levels, .path = bh_strdup(path) };
}

void bh_ctr_watch_roots(struct bh_ctr_watch *w)
{
	struct bh_strvec d = BH_STRVEC_INIT;
	struct bh_error *e = NULL;

	if (!w)
		return;
	if (bh_ctr_state_dirs(w->opts, &d, &e) < 0)
		bh_error_free(e); /* the containers' listing says so */
	for (size_t i = 0; i < d.n; i++) {
		size_t l = strlen(d.v[i]);

		/* containerd's <root>/<ns>/<id>: a new namespace, then its containers */
		if (l > 2 && !strcmp(d.v[i] + l - 2, "/*")) {
			d.v[i][l - 2] = 0;
			dir_add(w, d.v[i], 2);
		} else {
			dir_add(w, d.v[i], 1);
		}
	}
	bh_strvec_release(&d);
}

int bh_ctr_watch_new(const struct bh_ctr_opts *opts, struct bh_ctr_watch **out,
		     struct bh_error **err)
{
	struct bh_ctr_watch *w = bh_calloc(1, sizeof(*w));

	w->opts = opts;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		int rc = bh_error_sys(err, errno, "watching the runtimes' state (inotify)");

		free(w);
		return rc;
	}
	bh_ctr_watch_roots(w);
	*out = w;
	return 0;
}

int bh_ctr_watch_fd(const struct bh_ctr_watch *w)
{
	return w ? w->fd : -1;
}

/* path pushed to dirs once, BH_CTR_WATCH_DIRS at most. */
static void dir_note(struct bh_strvec *dirs, const char *path)
{
	if (!dirs || dirs->n >= BH_CTR_WATCH_DIRS)
		return;
	for (size_t i = 0; i < dirs->n; i++)
		if (!strcmp(dirs->v[i], path))
			return;
	bh_strvec_push(dirs, path);
}

bool bh_ctr_watch_changed(struct bh_ctr_watch *w)
{
	return bh_ctr_watch_changed_dirs(w, NULL);
}

bool bh_ctr_watch_changed_dirs(struct bh_ctr_watch *w, struct bh_strvec *dirs)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while (w && (n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t)n;) {
			const struct inotify_event *ev = (const void *)(buf + off);
			struct wdir *d = NULL;

			off += sizeof(*ev) + ev->len;
			if (off > (size_t)n)
				break;
			any = true;
			for (size_t i = 0; i < w->n; i++)
				if (w->v[i].wd == ev->wd)
					d = &w->v[i];
			bh_debug("containers: state watch: wd %d mask %#x %s/%s", ev->wd,
				 (unsigned)ev->mask, d ? d->path : "?",
				 ev->len && ev->name[0] ? ev->name : ".");
			if (d && (ev->mask & IN_IGNORED)) {
				free(d->path);
				*d = w->v[--w->n];
				continue;
			}
			if (d && d->levels && (ev->mask & IN_ISDIR) && ev->len && ev->name[0] &&
			    ev->name[0] != '.' && !strchr(ev->name, '/')) {
				char *p = bh_asprintf("%s/%s", d->path, ev->name);

				unsigned levels = d->levels; /* dir_add moves w->v */

				dir_add(w, p, levels - 1);
				if (levels == 1)
					dir_note(dirs, p); /* a container's, watched now */
				free(p);
			} else if (d && !d->levels) {
				dir_note(dirs, d->path); /* in a container's: its state */
			}
		}
	}
	return any;
}

void bh_ctr_watch_free(struct bh_ctr_watch *w)
{
	if (!w)
		return;
	close(w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
	free(w);
}
