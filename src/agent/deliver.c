/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent does when a delivery cannot go as planned (lease17,
 * src/agent/deliver.h): the dead-letter file of the records the controller
 * refuses, and the results of actions kept to be posted again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/deliver.h"
#include "banned.h"

int agent_reject_write(const char *state_dir, uint64_t seq, const char *why, const char *rec,
		       size_t len, struct bh_error **err)
{
	char *path = bh_asprintf("%s/rejected.jsonl", state_dir);
	char *old = bh_asprintf("%s/rejected.jsonl.1", state_dir);
	json_t *line = json_pack("{sIss}", "seq", (json_int_t)seq, "error", why ? why : "");
	json_t *r = json_loadb(rec, len, 0, NULL);
	struct stat st;
	char *s = NULL;
	size_t n;
	int fd = -1, rc = -1;

	/* the record as it was: JSON when it parses, else its text */
	json_object_set_new(line, "record", r ? r : json_stringn(rec, len));
	s = json_dumps(line, JSON_COMPACT);
	if (!s) {
		bh_error_set(err, BH_ERR_NOMEM, "agent: encoding a rejected record");
		goto out;
	}
	n = strlen(s);
	s[n] = '\n'; /* json_dumps' NUL becomes the line's end: written n + 1 */
	/* bounded: the file past the limit is the old one, the one before gone */
	if (lstat(path, &st) == 0 && (uint64_t)st.st_size + n + 1 > AGENT_REJECT_MAX &&
	    rename(path, old) < 0) {
		bh_error_sys(err, errno, "agent: rotating %s", path);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		bh_error_sys(err, errno, "agent: opening %s", path);
		goto out;
	}
	if (bh_write_all(fd, s, n + 1, err) < 0 || fsync(fd) < 0) {
		if (err && !*err)
			bh_error_sys(err, errno, "agent: writing %s", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(line);
	free(s);
	free(path);
	free(old);
	return rc;
}

int agent_pending_add(struct agent_pending *p, char *body)
{
	int dropped = 0;

	if (p->n == AGENT_PENDING_MAX) {
		agent_pending_del(p, 0);
		dropped = 1;
	}
	p->body[p->n] = body;
	p->tries[p->n] = 0;
	p->n++;
	return dropped;
}

void agent_pending_del(struct agent_pending *p, size_t i)
{
	if (i >= p->n)
		return;
	free(p->body[i]);
	memmove(&p->body[i], &p->body[i + 1], (p->n - i - 1) * sizeof(p->body[0]));
	memmove(&p->tries[i], &p->tries[i + 1], (p->n - i - 1) * sizeof(p->tries[0]));
	p->n--;
}

void agent_pending_release(struct agent_pending *p)
{
	while (p->n)
		agent_pending_del(p, p->n - 1);
}
