// SPDX-License-Identifier: Apache-2.0
/*
 * The syslog output: one RFC 5424 message per item over a unix datagram
 * socket (default /dev/log), without syslog(3) (which keeps process-wide
 * state): "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG", facility
 * daemon; an alert's severity is its rule's priority (Falco's priorities are
 * syslog's severities), an event's is info; MSGID "alert" or "event"; MSG
 * the item's JSON. A send that fails (the daemon restarted) reconnects
 * once; a socket that stays full for a second fails the batch (dropped and
 * counted by the pipeline).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "pipeline_internal.h"
#include "banned.h"

#define SYSLOG_MSG_MAX	(64u * 1024)
#define FACILITY_DAEMON 3
#define SEVERITY_INFO	6

struct out_syslog {
	struct sockaddr_un sa;
	int fd;
	char host[256];
	char app[49]; /* RFC 5424: APP-NAME is at most 48 printable characters */
};

static int sl_connect(struct out_syslog *s, struct bh_error **err)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return bh_error_sys(err, errno, "syslog: socket");
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) < 0) {
		int e = errno;

		close(fd);
		return bh_error_sys(err, e, "syslog: %s", s->sa.sun_path);
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

static void printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; *src && i + 1 < size; src++)
		if (*src > 32 && *src < 127)
			dst[i++] = *src;
	dst[i] = 0;
	if (!i && size > 1)
		snprintf(dst, size, "-");
}

static int sl_open(const struct bh_mon_output_opts *o, void **impl, char *name, size_t namesz,
		   struct bh_error **err)
{
	const char *path = o->socket && *o->socket ? o->socket : "/dev/log";
	struct out_syslog *s;
	char h[256] = "";

	if (strlen(path) >= sizeof(s->sa.sun_path))
		return bh_error_set(err, BH_ERR_LIMIT, "syslog: socket path too long: %s", path);
	s = bh_calloc(1, sizeof(*s));
	s->fd = -1;
	s->sa.sun_family = AF_UNIX;
	memcpy(s->sa.sun_path, path, strlen(path) + 1);
	gethostname(h, sizeof(h) - 1);
	printable(s->host, sizeof(s->host), h);
	printable(s->app, sizeof(s->app), o->app_name ? o->app_name : "bulkhead");
	snprintf(name, namesz, "syslog %s", path);
	if (sl_connect(s, err) < 0) {
		free(s);
		return -1;
	}
	*impl = s;
	return 0;
}

static int sl_write(void *impl, const struct mon_msg *msgs, const struct mon_json *const *js,
		    size_t n, const atomic_bool *stop, struct bh_error **err)
{
	struct out_syslog *s = impl;
	struct bh_buf b = BH_BUF_INIT(SYSLOG_MSG_MAX);
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		const struct bh_mon_event *ev = msgs[i].al ? msgs[i].al->a.ev : &msgs[i].ev->ev;
		unsigned sev =
			msgs[i].al ? (unsigned)msgs[i].al->a.rule->priority & 7 : SEVERITY_INFO;
		struct timespec ts = { (time_t)(ev->ts_ns / 1000000000ull),
				       (long)(ev->ts_ns % 1000000000ull) };
		char t[BH_TIME_MAX];
		bool retried = false;

		bh_buf_reset(&b);
		if (bh_buf_addf(&b, err, "<%u>1 %s %s %s %d %s - ", FACILITY_DAEMON * 8 + sev,
				bh_time_rfc3339(ev->ts_ns ? &ts : NULL, 6, t), s->host, s->app,
				(int)getpid(), msgs[i].al ? "alert" : "event") < 0 ||
		    bh_buf_add(&b, js[i]->s, js[i]->len, err) < 0)
			goto out;
		while (send(s->fd, b.data, b.len, MSG_NOSIGNAL) < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (retried || (e != ECONNREFUSED && e != ENOTCONN)) {
				bh_error_sys(err, e, "syslog: send to %s", s->sa.sun_path);
				goto out;
			}
			retried = true;
			if (sl_connect(s, err) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	bh_buf_release(&b);
	return rc;
}

static void sl_close(void *impl)
{
	struct out_syslog *s = impl;

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

const struct mon_output_ops mon_output_syslog = {
	.open = sl_open,
	.write = sl_write,
	.close = sl_close,
};
