/* SPDX-License-Identifier: Apache-2.0 */
/* Per-blob progress of pull and push on a terminal. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "banned.h"

#define REDRAW_MS 100

void cli_progress_init(struct cli_progress *p, bool quiet)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
	pthread_mutex_init(&p->lock, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *state_text(const struct cli_progress_line *l, char *buf, size_t n)
{
	char a[32], b[32];

	switch (l->state) {
	case BH_PROGRESS_START:
	case BH_PROGRESS_BYTES:
		if (l->total > 0)
			snprintf(buf, n, "%s / %s", bh_human_size(l->done, a, sizeof(a)),
				 bh_human_size((uint64_t)l->total, b, sizeof(b)));
		else
			snprintf(buf, n, "%s", bh_human_size(l->done, a, sizeof(a)));
		return buf;
	case BH_PROGRESS_DONE:
		snprintf(buf, n, "done (%s)",
			 bh_human_size(l->total > 0 ? (uint64_t)l->total : l->done, a, sizeof(a)));
		return buf;
	case BH_PROGRESS_EXISTS: return "exists, skipped";
	case BH_PROGRESS_MOUNTED: return "mounted";
	}
	return "waiting";
}

/* Call with p->lock held. */
static void draw(struct cli_progress *p)
{
	char buf[96];

	if (p->drawn)
		fprintf(stderr, "\033[%uA", p->n);
	for (unsigned i = 0; i < p->n; i++)
		fprintf(stderr, "\r\033[2K%-7s %-19s %s\n", i ? "layer" : "config",
			p->lines[i].digest[0] ? p->lines[i].digest : "",
			state_text(&p->lines[i], buf, sizeof(buf)));
	fflush(stderr);
	p->drawn = true;
	p->last_ms = now_ms();
}

void cli_progress_fn(const struct bh_image_progress *pr, void *data)
{
	struct cli_progress *p = data;

	if (!p->on || pr->count == 0 || pr->count > 4096 || pr->index >= pr->count)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->lines) {
		p->n = pr->count;
		p->lines = bh_calloc(p->n, sizeof(*p->lines));
	}
	if (pr->index < p->n) {
		struct cli_progress_line *l = &p->lines[pr->index];

		l->state = pr->state;
		snprintf(l->digest, sizeof(l->digest), "%.19s", pr->digest ? pr->digest : "");
		l->done = pr->done;
		l->total = pr->total;
	}
	if (pr->state != BH_PROGRESS_BYTES || now_ms() - p->last_ms >= REDRAW_MS)
		draw(p);
	pthread_mutex_unlock(&p->lock);
}

void cli_progress_finish(struct cli_progress *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->on && p->lines)
		draw(p);
	pthread_mutex_unlock(&p->lock);
	free(p->lines);
	p->lines = NULL;
	pthread_mutex_destroy(&p->lock);
}
