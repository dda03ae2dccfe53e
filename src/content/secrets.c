/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Confirming secret candidates. The patterns of secret_rules.c run in one
 * vectorscan database over a file's bytes in a single streaming pass and
 * report only where a candidate ends; the candidate is then confirmed here
 * on the file's buffer: by a PCRE2 expression anchored at the candidate
 * (tokens of a known shape) or by hand (PEM blocks, assignments, URLs), with
 * boundary, entropy and placeholder checks so that look-alikes in
 * documentation and code are not reported.
 *
 * Nothing here keeps a secret: a confirmation yields where it is, a redacted
 * form (at most four characters) and a fingerprint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/content.h"
#include "internal.h"
#include "banned.h"

/* ---- the compiled confirmations ------------------------------------------ */

struct secrets {
	pcre2_code **re; /* per pattern, NULL when it has no PCRE2 expression */
	size_t n;
};

int content_secrets_new(struct secrets **out, struct bh_error **err)
{
	struct secrets *s = bh_calloc(1, sizeof(*s));

	s->n = content_secret_npatterns();
	s->re = bh_calloc(s->n + 1, sizeof(*s->re));
	for (size_t i = 0; i < s->n; i++) {
		const struct content_secret_pattern *p = content_secret_pattern(i);
		int ec;
		PCRE2_SIZE eo;

		if (!p->pcre)
			continue;
		s->re[i] = pcre2_compile((PCRE2_SPTR)p->pcre, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED,
					 &ec, &eo, NULL);
		if (!s->re[i]) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ec, msg, sizeof(msg));
			content_secrets_free(s);
			return bh_error_set(err, BH_ERR_INTERNAL, "secret rule %s: pattern %zu: %s",
					    content_secret_rule(p->rule)->id, i, (const char *)msg);
		}
		/* JIT is an optimisation: without it the interpreter runs. */
		(void)pcre2_jit_compile(s->re[i], PCRE2_JIT_COMPLETE);
	}
	*out = s;
	return 0;
}

void content_secrets_free(struct secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		pcre2_code_free(s->re[i]);
	free(s->re);
	free(s);
}

pcre2_match_data *content_secrets_match_data(void)
{
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);

	if (!md)
		abort();
	return md;
}

/* ---- helpers ----------------------------------------------------------- */

/* "ABCDEFGH", "12345678", "abcabcabc": runs that documentation uses as
 * stand-ins for a real token. */
static bool looks_sequential(const unsigned char *p, size_t n)
{
	size_t steps = 0, repeats = 0;

	if (n < 8)
		return false;
	for (size_t i = 1; i < n; i++) {
		if (p[i] == p[i - 1] + 1 || p[i] == p[i - 1] - 1)
			steps++;
		if (i >= 3 && p[i] == p[i - 3])
			repeats++;
	}
	return steps * 2 > n || repeats * 10 > n * 7;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_b64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static bool is_b64(unsigned char c)
{
	return is_alnum(c) || c == '+' || c == '/';
}

static bool left_ok(const unsigned char *buf, size_t start)
{
	return start == 0 || !(is_alnum(buf[start - 1]) || buf[start - 1] == '_');
}

static bool right_ok(const unsigned char *buf, size_t len, size_t end)
{
	return end >= len || !(is_alnum(buf[end]) || buf[end] == '_');
}

static void set_secret(struct secret_found *f, const unsigned char *p, size_t n)
{
	content_redact(p, n, f->shown, sizeof(f->shown));
	content_fingerprint(p, n, f->fp);
}

/* Decode base64 or base64url (either alphabet, padding optional) into out;
 * returns bytes written. Stops at the first other byte. */
static size_t b64_decode(const unsigned char *in, size_t n, unsigned char *out, size_t outsz)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n && k < outsz; i++) {
		unsigned char c = in[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	return k;
}

/* ---- confirmations ------------------------------------------------------ */

#define PEM_MAX_BODY (64 * 1024)

static const unsigned char *find(const unsigned char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle));
}

static bool confirm_pem(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	/* end is just past "PRIVATE KEY"; the header is "-----BEGIN <type>PRIVATE KEY-----"
	 * or "... PRIVATE KEY BLOCK-----" (PGP). */
	size_t lim = end > 64 ? end - 64 : 0, start = SIZE_MAX, body, i, nb64 = 0, junk = 0;
	const unsigned char *endm;
	unsigned char *clean;
	bool encrypted = false, pgp = false;
	char type[40] = "";

	for (size_t j = end - 11; j-- > lim;) {
		if (j + 11 <= len && !memcmp(buf + j, "-----BEGIN ", 11)) {
			start = j;
			break;
		}
	}
	if (start == SIZE_MAX)
		return false;
	i = end;
	if (i + 6 <= len && !memcmp(buf + i, " BLOCK", 6)) {
		pgp = true;
		i += 6;
	}
	if (i + 5 > len || memcmp(buf + i, "-----", 5))
		return false;
	body = i + 5;
	{
		size_t tl = end - 11 - (start + 11);

		if (tl >= sizeof(type))
			return false;
		memcpy(type, buf + start + 11, tl);
		type[tl] = 0;
		if (tl && type[tl - 1] == ' ')
			type[tl - 1] = 0;
	}
	endm = find(buf + body, len - body < PEM_MAX_BODY ? len - body : PEM_MAX_BODY, "-----END ");
	if (!endm)
		return false;
	clean = bh_malloc((size_t)(endm - (buf + body)) + 1);
	/* The body: base64 lines, maybe RFC 1421 headers ("Proc-Type: 4,ENCRYPTED"),
	 * maybe escaped newlines ("\n") when the key sits in a JSON or code string. */
	for (const unsigned char *p = buf + body; p < endm;) {
		const unsigned char *eol = memchr(p, '\n', (size_t)(endm - p));
		const unsigned char *q = eol ? eol : endm;
		const unsigned char *colon = memchr(p, ':', (size_t)(q - p));

		if (colon && !find(p, (size_t)(q - p), "\\n")) {
			if (find(p, (size_t)(q - p), "ENCRYPTED"))
				encrypted = true;
			p = eol ? eol + 1 : endm;
			continue;
		}
		for (const unsigned char *c = p; c < q; c++) {
			if (is_b64(*c) || *c == '=') {
				if (*c == 'n' && c > p && c[-1] == '\\')
					continue;
				clean[nb64++] = *c;
			} else if (*c == '\\' && c + 1 < q && c[1] == 'n') {
				continue;
			} else if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '"' &&
				   *c != '\'' && *c != ',' && *c != '+') {
				junk++;
			}
		}
		p = eol ? eol + 1 : endm;
	}
	/* "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END" in documentation. */
	if (nb64 < 64 || junk * 10 > nb64) {
		free(clean);
		return false;
	}
	if (strstr(type, "ENCRYPTED"))
		encrypted = true;
	if (!strcmp(type, "OPENSSH")) {
		unsigned char hdr[64];
		size_t k = b64_decode(clean, nb64 < 84 ? nb64 : 84, hdr, sizeof(hdr));

		/* "openssh-key-v1\0", uint32 length, cipher name */
		if (k >= 19 && !memcmp(hdr, "openssh-key-v1", 15)) {
			uint32_t cl = (uint32_t)hdr[15] << 24 | (uint32_t)hdr[16] << 16 |
				      (uint32_t)hdr[17] << 8 | hdr[18];

			if (cl != 4 || k < 23 || memcmp(hdr + 19, "none", 4))
				encrypted = true;
		}
	}
	f->start = start;
	f->end = (size_t)(endm - buf);
	f->rule = encrypted ? SR_PRIVATE_KEY_ENC : SR_PRIVATE_KEY;
	f->severity = content_secret_rule(f->rule)->severity;
	snprintf(f->kind, sizeof(f->kind), "%s%s",
		 pgp	   ? "PGP"
		 : type[0] ? type
			   : "PKCS#8",
		 encrypted ? ", encrypted" : "");
	set_secret(f, clean, nb64);
	free(clean);
	return true;
}

static long line_of(const unsigned char *buf, size_t off)
{
	long l = 1;

	for (const unsigned char *p = buf; (p = memchr(p, '\n', off - (size_t)(p - buf))); p++)
		l++;
	return l;
}

/* A 40-character AWS secret access key as a token of its own. */
static bool aws_secret_at(const unsigned char *buf, size_t len, size_t s)
{
	bool lower = false, upper = false, other = false;

	if (s + 40 > len || (s > 0 && (is_b64(buf[s - 1]))) ||
	    (s + 40 < len && (is_b64(buf[s + 40]) || buf[s + 40] == '=')))
		return false;
	for (size_t i = s; i < s + 40; i++) {
		unsigned char c = buf[i];

		if (!is_b64(c))
			return false;
		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else
			other = true;
	}
	return lower && upper && other && content_entropy(buf + s, 40) >= 3.5 &&
	       !looks_sequential(buf + s, 40);
}

static bool confirm_aws_id(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	size_t start = end - 20, lo, hi;

	if (!left_ok(buf, start) || !right_ok(buf, len, end) ||
	    content_entropy(buf + start + 4, 16) < 3.0 || looks_sequential(buf + start + 4, 16))
		return false;
	f->start = start;
	f->end = end;
	f->rule = SR_AWS_ID;
	set_secret(f, buf + start, 20);
	/* Its secret nearby (within 1 KiB either way) makes it usable. */
	lo = start > 1024 ? start - 1024 : 0;
	hi = end + 1024 < len ? end + 1024 : len;
	for (size_t s = lo; s + 40 <= hi; s++) {
		if (aws_secret_at(buf, len, s)) {
			f->severity = BH_SEV_CRITICAL;
			snprintf(f->detail, sizeof(f->detail),
				 "its secret access key is on line %ld of the same file",
				 line_of(buf, s));
			return true;
		}
	}
	f->severity = BH_SEV_MEDIUM;
	snprintf(f->detail, sizeof(f->detail),
		 "no secret access key next to it (a key ID alone names the account)");
	return true;
}

/* After a name: optional closing quote, blanks, one of = : := => , blanks,
 * optional opening quote. Returns the value's start, or SIZE_MAX. */
static size_t skip_assign(const unsigned char *buf, size_t len, size_t i, unsigned char *quote)
{
	size_t n = 0;

	if (i < len && (buf[i] == '"' || buf[i] == '\''))
		i++;
	if (i < len && buf[i] == ']') /* $config['password'] = ... */
		i++;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t') && n++ < 8)
		i++;
	if (i + 1 < len && buf[i] == ':' && buf[i + 1] == '=')
		i += 2;
	else if (i + 1 < len && buf[i] == '=' && buf[i + 1] == '>')
		i += 2;
	else if (i < len && buf[i] == '=' && !(i + 1 < len && buf[i + 1] == '='))
		i++;
	else if (i < len && buf[i] == ':' && !(i + 1 < len && buf[i + 1] == ':'))
		i++;
	else
		return SIZE_MAX;
	n = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t') && n++ < 8)
		i++;
	*quote = 0;
	if (i < len && (buf[i] == '"' || buf[i] == '\'')) {
		*quote = buf[i];
		i++;
	}
	return i;
}

/* The value from `i`: up to the closing quote, or to a blank/delimiter. */
static size_t value_end(const unsigned char *buf, size_t len, size_t i, unsigned char quote,
			size_t max)
{
	size_t j = i;

	while (j < len && j - i <= max) {
		unsigned char c = buf[j];

		if (c == '\n' || c == '\r' || c == 0)
			break;
		if (quote) {
			if (c == quote)
				return j;
		} else if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ',' || c == ';' ||
			   c == ')' || c == '}' || c == ']' || c == '<' || c == '>' || c == '`') {
			break;
		}
		j++;
	}
	if (quote)
		return SIZE_MAX; /* unterminated on this line */
	return j;
}

static bool confirm_aws_secret(const unsigned char *buf, size_t len, size_t end,
			       struct secret_found *f)
{
	unsigned char quote;
	size_t v;

	if (end < len && (is_alnum(buf[end]) || buf[end] == '_'))
		return false;
	v = skip_assign(buf, len, end, &quote);
	if (v == SIZE_MAX || !aws_secret_at(buf, len, v))
		return false;
	f->start = v;
	f->end = v + 40;
	f->rule = SR_AWS_SECRET;
	f->severity = BH_SEV_CRITICAL;
	set_secret(f, buf + v, 40);
	return true;
}

static bool confirm_token(const struct content_secret_pattern *d, const unsigned char *buf,
			  size_t len, size_t end, struct secret_found *f)
{
	size_t start = end - (size_t)d->prefix, rn = (size_t)d->prefix - (size_t)d->skip;
	const unsigned char *r = buf + start + d->skip;

	if (!left_ok(buf, start) || (end < len && (is_b64url(buf[end]))))
		return false;
	if (content_entropy(r, rn) < 3.0 || looks_sequential(r, rn))
		return false;
	f->start = start;
	f->end = end;
	f->rule = d->rule;
	f->severity = d->sev ? d->sev : content_secret_rule(d->rule)->severity;
	set_secret(f, buf + start, end - start);
	return true;
}

static bool confirm_pcre(const struct secrets *s, size_t pi, const unsigned char *buf, size_t len,
			 size_t end, pcre2_match_data *md, struct secret_found *f)
{
	const struct content_secret_pattern *d = content_secret_pattern(pi);
	size_t start = end - (size_t)d->prefix, sublen = start + 1100 < len ? start + 1100 : len;
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(s->re[pi], buf, sublen, start, 0, md, NULL);
	if (rc < 1)
		return false;
	ov = pcre2_get_ovector_pointer(md);
	/* The part after the fixed prefix is the random one. */
	if (ov[1] - ov[0] < (size_t)d->prefix + 8 ||
	    content_entropy(buf + ov[0] + d->prefix, ov[1] - ov[0] - (size_t)d->prefix) < 3.0 ||
	    looks_sequential(buf + ov[0] + d->prefix, ov[1] - ov[0] - (size_t)d->prefix))
		return false;
	f->start = ov[0];
	f->end = ov[1];
	f->rule = d->rule;
	f->severity = d->sev ? d->sev : content_secret_rule(d->rule)->severity;
	if (d->kind)
		snprintf(f->kind, sizeof(f->kind), "%s", d->kind);
	set_secret(f, buf + ov[0], ov[1] - ov[0]);
	return true;
}

static bool confirm_jwt(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	/* end is just past ".eyJ" of the payload. */
	size_t dot = end - 4, start = dot, i = end, sig;
	unsigned char hdr[96];
	size_t hn;

	while (start > 0 && is_b64url(buf[start - 1]) && dot - start < 2048)
		start--;
	if (dot - start < 11 || memcmp(buf + start, "eyJ", 3) ||
	    (start > 0 && buf[start - 1] == '.'))
		return false;
	while (i < len && is_b64url(buf[i]) && i - end < 8192)
		i++;
	if (i >= len || buf[i] != '.')
		return false;
	sig = ++i;
	while (i < len && is_b64url(buf[i]) && i - sig < 1024)
		i++;
	if (i - sig < 16 || (i < len && (buf[i] == '.' || is_b64url(buf[i]))))
		return false;
	hn = b64_decode(buf + start, dot - start, hdr, sizeof(hdr) - 1);
	hdr[hn] = 0;
	if (!find(hdr, hn, "\"alg\"") && !find(hdr, hn, "\"typ\""))
		return false;
	f->start = start;
	f->end = i;
	f->rule = SR_JWT;
	f->severity = BH_SEV_MEDIUM;
	set_secret(f, buf + start, i - start);
	return true;
}

/* Code, not a value: an identifier or a dotted one ("self.password",
 * "!!config.withCredentials"), a bare word with no digit or symbol, a call. */
static bool looks_code(const unsigned char *p, size_t n)
{
	bool digit = false, symbol = false;

	while (n && (*p == '!' || *p == '-' || *p == '+' || *p == '~' || *p == '&')) {
		p++;
		n--;
	}
	/* "scmVersion=", "name:" (the next name of a list, not a value) */
	while (n && (p[n - 1] == '=' || p[n - 1] == ':' || p[n - 1] == ','))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= '0' && c <= '9')
			digit = true;
		else if (c == '(' || c == '[')
			return true;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			   c == '.'))
			symbol = true;
	}
	return !digit && !symbol;
}

static bool confirm_generic(const unsigned char *buf, size_t len, size_t end,
			    struct secret_found *f)
{
	unsigned char quote;
	size_t v, e, n;
	const unsigned char *p;
	int classes;
	bool lo = false, up = false, di = false, sy = false;

	/* The keyword ends the name: "db_password=" but not "password_file=". */
	if (end < len && (is_alnum(buf[end]) || buf[end] == '_' || buf[end] == '-'))
		return false;
	v = skip_assign(buf, len, end, &quote);
	if (v == SIZE_MAX)
		return false;
	e = value_end(buf, len, v, quote, 200);
	if (e == SIZE_MAX || e <= v)
		return false;
	p = buf + v;
	n = e - v;
	if (n < 8 || n > 200 || memchr(p, ' ', n) || memchr(p, '\t', n))
		return false;
	if (!quote && e < len && buf[e] == '(')
		return false;
	if (content_looks_placeholder(p, n) || looks_code(p, n) || p[0] == '/' || p[0] == '~' ||
	    (p[0] == '.' && n > 1 && p[1] == '/') || memmem(p, n, "://", 3))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c >= 'a' && c <= 'z')
			lo = true;
		else if (c >= 'A' && c <= 'Z')
			up = true;
		else if (c >= '0' && c <= '9')
			di = true;
		else
			sy = true;
	}
	classes = lo + up + di + sy;
	if (classes < 2 || content_entropy(p, n) < 3.0 || looks_sequential(p, n))
		return false;
	f->start = v;
	f->end = e;
	f->rule = SR_GENERIC;
	f->severity = BH_SEV_MEDIUM;
	{
		/* The name the value is assigned to, for the title. */
		size_t ns = end;

		while (ns > 0 && end - ns < 40 &&
		       (is_alnum(buf[ns - 1]) || buf[ns - 1] == '_' || buf[ns - 1] == '-' ||
			buf[ns - 1] == '.'))
			ns--;
		snprintf(f->kind, sizeof(f->kind), "%.*s", (int)(end - ns), (const char *)buf + ns);
	}
	set_secret(f, p, n);
	return true;
}

static bool host_placeholder(const unsigned char *h, size_t n)
{
	static const char *const hosts[] = { "host",   "hostname",  "server",	"domain",
					     "myhost", "your-host", "yourhost", "somehost" };

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (content_ieq(h, n, hosts[i]))
			return true;
	return content_icontains(h, n, "example") || content_icontains(h, n, "domain.tld") ||
	       content_icontains(h, n, ".invalid");
}

static bool confirm_url(const unsigned char *buf, size_t len, size_t end, struct secret_found *f)
{
	size_t at = end - 1, colon = SIZE_MAX, us, hs = end, he = end, ss;
	const unsigned char *pass;
	size_t pn;

	/* Back from '@' to "://". */
	us = at;
	while (us >= 3 && at - us < 200 && memcmp(buf + us - 3, "://", 3))
		us--;
	if (us < 3 || memcmp(buf + us - 3, "://", 3))
		return false;
	for (size_t i = us; i < at; i++) {
		if (buf[i] == ':') {
			colon = i;
			break;
		}
	}
	if (colon == SIZE_MAX || colon == us)
		return false;
	/* The scheme: a letter, then letters, digits, + . - */
	ss = us - 3;
	while (ss > 0 && us - 3 - ss < 32 &&
	       (is_alnum(buf[ss - 1]) || buf[ss - 1] == '+' || buf[ss - 1] == '.' ||
		buf[ss - 1] == '-'))
		ss--;
	if (us - 3 - ss < 2 || !bh_isalpha(buf[ss]))
		return false;
	while (he < len && he - hs < 256 &&
	       (is_alnum(buf[he]) || buf[he] == '.' || buf[he] == '-' || buf[he] == '_' ||
		buf[he] == '[' || buf[he] == ']'))
		he++;
	if (he == hs || host_placeholder(buf + hs, he - hs))
		return false;
	pass = buf + colon + 1;
	pn = at - colon - 1;
	if (pn < 3 || content_looks_placeholder(pass, pn) ||
	    content_looks_placeholder(buf + us, colon - us) ||
	    content_ieq(buf + us, colon - us, "anonymous") ||
	    content_ieq(buf + us, colon - us, "ftp"))
		return false;
	f->start = ss;
	f->end = he;
	f->rule = SR_URL;
	f->severity = BH_SEV_HIGH;
	snprintf(f->kind, sizeof(f->kind), "%.*s://%.*s@%.*s", (int)(us - 3 - ss),
		 (const char *)buf + ss, (int)(colon - us > 16 ? 16 : colon - us),
		 (const char *)buf + us, (int)(he - hs > 24 ? 24 : he - hs),
		 (const char *)buf + hs);
	set_secret(f, pass, pn);
	return true;
}

bool content_secret_confirm(const struct secrets *s, int pat, const unsigned char *buf, size_t len,
			    size_t end, pcre2_match_data *md, struct secret_found *f)
{
	const struct content_secret_pattern *d;

	if (pat < 0 || (size_t)pat >= s->n || end > len)
		return false;
	d = content_secret_pattern((size_t)pat);
	if (d->prefix > 0 && end < (size_t)d->prefix)
		return false;
	memset(f, 0, sizeof(*f));
	switch (d->confirm) {
	case CONFIRM_PEM: return end >= 22 && confirm_pem(buf, len, end, f);
	case CONFIRM_AWS_ID: return confirm_aws_id(buf, len, end, f);
	case CONFIRM_AWS_SECRET: return confirm_aws_secret(buf, len, end, f);
	case CONFIRM_TOKEN: return confirm_token(d, buf, len, end, f);
	case CONFIRM_PCRE: return confirm_pcre(s, (size_t)pat, buf, len, end, md, f);
	case CONFIRM_JWT: return end >= 15 && confirm_jwt(buf, len, end, f);
	case CONFIRM_GENERIC: return confirm_generic(buf, len, end, f);
	case CONFIRM_URL: return end >= 8 && confirm_url(buf, len, end, f);
	}
	return false;
}
