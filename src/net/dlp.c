/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming data-leak matcher (see dlp.h). Cards and SSNs: a byte-wise
 * state machine over the stream that keeps the current run of digit groups
 * (digits with single separators of one kind between them) and judges it
 * when a byte ends it; so a number split across pieces at any byte is
 * judged as a whole. Sensors: one vectorscan stream database, fed the same
 * bytes, with a history ring for the confirm step.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lazy/hs.h"
#include "net/dlp.h"
#include "banned.h"

#define MAXG  16 /* digit groups kept of the current run */
#define GMAX  19 /* digits kept per group (a longer group is part of nothing) */
#define CHUNK (BH_DLP_HISTORY / 2)

struct grp {
	uint64_t start; /* stream offset of its first digit */
	uint8_t nd;	/* digits, GMAX + 1 when longer than GMAX */
	char d[GMAX];
};

struct bh_dlp {
	hs_database_t *db;
	hs_scratch_t *scratch;
	size_t n;
	char **names;
	bh_dlp_confirm_fn *confirm;
	void **opaque;
};

struct bh_dlp_stream {
	const struct bh_dlp *d;
	hs_stream_t *hs;
	uint64_t off;	    /* offset of the next byte */
	uint64_t hist_from; /* the ring holds bytes [hist_from, off) */
	uint64_t hs_base;   /* stream offset vectorscan's offset 0 is (moves at a gap) */
	bool active;	    /* inside a run */
	bool glued_before;  /* the run's first group touches a word or number */
	bool trimmed;	    /* the run lost groups at its start (too many) */
	bool pending;	    /* the last byte was a separator */
	char sep;	    /* the run's separator, 0 while none */
	uint8_t ng;
	struct grp g[MAXG];
	uint8_t prev, prev2; /* the two bytes before the current one */
	bh_dlp_match_fn cb;  /* during feed */
	void *cbo;
	int hs_failed;
	uint8_t hist[BH_DLP_HISTORY];
};

/* ---- validation ------------------------------------------------------------ */

static bool luhn(const char *d, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static unsigned prefix(const char *d, size_t k)
{
	unsigned v = 0;

	for (size_t i = 0; i < k; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

const char *bh_dlp_card_brand(const char *d, size_t n)
{
	if (n < 13 || n > 19)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!bh_isdigit((unsigned char)d[i]))
			return NULL;
	if (!luhn(d, n))
		return NULL;
	unsigned p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4), p6 = prefix(d, 6);
	if (d[0] == '4' && (n == 13 || n == 16 || n == 19))
		return "visa";
	if (n == 16 && ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)))
		return "mastercard";
	if (n == 15 && (p2 == 34 || p2 == 37))
		return "amex";
	if (n >= 16 &&
	    (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)))
		return "discover";
	if (n >= 16 && p4 >= 3528 && p4 <= 3589)
		return "jcb";
	if (n >= 14 && ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39))
		return "diners";
	if (n >= 16 && p2 == 62)
		return "unionpay";
	return NULL;
}

bool bh_dlp_ssn_valid(unsigned area, unsigned group, unsigned serial)
{
	static const unsigned advertised[][3] = {
		{ 78, 5, 1120 },
		{ 219, 9, 9999 },
		{ 457, 55, 5462 },
		{ 123, 45, 6789 },
	};

	if (area == 0 || area == 666 || area >= 900 || area > 999 || group == 0 || group > 99 ||
	    serial == 0 || serial > 9999)
		return false;
	for (size_t i = 0; i < sizeof(advertised) / sizeof(advertised[0]); i++)
		if (advertised[i][0] == area && advertised[i][1] == group &&
		    advertised[i][2] == serial)
			return false;
	return true;
}

bool bh_dlp_confirm_luhn(const char *m, size_t n, void *opaque)
{
	char d[32];
	size_t k = 0;

	(void)opaque;
	for (size_t i = 0; i < n; i++) {
		if (bh_isdigit((unsigned char)m[i])) {
			if (k == sizeof(d))
				return false;
			d[k++] = m[i];
		}
	}
	return k >= 12 && luhn(d, k);
}

/* ---- the digit-run machine --------------------------------------------------- */

/* The card groupings by length (digits per group, 0-terminated). */
static const uint8_t groupings[][6] = {
	{ 4, 4, 5, 0 },	      /* 13: Visa */
	{ 4, 6, 4, 0 },	      /* 14: Diners */
	{ 4, 6, 5, 0 },	      /* 15: Amex */
	{ 4, 4, 4, 4, 0 },    /* 16 */
	{ 4, 4, 4, 4, 3, 0 }, /* 19 */
	{ 6, 13, 0 },	      /* 19: UnionPay, Maestro style */
};

static void report(struct bh_dlp_stream *st, const char *kind, const struct grp *first,
		   const struct grp *last, const char *digits, size_t n, bool ssn)
{
	struct bh_dlp_match m = { .kind = kind, .offset = first->start };
	size_t k = 0;

	m.len = (uint32_t)(last->start + last->nd - first->start);
	if (ssn) {
		memcpy(m.masked, "***-**-", 7);
		k = 7;
	} else {
		for (size_t i = 0; i + 4 < n && k < BH_DLP_MASK_MAX - 4; i++)
			m.masked[k++] = '*';
	}
	memcpy(m.masked + k, digits + n - 4, 4);
	m.masked[k + 4] = 0;
	if (st->cb)
		st->cb(st->cbo, &m);
}

static const char *const card_kinds[][2] = {
	{ "visa", "card-visa" },	 { "mastercard", "card-mastercard" },
	{ "amex", "card-amex" },	 { "discover", "card-discover" },
	{ "jcb", "card-jcb" },		 { "diners", "card-diners" },
	{ "unionpay", "card-unionpay" },
};

static const char *card_kind(const char *brand)
{
	for (size_t i = 0; i < sizeof(card_kinds) / sizeof(card_kinds[0]); i++)
		if (strcmp(card_kinds[i][0], brand) == 0)
			return card_kinds[i][1];
	return NULL;
}

/* Judge groups g[a..a+k) as one number; true when it was reported. */
static bool judge(struct bh_dlp_stream *st, size_t a, size_t k)
{
	const struct grp *g = &st->g[a];
	char d[GMAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < k; i++)
		if (g[i].nd > GMAX)
			return false;
	if (k == 3 && g[0].nd == 3 && g[1].nd == 2 && g[2].nd == 4) {
		unsigned area = prefix(g[0].d, 3), grp = prefix(g[1].d, 2), ser = prefix(g[2].d, 4);
		if (!bh_dlp_ssn_valid(area, grp, ser))
			return false;
		report(st, "ssn", &g[0], &g[2], g[2].d, 4, true);
		return true;
	}
	if (k > 1) {
		bool ok = false;
		for (size_t p = 0; p < sizeof(groupings) / sizeof(groupings[0]) && !ok; p++) {
			size_t i = 0;
			while (i < k && groupings[p][i] == g[i].nd)
				i++;
			ok = i == k && groupings[p][i] == 0;
		}
		if (!ok)
			return false;
	}
	for (size_t i = 0; i < k; i++) {
		if (n + g[i].nd > GMAX)
			return false;
		memcpy(d + n, g[i].d, g[i].nd);
		n += g[i].nd;
	}
	const char *brand = bh_dlp_card_brand(d, n);
	if (!brand)
		return false;
	report(st, card_kind(brand), &g[0], &g[k - 1], d, n, false);
	return true;
}

/* The run ended; after is the byte that ended it (0 at the end of the stream). */
static void end_run(struct bh_dlp_stream *st, uint8_t after)
{
	bool glued_after = !st->pending && (bh_isalpha(after) || after >= 0x80);
	size_t ng = st->ng;

	st->active = false;
	if (ng == 0)
		return;
	if (!st->trimmed && !st->glued_before && !glued_after && judge(st, 0, ng))
		return;
	if (st->sep != ' ' || ng < 2)
		return;
	/* A run of space-separated groups: numbers written next to each other
	 * ("qty 2 4111 1111 1111 1111"). Look for one inside, longest first,
	 * leaving out a group glued to a word. */
	size_t lo = st->glued_before || st->trimmed ? 1 : 0, hi = glued_after ? ng - 1 : ng;
	for (size_t a = lo; a < hi;) {
		bool hit = false;
		for (size_t k = hi - a > 5 ? 5 : hi - a; k >= 1 && !hit; k--)
			if (!(k == ng && a == 0))
				hit = judge(st, a, k) ? (a += k, true) : false;
		if (!hit)
			a++;
	}
}

static void byte(struct bh_dlp_stream *st, uint8_t c)
{
	if (bh_isdigit(c)) {
		struct grp *g;
		if (!st->active) {
			st->active = true;
			st->ng = 0;
			st->sep = 0;
			st->pending = true; /* start a group below */
			st->trimmed = false;
			st->glued_before =
				bh_isalpha(st->prev) || st->prev >= 0x80 ||
				((st->prev == '.' || st->prev == ',') && bh_isdigit(st->prev2));
		}
		if (st->pending) {
			if (st->ng == MAXG) {
				memmove(st->g, st->g + 1, sizeof(st->g[0]) * (MAXG - 1));
				st->ng--;
				st->trimmed = true;
				st->glued_before = false;
			}
			g = &st->g[st->ng++];
			g->start = st->off;
			g->nd = 0;
			st->pending = false;
		}
		g = &st->g[st->ng - 1];
		if (g->nd < GMAX)
			g->d[g->nd] = (char)c;
		if (g->nd <= GMAX)
			g->nd++;
	} else if (st->active && (c == ' ' || c == '-') && !st->pending &&
		   (st->sep == 0 || st->sep == c)) {
		st->pending = true;
		st->sep = (char)c;
	} else if (st->active) {
		end_run(st, c);
	}
	st->prev2 = st->prev;
	st->prev = c;
	st->off++;
}

/* ---- sensors ------------------------------------------------------------------ */

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		 void *ctx)
{
	struct bh_dlp_stream *st = ctx;
	const struct bh_dlp *d = st->d;
	struct bh_dlp_match m = { 0 };
	char buf[BH_DLP_HISTORY];

	from += st->hs_base;
	to += st->hs_base;
	size_t n = (size_t)(to - from), k = 0;
	bool have = from >= st->hist_from && n <= BH_DLP_HISTORY;

	(void)flags;
	if (id >= d->n)
		return 0;
	if (have)
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)st->hist[(from + i) % BH_DLP_HISTORY];
	if (d->confirm[id] && (!have || !d->confirm[id](buf, n, d->opaque[id])))
		return 0;
	m.kind = d->names[id];
	m.offset = from;
	m.len = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
	memcpy(m.masked, "****", 4);
	k = 4;
	if (have && n > 8)
		for (size_t i = n - 4; i < n; i++)
			m.masked[k++] = bh_isprint((unsigned char)buf[i]) ? buf[i] : '?';
	m.masked[k] = 0;
	if (st->cb)
		st->cb(st->cbo, &m);
	return 0;
}

int bh_dlp_new(const struct bh_dlp_sensor *sensors, size_t n, struct bh_dlp **out,
	       struct bh_error **err)
{
	struct bh_dlp *d = bh_calloc(1, sizeof(*d));
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *ce = NULL;
	int ret = -1;

	*out = NULL;
	if (n > BH_DLP_MAX_SENSORS) {
		bh_error_set(err, BH_ERR_LIMIT, "%zu data-leak sensors (at most %d)", n,
			     BH_DLP_MAX_SENSORS);
		goto out;
	}
	if (n == 0) {
		*out = d;
		return 0;
	}
	if (bh_lazy_require(&bh_lazy_hs, err) < 0)
		goto out;
	exprs = bh_calloc(n, sizeof(*exprs));
	flags = bh_calloc(n, sizeof(*flags));
	ids = bh_calloc(n, sizeof(*ids));
	d->names = bh_calloc(n, sizeof(*d->names));
	d->confirm = bh_calloc(n, sizeof(*d->confirm));
	d->opaque = bh_calloc(n, sizeof(*d->opaque));
	d->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!sensors[i].name || !sensors[i].pattern || !*sensors[i].pattern) {
			bh_error_set(err, BH_ERR_INVALID,
				     "data-leak sensor %zu: no name or pattern", i);
			goto out;
		}
		exprs[i] = sensors[i].pattern;
		flags[i] = HS_FLAG_SOM_LEFTMOST | (sensors[i].caseless ? HS_FLAG_CASELESS : 0);
		ids[i] = (unsigned)i;
		d->names[i] = bh_strdup(sensors[i].name);
		d->confirm[i] = sensors[i].confirm;
		d->opaque[i] = sensors[i].confirm_opaque;
	}
	if (hs_compile_multi(exprs, flags, ids, (unsigned)n,
			     HS_MODE_STREAM | HS_MODE_SOM_HORIZON_MEDIUM, NULL, &d->db,
			     &ce) != HS_SUCCESS) {
		int at = ce ? ce->expression : -1;
		bh_error_set(err, BH_ERR_INVALID, "data-leak sensor %s: %s",
			     at >= 0 && (size_t)at < n ? sensors[at].name : "?",
			     ce && ce->message ? ce->message : "vectorscan refused it");
		hs_free_compile_error(ce);
		goto out;
	}
	if (hs_alloc_scratch(d->db, &d->scratch) != HS_SUCCESS) {
		bh_error_set(err, BH_ERR_NOMEM, "vectorscan scratch for the data-leak sensors");
		goto out;
	}
	*out = d;
	d = NULL;
	ret = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	bh_dlp_free(d);
	return ret;
}

void bh_dlp_free(struct bh_dlp *d)
{
	if (!d)
		return;
	if (d->scratch)
		hs_free_scratch(d->scratch);
	if (d->db)
		hs_free_database(d->db);
	for (size_t i = 0; d->names && i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->confirm);
	free(d->opaque);
	free(d);
}

int bh_dlp_stream_new(const struct bh_dlp *d, struct bh_dlp_stream **out, struct bh_error **err)
{
	struct bh_dlp_stream *st = bh_calloc(1, sizeof(*st));

	st->d = d;
	if (d->db && hs_open_stream(d->db, 0, &st->hs) != HS_SUCCESS) {
		free(st);
		*out = NULL;
		return bh_error_set(err, BH_ERR_NOMEM, "vectorscan stream for data-leak sensors");
	}
	*out = st;
	return 0;
}

void bh_dlp_stream_free(struct bh_dlp_stream *st)
{
	if (!st)
		return;
	if (st->hs)
		hs_close_stream(st->hs, NULL, NULL, NULL);
	free(st);
}

int bh_dlp_feed(struct bh_dlp_stream *st, const uint8_t *data, size_t len, bh_dlp_match_fn cb,
		void *opaque)
{
	int ret = 0;

	st->cb = cb;
	st->cbo = opaque;
	if (!data) {
		/* A gap: nothing before it can be joined with what follows. */
		if (st->active)
			end_run(st, 0);
		st->active = false;
		st->prev = st->prev2 = 0;
		st->off += len;
		st->hist_from = st->off;
		if (st->hs)
			hs_reset_stream(st->hs, 0, NULL, NULL, NULL);
		st->hs_base = st->off;
		return 0;
	}
	for (size_t at = 0; at < len;) {
		size_t n = len - at > CHUNK ? CHUNK : len - at;
		const uint8_t *p = data + at;
		uint64_t start = st->off;
		if (st->hs) {
			for (size_t i = 0; i < n; i++)
				st->hist[(start + i) % BH_DLP_HISTORY] = p[i];
			uint64_t end = start + n;
			if (end - st->hist_from > BH_DLP_HISTORY)
				st->hist_from = end - BH_DLP_HISTORY;
		}
		for (size_t i = 0; i < n;) {
			/* Fast path: outside a run, skip to the next digit. */
			if (!st->active) {
				size_t j = i;
				while (j < n && (unsigned)(p[j] - '0') > 9)
					j++;
				if (j > i) {
					st->prev2 = j - i >= 2 ? p[j - 2] : st->prev;
					st->prev = p[j - 1];
					st->off += j - i;
					i = j;
					continue;
				}
			}
			byte(st, p[i++]);
		}
		if (st->hs && !st->hs_failed) {
			/* vectorscan counts from its last reset: on_hs adds hs_base. */
			if (hs_scan_stream(st->hs, (const char *)p, (unsigned)n, 0, st->d->scratch,
					   on_hs, st) != HS_SUCCESS) {
				st->hs_failed = 1;
				ret = -1;
			}
		}
		at += n;
	}
	st->cb = NULL;
	return ret;
}

int bh_dlp_finish(struct bh_dlp_stream *st, bh_dlp_match_fn cb, void *opaque)
{
	st->cb = cb;
	st->cbo = opaque;
	if (st->active)
		end_run(st, 0);
	if (st->hs) {
		hs_close_stream(st->hs, st->d->scratch, on_hs, st);
		st->hs = NULL;
	}
	st->cb = NULL;
	return 0;
}
