/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The matchers in the packet engine (engine_int.h): an HTTP request's query
 * and its form or JSON body (held up to SQLI_BODY_MAX) and SQL statements to
 * the SQL injection checks (sqli.h); message bodies and an unknown flow's
 * cleartext (in order, up to RAW_DLP_MAX a direction) through one data-leak
 * stream per direction (dlp.h). Hits become the flow's threats (reported as
 * records after the record they are about) and its masked dlp matches; the
 * state is allocated on first use and freed with the flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/engine_int.h"
#include "net/sqli.h"
#include "banned.h"

#define SQLI_BODY_MAX	(64 * 1024)   /* request body bytes held per flow for the SQLi check */
#define RAW_DLP_MAX	(1024 * 1024) /* bytes per direction of an unknown flow scanned for DLP */
#define HELD_SQLI_MAX	(16 * 1024)   /* held bytes of a given-up message judged for SQLi */
#define HELD_SQL_PIECES 4	      /* NUL-ended texts of a held PostgreSQL body judged */
enum { BODY_NONE, BODY_FORM, BODY_JSON };

static struct flow_match *match_state(struct flow *f)
{
	if (!f->m) {
		f->m = bh_calloc(1, sizeof(*f->m));
		bh_buf_init(&f->m->body, SQLI_BODY_MAX);
	}
	return f->m;
}

void net_match_free(struct flow *f)
{
	if (!f->m)
		return;
	for (int d = 0; d < 2; d++)
		bh_dlp_stream_free(f->m->dlp[d]);
	bh_buf_release(&f->m->body);
	free(f->m);
	f->m = NULL;
}

/* A threat found by a matcher: added to the flow and reported as a record. */
static void match_threat(struct flow *f, int dir, const char *app, const char *id,
			 const char *detail)
{
	struct bh_net_rec t = { .kind = BH_NET_REC_THREAT,
				.dir = (enum bh_net_dir)dir,
				.app = app };

	t.u.threat.id = id;
	t.u.threat.detail.p = detail;
	t.u.threat.detail.len = strlen(detail);
	net_flow_emit(f, &t);
}

static void sqli_hit(struct flow *f, int dir, const char *app, const char *where,
		     const struct bh_sqli_result *res)
{
	char d[160];

	if (res->param[0])
		snprintf(d, sizeof(d), "%s parameter \"%s\": %s (%s)", where, res->param,
			 res->rule ? res->rule : "?", res->fingerprint);
	else
		snprintf(d, sizeof(d), "%s: %s (%s)", where, res->rule ? res->rule : "?",
			 res->fingerprint);
	match_threat(f, dir, app, "BH-NET-SQLI", d);
}

static bool ct_is(struct bh_net_str ct, const char *want)
{
	size_t n = strlen(want);

	while (ct.len && (*ct.p == ' ' || *ct.p == '\t')) {
		ct.p++;
		ct.len--;
	}
	return ct.len >= n && !strncasecmp(ct.p, want, n) &&
	       (ct.len == n || ct.p[n] == ';' || ct.p[n] == ' ');
}

static int body_kind(struct bh_net_str ct)
{
	if (!ct.p)
		return BODY_NONE;
	if (ct_is(ct, "application/x-www-form-urlencoded"))
		return BODY_FORM;
	if (ct_is(ct, "application/json"))
		return BODY_JSON;
	/* application/<x>+json */
	for (size_t i = 0; i + 5 <= ct.len && ct.p[i] != ';'; i++)
		if (!strncasecmp(ct.p + i, "+json", 5) &&
		    (i + 5 == ct.len || ct.p[i + 5] == ';' || ct.p[i + 5] == ' '))
			return BODY_JSON;
	return BODY_NONE;
}

/* Judge the request body held (whole, or its first SQLI_BODY_MAX bytes). */
static void body_judge(struct flow *f, const char *app)
{
	struct flow_match *m = f->m;
	struct bh_sqli_result res = { 0 };
	bool hit = false;

	if (!m || m->body_kind == BODY_NONE)
		return;
	if (m->body_kind == BODY_FORM) {
		hit = bh_sqli_check_urlencoded(m->body.data ? m->body.data : "", m->body.len, &res);
	} else if (m->body.len) {
		struct bh_error *err = NULL;

		/* a body cut at the bound is not JSON: judged as far as it parses */
		hit = bh_sqli_check_json(m->body.data, m->body.len, &res, &err) == 1;
		bh_error_free(err);
	}
	m->body_kind = BODY_NONE;
	bh_buf_reset(&m->body);
	if (hit)
		sqli_hit(f, BH_NET_TO_SERVER, app, "request body", &res);
}

static void on_request(struct flow *f, const struct bh_net_rec *rec)
{
	struct bh_sqli_result res = { 0 };
	int kind = body_kind(rec->u.http.content_type);

	if (rec->u.http.query.len &&
	    bh_sqli_check_urlencoded(rec->u.http.query.p, rec->u.http.query.len, &res))
		sqli_hit(f, rec->dir, rec->app, "query string", &res);
	/* one body is held at a time: another stream's request judges the last one */
	if (f->m && f->m->body_kind != BODY_NONE)
		body_judge(f, rec->app);
	if (kind != BODY_NONE) {
		struct flow_match *m = match_state(f);

		m->body_kind = kind;
		m->body_stream = rec->u.http.stream_id;
	}
}

/* The data-leak matcher with the user's sensors, their names checked. */
int net_match_dlp_new(const struct bh_net_sensor *s, size_t n, struct bh_dlp **out,
		      struct bh_error **err)
{
	struct bh_dlp_sensor *ds;
	int rc;

	if (n > BH_DLP_MAX_SENSORS)
		return bh_error_set(err, BH_ERR_LIMIT, "%zu data-leak sensors (at most %d)", n,
				    BH_DLP_MAX_SENSORS);
	ds = n ? bh_calloc(n, sizeof(*ds)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const char *nm = s[i].name ? s[i].name : "";
		size_t len = strlen(nm);
		bool ok = len >= 1 && len <= BH_NET_SENSOR_NAME_MAX && strcmp(nm, "ssn") != 0 &&
			  strncmp(nm, "card-", 5) != 0;

		for (size_t k = 0; ok && k < len; k++)
			ok = (nm[k] >= 'a' && nm[k] <= 'z') || (nm[k] >= '0' && nm[k] <= '9') ||
			     nm[k] == '-' || nm[k] == '_';
		if (!ok) {
			free(ds);
			return bh_error_set(err, BH_ERR_USAGE,
					    "data-leak sensor name '%.40s': 1 to %d of a-z, 0-9, "
					    "'-', '_', and not 'ssn' or 'card-...'",
					    nm, BH_NET_SENSOR_NAME_MAX);
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s[k].name, nm)) {
				free(ds);
				return bh_error_set(err, BH_ERR_USAGE,
						    "data-leak sensor '%s' given twice", nm);
			}
		ds[i].name = nm;
		ds[i].pattern = s[i].pattern;
	}
	rc = bh_dlp_new(ds, n, out, err);
	free(ds);
	return rc;
}

static void dlp_match(void *opaque, const struct bh_dlp_match *dm);

struct dlp_cb {
	struct flow *f;
	int dir;
	const char *app;
};

static void dlp_match(void *opaque, const struct bh_dlp_match *dm)
{
	struct dlp_cb *c = opaque;
	struct flow_match *m = c->f->m;
	const char *id = !strncmp(dm->kind, "card-", 5) ? "BH-NET-DLP-CARD"
			 : !strcmp(dm->kind, "ssn")	? "BH-NET-DLP-SSN"
							: "BH-NET-DLP-SENSOR";
	char d[96];

	if (m->n_hits < BH_NET_FLOW_DLP_MAX) {
		struct bh_net_dlp_hit *h = &m->hits[m->n_hits++];

		h->type = dm->kind;
		snprintf(h->masked, sizeof(h->masked), "%s", dm->masked);
		h->dir = c->dir;
		h->offset = dm->offset;
	}
	snprintf(d, sizeof(d), "%s %s at %llu", dm->kind, dm->masked,
		 (unsigned long long)dm->offset);
	match_threat(c->f, c->dir, c->app, id, d);
}

/* Feed the data-leak stream of direction dir (p NULL: n bytes lost). */
static void dlp_feed(struct flow *f, int dir, const char *app, const uint8_t *p, size_t n)
{
	struct flow_match *m;
	struct dlp_cb c = { f, dir, app };

	if (!f->e->dlp)
		return;
	m = match_state(f);
	if (!m->dlp[dir] && bh_dlp_stream_new(f->e->dlp, &m->dlp[dir], NULL) < 0)
		return;
	bh_dlp_feed(m->dlp[dir], p, n, dlp_match, &c);
}

static void dlp_finish(struct flow *f)
{
	for (int d = 0; f->m && d < 2; d++)
		if (f->m->dlp[d]) {
			struct dlp_cb c = { f, d, f->d ? f->d->app : "unknown" };

			bh_dlp_finish(f->m->dlp[d], dlp_match, &c);
		}
}

static void on_body(struct flow *f, const struct bh_net_rec *rec)
{
	struct flow_match *m;

	if (rec->u.body.data.len || !rec->u.body.data.p)
		dlp_feed(f, rec->dir, rec->app, (const uint8_t *)rec->u.body.data.p,
			 rec->u.body.data.len);
	m = f->m;
	if (rec->dir != BH_NET_TO_SERVER || !m || m->body_kind == BODY_NONE ||
	    m->body_stream != rec->u.body.stream_id)
		return;
	if (rec->u.body.data.p && m->body.len < SQLI_BODY_MAX) {
		size_t room = SQLI_BODY_MAX - m->body.len, take = rec->u.body.data.len;

		if (take > room)
			take = room;
		if (take)
			bh_buf_add(&m->body, rec->u.body.data.p, take, NULL);
	}
	if (rec->u.body.last || m->body.len >= SQLI_BODY_MAX)
		body_judge(f, rec->app);
}

/* A statement sent by an SQL client (its type filled), judged whole. */
static void on_sql(struct flow *f, const struct bh_net_rec *rec)
{
	struct bh_sqli_result res = { 0 };

	if (rec->u.sql.text.len &&
	    bh_sqli_check_statement(rec->u.sql.text.p, rec->u.sql.text.len, &res))
		sqli_hit(f, rec->dir, rec->app, rec->u.sql.statement, &res);
}

/* A DNS query: the client's distinct names under its domain (dns_meter.h). */
static void on_dns(struct flow *f, const struct bh_net_rec *rec)
{
	struct bh_net_engine *e = f->e;
	char domain[DNSM_DOMAIN + 1], d[160];
	unsigned names;

	if (rec->u.dns.response || rec->dir != BH_NET_TO_SERVER || !rec->u.dns.qname.len)
		return;
	if (!e->dnsm)
		e->dnsm = bh_dns_meter_new(e->o.dns_names, 60, e->seed);
	if (!bh_dns_meter_query(e->dnsm, f->info.client_addr, rec->u.dns.qname.p,
				rec->u.dns.qname.len, e->now, &names, domain))
		return;
	snprintf(d, sizeof(d), "%u distinct names under %s from one client in 60 s", names, domain);
	match_threat(f, rec->dir, rec->app, "BH-NET-DNS-VOLUME", d);
}

/* A line protocol's command (SMTP, FTP): its argument is client text, read
 * for data leaks (a card number in SITE, VRFY, RCPT), a line end after it so
 * two commands' digits never join. Secrets are never recorded (AUTH's and
 * PASS's). */
static void on_command(struct flow *f, const struct bh_net_rec *rec)
{
	if (rec->dir != BH_NET_TO_SERVER || !rec->u.command.arg.len ||
	    (strcmp(rec->app, "smtp") && strcmp(rec->app, "ftp")))
		return;
	dlp_feed(f, rec->dir, rec->app, (const uint8_t *)rec->u.command.arg.p,
		 rec->u.command.arg.len);
	dlp_feed(f, rec->dir, rec->app, (const uint8_t *)"\n", 1);
}

void net_match_record(struct flow *f, const struct bh_net_rec *rec)
{
	switch (rec->kind) {
	case BH_NET_REC_COMMAND: on_command(f, rec); break;
	case BH_NET_REC_SQL: on_sql(f, rec); break;
	case BH_NET_REC_HTTP_BODY: on_body(f, rec); break;
	case BH_NET_REC_HTTP_REQUEST: on_request(f, rec); break;
	case BH_NET_REC_DNS: on_dns(f, rec); break;
	default: break;
	}
}

/* The bytes of a flow no dissector took, scanned for data leaks up to a bound. */
void net_match_raw(struct flow *f, int dir, const uint8_t *p, size_t n)
{
	uint64_t done = f->m ? f->m->raw[dir] : 0;

	if (done >= RAW_DLP_MAX || !n)
		return;
	if (n > RAW_DLP_MAX - done)
		n = RAW_DLP_MAX - done;
	dlp_feed(f, dir, "unknown", p, n);
	if (f->m)
		f->m->raw[dir] += n;
}

/*
 * The SQL injection checks the protocol would have applied, on the bytes of
 * a message its dissector held and gave up on (dissect.h's ctx->held): an
 * injection begun in one segment of a message made malformed in the next is
 * still judged. HTTP: the request target's query (the held bytes are the
 * header block; the target runs to the start line's last space, or to the
 * held bytes' end when the line is cut short); PostgreSQL: each NUL-ended text of the body of a
 * Query or a Parse (type, the dissector's type byte: a Bind's values, CopyData or a startup packet
 * are not SQL and are not judged); MySQL: the text of a COM_QUERY or COM_STMT_PREPARE. At most
 * HELD_SQLI_MAX bytes are judged (every dissector's hold is bounded too), once per give-up: off the
 * hot path.
 */
static void held_sqli(struct flow *f, int dir, const char *app, uint8_t type, const char *p,
		      size_t n)
{
	struct bh_sqli_result res = { 0 };

	if (dir != BH_NET_TO_SERVER)
		return;
	if (n > HELD_SQLI_MAX)
		n = HELD_SQLI_MAX;
	if (!strcmp(app, "http")) {
		/* "METHOD SP target ..." up to the end of the start line */
		const char *eol = memchr(p, '\n', n), *sp = memchr(p, ' ', n), *q, *end;

		end = eol ? eol : p + n;
		if (!sp || sp > end)
			return;
		q = memchr(sp + 1, '?', (size_t)(end - sp - 1));
		if (!q)
			return;
		/* the target ends at the line's last space, raw spaces in it
		 * included (l7_http.c reads it so); a line cut short, at its end */
		const char *qe = end;

		while (qe > q + 1 && (qe[-1] == '\r'))
			qe--;
		if (eol) {
			const char *ls = qe;

			while (ls > q + 1 && ls[-1] != ' ')
				ls--;
			if (ls > q + 1)
				qe = ls - 1;
		}
		if (bh_sqli_check_urlencoded(q + 1, (size_t)(qe - q - 1), &res))
			sqli_hit(f, dir, app, "held query string", &res);
	} else if (!strcmp(app, "postgresql")) {
		if (type != 'Q' && type != 'P')
			return;
		for (size_t i = 0, k = 0; i < n && k < HELD_SQL_PIECES; k++) {
			const char *z = memchr(p + i, 0, n - i);
			size_t len = z ? (size_t)(z - p) - i : n - i;

			if (len && bh_sqli_check_statement(p + i, len, &res)) {
				sqli_hit(f, dir, app, "held statement", &res);
				return;
			}
			i += len + 1;
		}
	} else if (!strcmp(app, "mysql")) {
		size_t i = 1;

		/* COM_QUERY, COM_STMT_PREPARE; query attributes' counts before the text */
		if (!n || (p[0] != 0x03 && p[0] != 0x16))
			return;
		while (i < n && (unsigned char)p[i] < 0x20)
			i++;
		if (i < n && bh_sqli_check_statement(p + i, n - i, &res))
			sqli_hit(f, dir, app, "held statement", &res);
	}
}

/* The bytes of a message a dissector held and gave up on (engine_ident.c):
 * the data-leak scan of an unknown flow's bytes, and the protocol's SQL
 * injection checks where they make sense. */
void net_match_held(struct flow *f, int dir, const char *app, uint8_t type, const uint8_t *p,
		    size_t n)
{
	net_match_raw(f, dir, p, n);
	if (app && n)
		held_sqli(f, dir, app, type, (const char *)p, n);
}

/* Whether an unknown flow's bytes of direction dir are still scanned. */
bool net_match_raw_wanted(const struct flow *f, int dir)
{
	return !f->d && f->e->dlp && (!f->m || f->m->raw[dir] < RAW_DLP_MAX);
}

void net_match_raw_stop(struct flow *f, int dir)
{
	if (f->m)
		f->m->raw[dir] = RAW_DLP_MAX;
}

void net_match_finish(struct flow *f)
{
	body_judge(f, f->d ? f->d->app : "unknown");
	dlp_finish(f);
}
