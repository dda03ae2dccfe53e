// SPDX-License-Identifier: Apache-2.0
/*
 * The replay source: events from JSON lines, one object per line as
 * bh_mon_event_to_json writes them (src/monitor/event_json.c). Strict: a
 * line that is not an event (bad JSON, an unknown member, a value out of
 * bounds, longer than MON_REPLAY_LINE_MAX) is an error naming its line
 * number, counted in the stats' `invalid`; the next call goes on after it.
 * Blank lines are skipped. Reading waits at most the caller's timeout for
 * more bytes (poll), so a replay from a pipe or a terminal can be stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "source_internal.h"
#include "banned.h"

struct mon_replay {
	int fd;
	char *name;
	char *buf; /* MON_REPLAY_BUF bytes: [start, end) not yet consumed */
	size_t start, end;
	uint64_t line;	  /* the number of the last line handed out */
	bool eof;	  /* read returned 0 */
	bool skipping;	  /* inside a line over the bound: discard to its newline */
	uint64_t skip_ln; /* the number of that line */
	uint64_t invalid;
};

#define MON_REPLAY_BUF (2 * MON_REPLAY_LINE_MAX)

/* Read more bytes into the buffer: 1 read some, 0 timeout, -1 error (eof sets r->eof). */
static int fill(struct mon_replay *r, int timeout_ms, struct bh_error **err)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (timeout_ms >= 0) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int pr;

		do
			pr = poll(&p, 1, timeout_ms);
		while (pr < 0 && errno == EINTR && timeout_ms < 0);
		if (pr < 0 && errno == EINTR)
			return 0;
		if (pr < 0)
			return bh_error_sys(err, errno, "%s: poll", r->name);
		if (pr == 0)
			return 0;
	}
	do
		n = read(r->fd, r->buf + r->end, MON_REPLAY_BUF - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0)
		return bh_error_sys(err, errno, "%s: read", r->name);
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 1;
}

/*
 * The next whole line into (*line, *len) (without its newline): 1, or 0
 * when none within the timeout or at the end, <0 on an error (a line over
 * the bound: reported once its end is found).
 */
static int next_line(struct mon_replay *r, const char **line, size_t *len, int timeout_ms,
		     struct bh_error **err)
{
	for (;;) {
		char *b = r->buf + r->start, *nl = memchr(b, '\n', r->end - r->start);

		if (r->skipping) {
			if (nl) {
				r->start += (size_t)(nl - b) + 1;
				r->skipping = false;
				return bh_error_set(err, BH_ERR_LIMIT,
						    "%s: line %llu: longer than %u bytes", r->name,
						    (unsigned long long)r->skip_ln,
						    MON_REPLAY_LINE_MAX);
			}
			r->start = r->end; /* discard what is here, read on */
			if (r->eof) {
				r->skipping = false;
				return bh_error_set(err, BH_ERR_LIMIT,
						    "%s: line %llu: longer than %u bytes", r->name,
						    (unsigned long long)r->skip_ln,
						    MON_REPLAY_LINE_MAX);
			}
		} else if (nl) {
			r->line++;
			*line = b;
			*len = (size_t)(nl - b);
			r->start += *len + 1;
			if (*len > MON_REPLAY_LINE_MAX)
				return bh_error_set(
					err, BH_ERR_LIMIT, "%s: line %llu: longer than %u bytes",
					r->name, (unsigned long long)r->line, MON_REPLAY_LINE_MAX);
			return 1;
		} else if (r->end - r->start > MON_REPLAY_LINE_MAX) {
			r->line++;
			r->skipping = true;
			r->skip_ln = r->line;
			r->start = r->end;
			continue;
		} else if (r->eof) {
			if (r->end == r->start)
				return 0;
			/* the last line, without a newline */
			r->line++;
			*line = b;
			*len = r->end - r->start;
			r->start = r->end;
			return 1;
		}
		if (r->eof)
			return 0;
		int f = fill(r, timeout_ms, err);

		if (f <= 0)
			return f;
	}
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bh_isspace((unsigned char)s[i]))
			return false;
	return true;
}

static int replay_next(void *impl, struct bh_mon_event *ev, int timeout_ms, bool *ended,
		       struct bh_error **err)
{
	struct mon_replay *r = impl;
	const char *line = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int rc;

	for (;;) {
		rc = next_line(r, &line, &len, timeout_ms, err);
		if (rc < 0) {
			r->invalid++;
			return -1;
		}
		if (rc == 0) {
			if (r->eof && r->start == r->end && !r->skipping)
				*ended = true;
			return 0;
		}
		if (!blank(line, len))
			break;
	}
	if (bh_json_parse(line, len, MON_REPLAY_LINE_MAX, "event", &j, err) < 0 ||
	    bh_mon_event_from_json(j, ev, err) < 0) {
		json_decref(j);
		r->invalid++;
		return bh_error_prefix(err, "%s: line %llu", r->name, (unsigned long long)r->line);
	}
	json_decref(j);
	return 1;
}

static void replay_stats(const void *impl, struct bh_mon_stats *st)
{
	const struct mon_replay *r = impl;

	st->invalid += r->invalid;
}

static void replay_free(void *impl)
{
	struct mon_replay *r = impl;

	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->name);
	free(r->buf);
	free(r);
}

static const struct mon_source_ops replay_ops = {
	.name = "replay",
	.next = replay_next,
	.stats = replay_stats,
	.free = replay_free,
};

int mon_source_replay_fd(int fd, const char *name, struct bh_mon_source **out,
			 struct bh_error **err)
{
	struct mon_replay *r = bh_calloc(1, sizeof(*r));

	r->fd = fd;
	r->name = bh_strdup(name);
	r->buf = bh_malloc(MON_REPLAY_BUF);
	return mon_source_new(&replay_ops, r, out, err);
}

int bh_mon_source_replay(const char *path, struct bh_mon_source **out, struct bh_error **err)
{
	int fd;

	*out = NULL;
	if (!strcmp(path, "-"))
		fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bh_error_sys(err, errno, "%s", !strcmp(path, "-") ? "stdin" : path);
	return mon_source_replay_fd(fd, !strcmp(path, "-") ? "stdin" : path, out, err);
}
