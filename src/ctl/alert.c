/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The alerts engine (include/bulkhead/ctl.h, bh_ctl_alert_*): events in
 * (bh_ctl_alert_events, from the ingestion of a stored batch), messages out
 * to webhooks (generic JSON and Slack-compatible), syslog and email.
 *
 * The caller's thread only matches and queues: the rules (read from the
 * store every rules_ttl seconds) are checked in name order, and per rule a
 * window (its `window` seconds from the first event) lets the first event
 * through at once and counts the rest; when the window ends one summary
 * ("N more like this") goes out. Messages wait in one bounded queue (full:
 * dropped, counted); one delivery thread sends them, each with its own
 * retries (a transport error or a 5xx, doubling pauses from 200 ms) and
 * closes windows every 100 ms. libcurl (webhooks, SMTP) is loaded on first
 * use.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/version.h"
#include "bulkhead/vuln.h"
#include "ctl/api_int.h"
#include "lazy/curl.h"
#include "banned.h"

#define TEXT_MAX (4u << 10)   /* a message's text */
#define BODY_MAX (256u << 10) /* a message's body (the event as JSON) */

struct msg {
	struct bh_ctl_alert_rule r; /* the destination (a copy: rules change) */
	char *text;		    /* one line for Slack, syslog, the subject */
	char *body;		    /* the JSON of a webhook */
	int severity;
};

struct window {
	char name[BH_CTL_NAME_MAX + 1];
	uint64_t start_ns; /* 0: none open */
	unsigned window;
	uint64_t more; /* events past the first in this window */
	int severity;  /* the highest of those */
	struct bh_ctl_alert_rule r;
};

struct bh_ctl_alert {
	struct bh_ctl_alert_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stop;
	uint64_t drain_until_ns;
	/* the rules and their windows (same index), under mu */
	struct bh_ctl_alert_rule *rules;
	struct window *win;
	size_t nrules;
	uint64_t rules_at_ns;
	/* the queue: a ring of queue_max */
	struct msg *q;
	size_t qhead, qlen;
	struct bh_ctl_alert_stats st;
	char host[256];
};

static void msg_free(struct msg *m)
{
	free(m->text);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* Queue m (taken; with mu held): dropped and counted when the queue is full. */
static void enqueue(struct bh_ctl_alert *e, struct msg *m)
{
	if (e->qlen >= e->o.queue_max) {
		e->st.dropped++;
		msg_free(m);
		return;
	}
	e->q[(e->qhead + e->qlen) % e->o.queue_max] = *m;
	e->qlen++;
	pthread_cond_signal(&e->cv);
}

static const char *str_of(const json_t *ev, const char *a, const char *b)
{
	const char *v = bh_json_str(ev, a);

	return v ? v : b ? bh_json_str(ev, b) : NULL;
}

/* The one-line text of an event: "[bulkhead] HIGH rule on workload: output". */
static char *event_text(const json_t *ev, int sev)
{
	const char *rule = str_of(ev, "rule", NULL), *wl = str_of(ev, "workload", "container"),
		   *out = str_of(ev, "output", "message"), *kind = bh_json_str(ev, "kind");
	char *t = bh_asprintf("[bulkhead] %s %s%s%s%s%s", bh_ctl_severity_name(sev),
			      rule   ? rule
			      : kind ? kind
				     : "event",
			      wl ? " on " : "", wl ? wl : "", out ? ": " : "", out ? out : "");

	if (strlen(t) > TEXT_MAX)
		t[TEXT_MAX] = 0;
	for (char *c = t; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' '; /* one line: a subject, a syslog message */
	return t;
}

static bool matches(const struct bh_ctl_alert_rule *r, const json_t *ev, int sev)
{
	const char *kind = bh_json_str(ev, "kind"), *rule = str_of(ev, "rule", NULL),
		   *wl = str_of(ev, "workload", "container");

	if (sev < r->min_severity)
		return false;
	if (r->kind[0] && (!kind || strcmp(kind, r->kind)))
		return false;
	if (r->rule[0] && (!rule || strcmp(rule, r->rule)))
		return false;
	if (r->workload[0] && (!wl || fnmatch(r->workload, wl, 0)))
		return false;
	return true;
}

/* Read the rules again when they are older than rules_ttl (with mu held);
 * a window stays with its rule's name. */
static int refresh_rules(struct bh_ctl_alert *e, uint64_t now, struct bh_error **err)
{
	struct bh_ctl_alert_rule *v;
	struct window *w;
	size_t n = 0;

	if (e->rules_at_ns && now - e->rules_at_ns < (uint64_t)e->o.rules_ttl * 1000000000u)
		return 0;
	v = bh_calloc(BH_CTL_ALERT_RULES_MAX, sizeof(*v));
	if (bh_ctl_alert_rules_load(e->o.store, v, &n, err) < 0) {
		free(v);
		return bh_error_prefix(err, "alert rules");
	}
	w = bh_calloc(BH_CTL_ALERT_RULES_MAX, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		snprintf(w[i].name, sizeof(w[i].name), "%s", v[i].name);
		w[i].window = v[i].window;
		for (size_t k = 0; k < e->nrules; k++)
			if (!strcmp(e->win[k].name, v[i].name)) {
				w[i] = e->win[k];
				w[i].window = v[i].window;
			}
		w[i].r = v[i];
	}
	free(e->rules);
	free(e->win);
	e->rules = v;
	e->win = w;
	e->nrules = n;
	e->rules_at_ns = now;
	return 0;
}

static void queue_event(struct bh_ctl_alert *e, const struct bh_ctl_alert_rule *r, const json_t *ev,
			int sev)
{
	struct msg m = { .r = *r, .severity = sev };
	json_t *j;

	m.text = event_text(ev, sev);
	j = json_pack("{sssssO}", "alert", r->name, "text", m.text, "event", ev);
	m.body = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!m.body || strlen(m.body) > BODY_MAX) {
		free(m.body);
		m.body = bh_asprintf("{\"alert\":\"%s\",\"truncated\":true}", r->name);
	}
	e->st.sent++;
	enqueue(e, &m);
}

/* Close the windows that ended (all of them when force): a summary each. */
static void close_windows(struct bh_ctl_alert *e, uint64_t now, bool force)
{
	for (size_t i = 0; i < e->nrules; i++) {
		struct window *w = &e->win[i];
		struct msg m = { .r = w->r, .severity = w->severity };
		json_t *j;

		if (!w->start_ns ||
		    (!force && now - w->start_ns < (uint64_t)w->window * 1000000000u))
			continue;
		if (w->more) {
			m.text =
				bh_asprintf("[bulkhead] %s: %llu more like this in %u s (alert %s)",
					    bh_ctl_severity_name(w->severity),
					    (unsigned long long)w->more, w->window, w->name);
			j = json_pack("{sssssbsIsi}", "alert", w->name, "text", m.text, "summary",
				      1, "count", (json_int_t)w->more, "window", (int)w->window);
			m.body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			json_decref(j);
			e->st.summaries++;
			enqueue(e, &m);
		}
		w->start_ns = 0;
		w->more = 0;
		w->severity = 0;
	}
}

int bh_ctl_alert_events(struct bh_ctl_alert *e, json_t *events, struct bh_error **err)
{
	size_t n = json_is_array(events) ? json_array_size(events) : 1;
	uint64_t now = bh_mono_ns();
	int rc = 0;

	pthread_mutex_lock(&e->mu);
	if (refresh_rules(e, now, err) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *ev = json_is_array(events) ? json_array_get(events, i) : events;
		int sev;
		bool hit = false;

		if (!json_is_object(ev))
			continue;
		e->st.events++;
		sev = bh_ctl_severity_rank(str_of(ev, "severity", "priority"));
		if (sev < 0)
			sev = 1; /* unknown: the lowest */
		for (size_t k = 0; k < e->nrules; k++) {
			struct window *w = &e->win[k];

			if (!matches(&e->rules[k], ev, sev))
				continue;
			hit = true;
			if (w->start_ns && now - w->start_ns < (uint64_t)w->window * 1000000000u) {
				w->more++;
				if (sev > w->severity)
					w->severity = sev;
				e->st.suppressed++;
				continue;
			}
			if (w->start_ns) /* an ended window not yet closed */
				close_windows(e, now, false);
			w->start_ns = now;
			w->more = 0;
			w->severity = sev;
			queue_event(e, &e->rules[k], ev, sev);
		}
		e->st.matched += hit;
	}
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* ---- delivery ---------------------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_up(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* One attempt: 0 sent, 1 worth retrying, -1 not. */
static int send_http(struct bh_ctl_alert *e, const struct msg *m, struct bh_error **err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char *body = NULL;
	CURLcode cc;
	long code = 0;
	int rc;

	if (!c) {
		bh_error_set(err, BH_ERR_INTERNAL, "curl_easy_init failed");
		return 1;
	}
	if (m->r.dest == BH_CTL_ALERT_SLACK) {
		json_t *j = json_pack("{ss}", "text", m->text);

		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, m->r.url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bulkhead/" BH_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)e->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : m->body);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK && code >= 200 && code < 300)
		rc = 0;
	else if (cc == CURLE_OK) {
		bh_error_set(err, BH_ERR_IO, "%s: HTTP %ld", m->r.url, code);
		rc = code >= 500 ? 1 : -1;
	} else {
		bh_error_set(err, BH_ERR_IO, "%s: %s", m->r.url, curl_easy_strerror(cc));
		rc = 1;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	return rc;
}

static int send_email(struct bh_ctl_alert *e, const struct msg *m, struct bh_error **err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char date[64], t3339[BH_TIME_MAX], from[BH_CTL_ALERT_FIELD_MAX + 3], *mail;
	struct upload u;
	CURLcode cc;
	int rc, mon;

	if (!c) {
		bh_error_set(err, BH_ERR_INTERNAL, "curl_easy_init failed");
		return 1;
	}
	/* RFC 5322's date from RFC 3339's "YYYY-MM-DDTHH:MM:SSZ" */
	bh_time_rfc3339(NULL, 0, t3339);
	mon = (t3339[5] - '0') * 10 + (t3339[6] - '0');
	snprintf(date, sizeof(date), "%.2s %s %.4s %.8s +0000", t3339 + 8,
		 months[mon >= 1 && mon <= 12 ? mon - 1 : 0], t3339, t3339 + 11);
	/* the addresses were checked (no CR, LF, <, >): no header injection */
	mail = bh_asprintf("Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "X-Bulkhead-Alert: %s\r\n\r\n%s\r\n\r\n%s\r\n",
			   date, m->r.from, m->r.to, m->text, m->r.name, m->text, m->body);
	u = (struct upload){ mail, strlen(mail) };
	snprintf(from, sizeof(from), "<%s>", m->r.from);
	rcpt = curl_slist_append(NULL, m->r.to);
	curl_easy_setopt(c, CURLOPT_URL, m->r.url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)e->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_up);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	cc = curl_easy_perform(c);
	rc = 0;
	if (cc != CURLE_OK) {
		bh_error_set(err, BH_ERR_IO, "%s: %s", m->r.url, curl_easy_strerror(cc));
		rc = 1;
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(mail);
	return rc;
}

/* RFC 5424 to a unix datagram socket, facility daemon. */
static int send_syslog(struct bh_ctl_alert *e, const struct msg *m, struct bh_error **err)
{
	static const int prio[] = { 6, 6, 5, 4, 3, 2 }; /* info notice warning err crit */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char ts[BH_TIME_MAX];
	struct timespec now;
	char *line;
	int fd, rc = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (strlen(m->r.url) >= sizeof(sa.sun_path)) {
		bh_error_set(err, BH_ERR_INVALID, "syslog: socket path too long");
		return -1;
	}
	memcpy(sa.sun_path, m->r.url, strlen(m->r.url) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		bh_error_sys(err, errno, "syslog socket");
		return 1;
	}
	line = bh_asprintf("<%d>1 %s %s bulkhead - alert - %s", 3 * 8 + prio[m->severity % 6],
			   bh_time_rfc3339(&now, 3, ts), e->host[0] ? e->host : "-", m->text);
	if (sendto(fd, line, strlen(line), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		bh_error_sys(err, errno, "syslog %s", m->r.url);
		rc = 1;
	}
	close(fd);
	free(line);
	return rc;
}

static int deliver(struct bh_ctl_alert *e, const struct msg *m, struct bh_error **err)
{
	unsigned pause = 200;

	for (unsigned attempt = 0;; attempt++) {
		int rc;

		bh_error_clear(err);
		if (m->r.dest == BH_CTL_ALERT_SYSLOG)
			rc = send_syslog(e, m, err);
		else if (bh_lazy_require(&bh_lazy_curl, err) < 0)
			return -1;
		else if (m->r.dest == BH_CTL_ALERT_EMAIL)
			rc = send_email(e, m, err);
		else
			rc = send_http(e, m, err);
		if (rc <= 0)
			return rc;
		if (attempt >= e->o.retries)
			return -1;
		for (unsigned t = 0; t < pause; t += 10) {
			bool stop;

			pthread_mutex_lock(&e->mu);
			stop = e->stop && bh_mono_ns() > e->drain_until_ns;
			pthread_mutex_unlock(&e->mu);
			if (stop)
				return -1;
			usleep(10000);
		}
		pause *= 2;
	}
}

static void *worker(void *arg)
{
	struct bh_ctl_alert *e = arg;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct msg m;
		struct bh_error *err = NULL;

		if (!e->qlen) {
			struct timespec ts;

			close_windows(e, bh_mono_ns(), false);
			if (e->qlen)
				continue;
			if (e->stop)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&e->cv, &e->mu, &ts);
			continue;
		}
		if (e->stop && bh_mono_ns() > e->drain_until_ns) {
			/* out of time: what is left is dropped */
			while (e->qlen) {
				msg_free(&e->q[e->qhead]);
				e->qhead = (e->qhead + 1) % e->o.queue_max;
				e->qlen--;
				e->st.dropped++;
			}
			break;
		}
		m = e->q[e->qhead];
		e->qhead = (e->qhead + 1) % e->o.queue_max;
		e->qlen--;
		pthread_mutex_unlock(&e->mu);
		if (deliver(e, &m, &err) < 0) {
			bh_error_warn(&err, "alert %s", m.r.name);
			pthread_mutex_lock(&e->mu);
			e->st.failed++;
		} else {
			pthread_mutex_lock(&e->mu);
		}
		msg_free(&m);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

int bh_ctl_alert_new(const struct bh_ctl_alert_opts *o, struct bh_ctl_alert **out,
		     struct bh_error **err)
{
	struct bh_ctl_alert *e;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!o->store)
		return bh_error_set(err, BH_ERR_USAGE, "alerts need a store");
	e = bh_calloc(1, sizeof(*e));
	e->o = *o;
	if (!e->o.queue_max)
		e->o.queue_max = 1024;
	if (e->o.queue_max > (1u << 20))
		e->o.queue_max = 1u << 20;
	if (!e->o.retries)
		e->o.retries = 3;
	if (!e->o.timeout_ms)
		e->o.timeout_ms = 5000;
	if (!e->o.rules_ttl)
		e->o.rules_ttl = 5;
	e->q = bh_calloc(e->o.queue_max, sizeof(*e->q));
	gethostname(e->host, sizeof(e->host) - 1);
	for (char *c = e->host; *c; c++)
		if (*c <= ' ' || *c > '~')
			*c = '-';
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&e->thread, NULL, worker, e);
	if (rc) {
		bh_ctl_alert_free(e, 0);
		return bh_error_sys(err, rc, "alert delivery thread");
	}
	e->started = true;
	*out = e;
	return 0;
}

void bh_ctl_alert_stats(struct bh_ctl_alert *e, struct bh_ctl_alert_stats *out)
{
	pthread_mutex_lock(&e->mu);
	*out = e->st;
	pthread_mutex_unlock(&e->mu);
}

int bh_ctl_alert_metrics(struct bh_ctl_alert *e, struct bh_buf *out, struct bh_error **err)
{
	struct bh_ctl_alert_stats s;

	bh_ctl_alert_stats(e, &s);
	return bh_buf_addf(
		out, err,
		"# HELP bulkhead_alerts_events_total Events the alert rules saw.\n"
		"# TYPE bulkhead_alerts_events_total counter\n"
		"bulkhead_alerts_events_total %llu\n"
		"# HELP bulkhead_alerts_messages_total Alert messages queued, by kind (the "
		"first of a window, or a summary).\n"
		"# TYPE bulkhead_alerts_messages_total counter\n"
		"bulkhead_alerts_messages_total{kind=\"event\"} %llu\n"
		"bulkhead_alerts_messages_total{kind=\"summary\"} %llu\n"
		"# HELP bulkhead_alerts_grouped_total Matching events folded into a summary.\n"
		"# TYPE bulkhead_alerts_grouped_total counter\n"
		"bulkhead_alerts_grouped_total %llu\n"
		"# HELP bulkhead_alerts_failed_total Messages not delivered after their retries.\n"
		"# TYPE bulkhead_alerts_failed_total counter\n"
		"bulkhead_alerts_failed_total %llu\n"
		"# HELP bulkhead_alerts_dropped_total Messages dropped: the queue was full.\n"
		"# TYPE bulkhead_alerts_dropped_total counter\n"
		"bulkhead_alerts_dropped_total %llu\n"
		"# HELP bulkhead_alerts_muted_total New findings of a suppressed vulnerability, "
		"not alerted.\n"
		"# TYPE bulkhead_alerts_muted_total counter\n"
		"bulkhead_alerts_muted_total %llu\n",
		(unsigned long long)s.events, (unsigned long long)s.sent,
		(unsigned long long)s.summaries, (unsigned long long)s.suppressed,
		(unsigned long long)s.failed, (unsigned long long)s.dropped,
		(unsigned long long)s.muted);
}

static void alert_free_stats(struct bh_ctl_alert *e, unsigned drain_ms,
			     struct bh_ctl_alert_stats *stats);

void bh_ctl_alert_free(struct bh_ctl_alert *e, unsigned drain_ms)
{
	alert_free_stats(e, drain_ms, NULL);
}

static void alert_free_stats(struct bh_ctl_alert *e, unsigned drain_ms,
			     struct bh_ctl_alert_stats *stats)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	close_windows(e, bh_mono_ns(), true);
	e->stop = true;
	e->drain_until_ns = bh_mono_ns() + (uint64_t)drain_ms * 1000000u;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->started)
		pthread_join(e->thread, NULL);
	if (stats)
		*stats = e->st;
	while (e->qlen) {
		msg_free(&e->q[e->qhead]);
		e->qhead = (e->qhead + 1) % e->o.queue_max;
		e->qlen--;
	}
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	free(e->q);
	free(e->rules);
	free(e->win);
	free(e);
}

int bh_ctl_alert_replay(struct bh_ctl_store *s, const char *buf, size_t len, unsigned drain_ms,
			struct bh_ctl_alert_stats *stats, struct bh_error **err)
{
	struct bh_ctl_alert_opts o = { .store = s, .queue_max = 4096 };
	struct bh_ctl_alert *e = NULL;
	json_t *events = NULL;
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (bh_json_parse(buf, len, 64u << 20, "events", &events, err) < 0)
		return -1;
	if (!json_is_array(events) && !json_is_object(events)) {
		json_decref(events);
		return bh_error_set(err, BH_ERR_INVALID, "events: expected an array or an object");
	}
	rc = bh_ctl_alert_new(&o, &e, err);
	if (rc >= 0)
		rc = bh_ctl_alert_events(e, events, err);
	if (e) {
		alert_free_stats(e, drain_ms, stats);
	}
	json_decref(events);
	return rc;
}

void bh_ctl_alert_on_vuln(void *ctx, const char *digest, const char *repository,
			  const struct bh_ctl_image_vuln *v)
{
	struct bh_ctl_alert *e = ctx;
	struct bh_error *err = NULL;
	bool muted = false;
	char *out;
	json_t *ev;

	/* ingest17: a finding suppressed now sends nothing (counted) */
	if (e->o.store && bh_ctl_suppress_active(e->o.store, v->id, digest, (int64_t)time(NULL),
						 &muted, &err) < 0)
		bh_error_warn(&err, "alerts of %s: reading the suppressions", v->id);
	if (muted) {
		pthread_mutex_lock(&e->mu);
		e->st.muted++;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	out = bh_asprintf("%s in %s %s (fixed in %s) of %s@%s", v->id, v->package, v->version,
			  v->fixed ? v->fixed : "no version yet", repository, digest);
	ev = json_pack("{sIsssssssss{ssssssssss?}}", "ts", (json_int_t)time(NULL), "kind", "vuln",
		       "rule", v->id, "severity", bh_severity_name(v->severity), "workload",
		       repository, "output", out, "data", "digest", digest, "package", v->package,
		       "version", v->version, "fixed", v->fixed);

	if (ev && bh_ctl_alert_events(e, ev, &err) < 0)
		bh_error_warn(&err, "alerts of %s", v->id);
	json_decref(ev);
	free(out);
}
