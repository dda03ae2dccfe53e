/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The v1 IDs of a legacy `docker save` (docker before 25): each layer sits in
 * a directory named by a v1 ID that docker computes in CreateID
 * (moby image/v1/imagev1.go) as the SHA-256 of
 *
 *   json.Marshal(map[string]*json.RawMessage{ the layer's v1 JSON without
 *       "id", "layer_id": "<chain ID>", "parent": "sha256:<parent v1 ID>" })
 *
 * i.e. the top-level members of that JSON, raw, keys sorted, compact. The
 * `<id>/json` file the stream carries just before `<id>/layer.tar` is the
 * same v1 JSON with "id" and "parent" (bare hex) set, and "os" added after
 * the ID was made (for every layer but the top one, whose v1 JSON is the
 * image's own and always had it). So, from that file alone, the chain ID
 * that reproduces the directory's name says which layer follows, before
 * any of its bytes: the stream can be walked in one pass, whatever order
 * the directories come in. Nothing here is trusted: a match only chooses
 * where the bytes go; the layer is still checked against its diff_id.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "banned.h"

#define MAX_KEYS  64
#define MAX_DEPTH 64

struct member {
	const char *k; /* key, without quotes (no escapes) */
	size_t klen;
	const char *v; /* raw value */
	size_t vlen;
};

/* Past a JSON string starting at p ('"'); NULL if malformed. */
static const char *skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			if (++p >= e)
				return NULL;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p + i >= e || !bh_isxdigit(p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return NULL;
}

/* Past one compact JSON value (no whitespace outside strings: Go's own
 * output; anything else cannot be reproduced byte for byte). */
static const char *skip_value(const char *p, const char *e, int depth)
{
	if (p >= e || depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '"': return skip_string(p, e);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';

		p++;
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= e || *p != '"' || !(p = skip_string(p, e)) || p >= e ||
				    *p != ':')
					return NULL;
				p++;
			}
			p = skip_value(p, e, depth + 1);
			if (!p || p >= e)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	case 't': return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f': return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n': return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	default:
		if (*p != '-' && !bh_isdigit(*p))
			return NULL;
		while (p < e && (bh_isdigit(*p) || strchr("-+.eE", *p)))
			p++;
		return p;
	}
}

/* The top-level members of a compact JSON object; -1 if it is not one. */
static int members(const char *p, size_t len, struct member *m, size_t *n)
{
	const char *e = p + len;

	*n = 0;
	if (len < 2 || p[0] != '{' || e[-1] != '}')
		return -1;
	p++;
	if (*p == '}')
		return p + 1 == e ? 0 : -1;
	for (;;) {
		const char *k = p, *v;

		if (*n == MAX_KEYS || p >= e || *p != '"' || !(p = skip_string(p, e)) || p >= e ||
		    *p != ':')
			return -1;
		if (memchr(k, '\\', (size_t)(p - k)))
			return -1; /* an escaped key: not what docker writes */
		v = ++p;
		p = skip_value(p, e, 1);
		if (!p || p >= e)
			return -1;
		/* k is at the key's opening quote, v just past its ':' */
		m[*n] = (struct member){
			.k = k + 1, .klen = (size_t)(v - k) - 3, .v = v, .vlen = (size_t)(p - v)
		};
		for (size_t i = 0; i < *n; i++)
			if (m[i].klen == m[*n].klen && !memcmp(m[i].k, m[*n].k, m[i].klen))
				return -1; /* a duplicate key */
		(*n)++;
		if (*p == '}')
			return p + 1 == e ? 0 : -1;
		if (*p != ',')
			return -1;
		p++;
	}
}

static bool key_is(const struct member *m, const char *k)
{
	return m->klen == strlen(k) && !memcmp(m->k, k, m->klen);
}

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->klen < y->klen ? -1 : x->klen > y->klen);
}

/* Marshal the members (sorted) and compare the digest with hex. */
static bool id_matches(struct member *m, size_t n, const char *hex)
{
	struct bh_buf b = BH_BUF_INIT(1u << 24);
	struct bh_digest d;
	bool ok;

	qsort(m, n, sizeof(*m), cmp_member);
	bh_buf_addc(&b, '{', NULL);
	for (size_t i = 0; i < n; i++) {
		if (i)
			bh_buf_addc(&b, ',', NULL);
		bh_buf_addc(&b, '"', NULL);
		bh_buf_add(&b, m[i].k, m[i].klen, NULL);
		bh_buf_adds(&b, "\":", NULL);
		bh_buf_add(&b, m[i].v, m[i].vlen, NULL);
	}
	bh_buf_addc(&b, '}', NULL);
	bh_sha256(b.data, b.len, &d);
	ok = !strcmp(bh_digest_hex(&d), hex);
	bh_buf_release(&b);
	return ok;
}

static bool try_chain(const struct member *base, size_t nbase, const struct member *parent,
		      const struct bh_digest *chain, bool drop_os, const char *hex)
{
	struct member m[MAX_KEYS + 2];
	char lid[BH_DIGEST_MAX + 2];
	size_t n = 0;

	for (size_t i = 0; i < nbase; i++)
		if (!(drop_os && key_is(&base[i], "os")))
			m[n++] = base[i];
	snprintf(lid, sizeof(lid), "\"%s\"", chain->str);
	m[n++] = (struct member){ "layer_id", 8, lid, strlen(lid) };
	if (parent)
		m[n++] = *parent;
	return id_matches(m, n, hex);
}

int img_v1_identify(const char *json, size_t len, const char *hex,
		    const struct bh_digest *chain_ids, size_t n)
{
	struct member all[MAX_KEYS], base[MAX_KEYS], parent;
	char pbuf[80];
	size_t nall, nbase = 0;
	bool has_parent = false, has_os = false;

	if (strlen(hex) != 64 || len > (1u << 20) || members(json, len, all, &nall) < 0)
		return -1;
	for (size_t i = 0; i < nall; i++) {
		if (key_is(&all[i], "id"))
			continue;
		if (key_is(&all[i], "parent")) {
			const struct member *p = &all[i];

			/* save.go writes the parent's bare hex; CreateID hashed a digest */
			if (p->vlen == 66 && p->v[0] == '"' && p->v[65] == '"') {
				snprintf(pbuf, sizeof(pbuf), "\"sha256:%.64s\"", p->v + 1);
				parent = (struct member){ "parent", 6, pbuf, strlen(pbuf) };
			} else {
				parent = *p;
			}
			has_parent = true;
			continue;
		}
		base[nbase++] = all[i];
	}
	for (size_t i = 0; i < nbase; i++)
		has_os = has_os || key_is(&base[i], "os");
	for (size_t k = 0; k < n; k++)
		for (int drop = 0; drop <= (int)has_os; drop++)
			if (try_chain(base, nbase, has_parent ? &parent : NULL, &chain_ids[k], drop,
				      hex))
				return (int)k;
	return -1;
}

void img_chain_ids(const struct bh_layer *layers, size_t n, struct bh_digest *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			out[0] = layers[0].diff_id;
			continue;
		}
		char *s = bh_asprintf("%s %s", out[i - 1].str, layers[i].diff_id.str);

		bh_sha256(s, strlen(s), &out[i]);
		free(s);
	}
}
