/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A batch of events in one pass over the body (src/ctl/ingest_scan.h):
 * jansson's tree of a 100-event batch cost about as much CPU as storing it.
 * The scan follows the JSON grammar strictly, bounded (nesting, members of
 * an object, number lengths), checks every member as the tree parse does,
 * and slices out each event's text and its typed members. It declines
 * (returns 1) whatever it does not take in its plain form: a key or a typed
 * member with an escape, a \u escape anywhere, a byte above 0x7e in a
 * string, an exponent or more than 15 characters in a number, nesting past
 * DEPTH_MAX, more than KEYS_MAX members in one object, any member missing,
 * unknown or out of range, and any JSON error. What it declines goes to the
 * tree parse, which then accepts it or says what is wrong, so a batch is
 * never refused by the scan. fuzz/fuzz_ctl_ingest.c checks that what the
 * scan accepts the tree parse accepts too, with the same members.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"
#include "ctl/ingest_scan.h"
#include "banned.h"

#define DEPTH_MAX 32 /* nesting of an event's data */
#define KEYS_MAX  32 /* members of one object of data (duplicates refused) */
#define NUM_MAX	  15 /* characters of a number of data: never overflows */
#define TS_MAX	  ((int64_t)253402300799)

struct scan {
	const char *b;
	size_t len, i;
	char *arena; /* the NUL-terminated copies (out->text) */
	size_t used;
};

static void ws(struct scan *s)
{
	while (s->i < s->len && (s->b[s->i] == ' ' || s->b[s->i] == '\t' || s->b[s->i] == '\n' ||
				 s->b[s->i] == '\r'))
		s->i++;
}

static bool at(const struct scan *s, char c)
{
	return s->i < s->len && s->b[s->i] == c;
}

/* s->i past c (and the whitespace after it), or false. */
static bool eat(struct scan *s, char c)
{
	if (!at(s, c))
		return false;
	s->i++;
	ws(s);
	return true;
}

static bool digit(const struct scan *s)
{
	return s->i < s->len && s->b[s->i] >= '0' && s->b[s->i] <= '9';
}

/* A string at s->i: its content at b[*start], *n bytes, s->i past it. Bytes
 * 0x20..0x7e only; escapes (not \u) only when esc. */
static bool str(struct scan *s, bool esc, size_t *start, size_t *n)
{
	if (!at(s, '"'))
		return false;
	*start = ++s->i;
	for (; s->i < s->len; s->i++) {
		unsigned char c = (unsigned char)s->b[s->i];

		if (c == '"') {
			*n = s->i++ - *start;
			return true;
		}
		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == '\\') {
			if (!esc || ++s->i >= s->len || !strchr("\"\\/bfnrt", s->b[s->i]) ||
			    !s->b[s->i])
				return false;
		}
	}
	return false;
}

static bool word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	if (s->len - s->i < n || memcmp(s->b + s->i, w, n))
		return false;
	s->i += n;
	return true;
}

static bool number(struct scan *s)
{
	size_t start = s->i;

	if (at(s, '-'))
		s->i++;
	if (at(s, '0')) {
		s->i++;
	} else if (digit(s)) {
		while (digit(s))
			s->i++;
	} else {
		return false;
	}
	if (at(s, '.')) {
		s->i++;
		if (!digit(s))
			return false;
		while (digit(s))
			s->i++;
	}
	return !at(s, 'e') && !at(s, 'E') && s->i - start <= NUM_MAX;
}

static bool value(struct scan *s, int depth);

/* An object; when output, the content of its member "output" when that is
 * a string (else *output stays as it was). */
static bool object(struct scan *s, int depth, size_t output[2])
{
	size_t ks[KEYS_MAX], kn[KEYS_MAX], nk = 0, st, n;

	if (depth > DEPTH_MAX || !eat(s, '{'))
		return false;
	if (eat(s, '}'))
		return true;
	for (;;) {
		if (!str(s, false, &st, &n) || nk == KEYS_MAX)
			return false;
		for (size_t k = 0; k < nk; k++)
			if (kn[k] == n && !memcmp(s->b + ks[k], s->b + st, n))
				return false; /* a duplicate member */
		ks[nk] = st;
		kn[nk++] = n;
		ws(s);
		if (!eat(s, ':'))
			return false;
		if (output && n == 6 && !memcmp(s->b + st, "output", 6) && at(s, '"')) {
			if (!str(s, true, &output[0], &output[1]))
				return false;
		} else if (!value(s, depth)) {
			return false;
		}
		ws(s);
		if (eat(s, '}'))
			return true;
		if (!eat(s, ','))
			return false;
	}
}

static bool array(struct scan *s, int depth)
{
	if (depth > DEPTH_MAX || !eat(s, '['))
		return false;
	if (eat(s, ']'))
		return true;
	for (;;) {
		if (!value(s, depth))
			return false;
		ws(s);
		if (eat(s, ']'))
			return true;
		if (!eat(s, ','))
			return false;
	}
}

static bool value(struct scan *s, int depth)
{
	size_t st, n;

	if (s->i >= s->len)
		return false;
	switch (s->b[s->i]) {
	case '"': return str(s, true, &st, &n);
	case '{': return object(s, depth + 1, NULL);
	case '[': return array(s, depth + 1);
	case 't': return word(s, "true");
	case 'f': return word(s, "false");
	case 'n': return word(s, "null");
	default: return number(s);
	}
}

/* A non-negative integer of at most max (no sign, no leading zero). */
static bool uint_member(struct scan *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t start = s->i;

	while (digit(s)) {
		if (v > (max - (s->b[s->i] - '0')) / 10)
			return false;
		v = v * 10 + (s->b[s->i++] - '0');
	}
	if (s->i == start || (s->b[start] == '0' && s->i - start > 1) || at(s, '.') || at(s, 'e') ||
	    at(s, 'E'))
		return false;
	*out = v;
	return true;
}

static char *keep(struct scan *s, size_t start, size_t n)
{
	char *p = s->arena + s->used;

	memcpy(p, s->b + start, n);
	p[n] = 0;
	s->used += n + 1;
	return p;
}

/* A string's content (checked by str: escapes but \u only) unescaped. */
static char *keep_unescaped(struct scan *s, size_t start, size_t n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char *p = s->arena + s->used, *o = p;

	for (size_t k = 0; k < n; k++) {
		char c = s->b[start + k];

		if (c == '\\')
			c = to[strchr(from, s->b[start + ++k]) - from];
		*o++ = c;
	}
	*o = 0;
	s->used += (size_t)(o - p) + 1;
	return p;
}

static bool kind_char(int c)
{
	return bh_islower(c) || bh_isdigit(c) || c == '_' || c == '.' || c == '-';
}

static bool sev_char(int c)
{
	return bh_isalpha(c);
}

/* A typed string member of an event: NULL for JSON null (when may_null). */
static bool field(struct scan *s, size_t max, bool (*ok)(int c), bool may_null, const char **out)
{
	size_t st, n;

	if (at(s, 'n')) {
		*out = NULL;
		return may_null && word(s, "null");
	}
	if (!str(s, false, &st, &n) || n == 0 || n > max)
		return false;
	for (size_t k = 0; k < n; k++)
		if (s->b[st + k] == 0x7f || (ok && !ok((unsigned char)s->b[st + k])))
			return false;
	*out = keep(s, st, n);
	return true;
}

static const char *const event_keys[] = {
	"ts", "kind", "rule", "severity", "workload", "data", NULL
};

static int key_index(const struct scan *s, size_t st, size_t n, const char *const *keys)
{
	for (int k = 0; keys[k]; k++)
		if (strlen(keys[k]) == n && !memcmp(keys[k], s->b + st, n))
			return k;
	return -1;
}

/* The next member of an object of fixed keys, up to its value: the ',' before
 * it (after the first), its key (one of keys, not seen before: marked in
 * *seen) and the ':'. Its index, or -1. */
static int next_key(struct scan *s, const char *const *keys, unsigned *seen)
{
	size_t st, n;
	int k;

	if (*seen && !eat(s, ','))
		return -1;
	if (!str(s, false, &st, &n) || (k = key_index(s, st, n, keys)) < 0 || (*seen & (1u << k)))
		return -1;
	*seen |= 1u << k;
	ws(s);
	return eat(s, ':') ? k : -1;
}

static bool event(struct scan *s, struct bh_ctl_event_in *e)
{
	size_t start = s->i, out[2];
	unsigned seen = 0;
	int k;

	if (!eat(s, '{'))
		return false;
	while (!at(s, '}')) {
		if ((k = next_key(s, event_keys, &seen)) < 0)
			return false;
		switch (k) {
		case 0:
			if (!uint_member(s, TS_MAX, &e->ts))
				return false;
			break;
		case 1:
			if (!field(s, BH_CTL_KIND_MAX, kind_char, false, &e->kind))
				return false;
			break;
		case 2:
			if (!field(s, BH_CTL_RULE_MAX, NULL, true, &e->rule))
				return false;
			break;
		case 3:
			if (!field(s, BH_CTL_SEVERITY_MAX, sev_char, true, &e->severity))
				return false;
			break;
		case 4:
			if (!field(s, BH_CTL_FIELD_MAX, NULL, true, &e->workload))
				return false;
			break;
		default:
			/* data: its "output" kept for the alerts (src/ctl/api.c) */
			out[1] = SIZE_MAX;
			if (at(s, '{') ? !object(s, 1, out) : !value(s, 1))
				return false;
			e->output = out[1] == SIZE_MAX ? NULL : keep_unescaped(s, out[0], out[1]);
			break;
		}
		ws(s);
	}
	s->i++;
	if ((seen & 3u) != 3u)
		return false; /* ts or kind missing */
	e->json = keep(s, start, s->i - start);
	ws(s);
	return true;
}

static bool events(struct scan *s, struct bh_ctl_batch *out)
{
	size_t cap = 0;

	if (!eat(s, '['))
		return false;
	while (!at(s, ']')) {
		if (out->n && !eat(s, ','))
			return false;
		if (out->n == BH_CTL_BATCH_MAX)
			return false;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > BH_CTL_BATCH_MAX)
				cap = BH_CTL_BATCH_MAX;
			out->ev = bh_reallocarray(out->ev, cap, sizeof(*out->ev));
		}
		memset(&out->ev[out->n], 0, sizeof(out->ev[out->n]));
		if (!event(s, &out->ev[out->n++]))
			return false;
	}
	s->i++;
	return true;
}

static const char *const batch_keys[] = { "node", "first_seq", "events", NULL };

static bool batch(struct scan *s, struct bh_ctl_batch *out)
{
	size_t st, n;
	unsigned seen = 0;
	int k;

	ws(s);
	if (!eat(s, '{'))
		return false;
	while (!at(s, '}')) {
		if ((k = next_key(s, batch_keys, &seen)) < 0)
			return false;
		if (k == 0) {
			if (!str(s, false, &st, &n) || n > BH_CTL_NAME_MAX ||
			    !bh_ctl_name_valid(s->b + st, n))
				return false;
			memcpy(out->node, s->b + st, n);
			out->node[n] = 0;
		} else if (k == 1) {
			if (!uint_member(s, BH_CTL_SEQ_MAX, &out->first_seq) || out->first_seq < 1)
				return false;
		} else if (!events(s, out)) {
			return false;
		}
		ws(s);
	}
	s->i++;
	ws(s);
	return seen == 7u && s->i == s->len &&
	       out->first_seq + (int64_t)out->n - 1 <= BH_CTL_SEQ_MAX;
}

int bh_ctl_batch_scan(const char *buf, size_t len, struct bh_ctl_batch *out)
{
	/* each event's text and its five strings, each with a NUL */
	struct scan s = { buf, len, 0, NULL, 0 };

	memset(out, 0, sizeof(*out));
	if (len > BH_CTL_BODY_MAX)
		return 1;
	s.arena = bh_malloc(2 * len + 6 * (size_t)BH_CTL_BATCH_MAX + 1);
	if (!batch(&s, out)) {
		free(out->ev);
		free(s.arena);
		memset(out, 0, sizeof(*out));
		return 1;
	}
	if (!out->n) {
		free(out->ev);
		free(s.arena);
		out->ev = NULL;
		return 0;
	}
	out->text = s.arena;
	return 0;
}
