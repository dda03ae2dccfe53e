/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict base64 (RFC 4648, standard alphabet, padding required) and PEM
 * blocks. Strict because a signature or key that decodes two ways is a
 * parser disagreement waiting to happen: non-canonical trailing bits, missing
 * padding and stray characters are refused.
 */
#include <string.h>

#include "bulkhead/trust.h"
#include "banned.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int bh_base64_encode(const void *p, size_t n, struct bh_buf *out, struct bh_error **err)
{
	const unsigned char *s = p;
	size_t i;

	if (n > (SIZE_MAX / 4) * 3 - 3 || bh_buf_grow(out, (n + 2) / 3 * 4, err) < 0)
		return bh_error_set(err, BH_ERR_LIMIT, "base64: %zu bytes is too much", n);
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };

		bh_buf_add(out, q, 4, NULL);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], '=', '=' };

		bh_buf_add(out, q, 4, NULL);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '=' };

		bh_buf_add(out, q, 4, NULL);
	}
	return 0;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int bh_base64_decode(const char *s, size_t n, const char *what, struct bh_buf *out,
		     struct bh_error **err)
{
	size_t i, pad = 0;

	if (n % 4)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: base64 of %zu characters (not a multiple of 4)", what, n);
	if (n && s[n - 1] == '=')
		pad = (n >= 2 && s[n - 2] == '=') ? 2 : 1;
	if (bh_buf_grow(out, n / 4 * 3, err) < 0)
		return bh_error_prefix(err, "%s", what);
	for (i = 0; i < n; i += 4) {
		int v[4];
		bool last = i + 4 == n;
		unsigned char o[3];

		for (int j = 0; j < 4; j++) {
			v[j] = b64val((unsigned char)s[i + j]);
			if (v[j] < 0 && !(last && s[i + j] == '=' && j >= 4 - (int)pad))
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: not base64 (byte %zu is 0x%02x)", what,
						    i + j, (unsigned char)s[i + j]);
		}
		if (last && pad) {
			/* the bits past the last whole byte must be zero (canonical) */
			if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3)))
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: base64 with non-zero padding bits", what);
		}
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)((v[1] & 15) << 4 | (v[2] >= 0 ? v[2] >> 2 : 0));
		o[2] = (unsigned char)((v[2] & 3) << 6 | (v[3] >= 0 ? v[3] : 0));
		bh_buf_add(out, o, last ? 3 - pad : 3, NULL);
	}
	return 0;
}

/* The line starting at *pos (without its "\n" or "\r\n"); advances *pos. */
static bool next_line(const char *p, size_t n, size_t *pos, const char **line, size_t *len)
{
	size_t s = *pos, e;

	if (s >= n)
		return false;
	for (e = s; e < n && p[e] != '\n'; e++)
		;
	*line = p + s;
	*len = e - s;
	if (*len && p[e - 1] == '\r')
		(*len)--;
	*pos = e < n ? e + 1 : n;
	return true;
}

static bool valid_label(const char *l, size_t n)
{
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!bh_isupper(l[i]) && !bh_isdigit(l[i]) && l[i] != ' ' && l[i] != '-')
			return false;
	return true;
}

int bh_pem_decode(const char *p, size_t n, char **label, struct bh_buf *der, struct bh_error **err)
{
	struct bh_buf body = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	const char *line, *lab = NULL;
	size_t pos = 0, len, lablen = 0;
	int r = -1;

	*label = NULL;
	while (next_line(p, n, &pos, &line, &len)) {
		if (len > 16 && !memcmp(line, "-----BEGIN ", 11) &&
		    !memcmp(line + len - 5, "-----", 5)) {
			lab = line + 11;
			lablen = len - 16;
			break;
		}
	}
	if (!lab)
		return bh_error_set(err, BH_ERR_INVALID,
				    "no PEM block (no '-----BEGIN ...-----' line)");
	if (!valid_label(lab, lablen))
		return bh_error_set(err, BH_ERR_INVALID, "PEM block with a malformed label");
	for (;;) {
		if (!next_line(p, n, &pos, &line, &len)) {
			bh_error_set(err, BH_ERR_INVALID, "PEM block '%.*s' has no END line",
				     (int)lablen, lab);
			goto out;
		}
		if (len >= 9 && !memcmp(line, "-----END ", 9)) {
			if (len != lablen + 14 || memcmp(line + 9, lab, lablen) ||
			    memcmp(line + len - 5, "-----", 5)) {
				bh_error_set(err, BH_ERR_INVALID,
					     "PEM block '%.*s' ends with another label",
					     (int)lablen, lab);
				goto out;
			}
			break;
		}
		if (memchr(line, ':', len)) {
			bh_error_set(err, BH_ERR_INVALID,
				     "PEM block '%.*s' has headers (a legacy encrypted key?): not "
				     "supported",
				     (int)lablen, lab);
			goto out;
		}
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (bh_buf_add(&body, line, len, err) < 0)
			goto out;
	}
	if (bh_base64_decode(body.data ? body.data : "", body.len, "PEM body", der, err) < 0)
		goto out;
	*label = bh_strndup(lab, lablen);
	r = 0;
out:
	bh_buf_release(&body);
	return r;
}

int bh_pem_encode(const char *label, const void *der, size_t n, struct bh_buf *out,
		  struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BH_TRUST_ENVELOPE_MAX);
	int r = -1;

	if (bh_base64_encode(der, n, &b, err) < 0 ||
	    bh_buf_addf(out, err, "-----BEGIN %s-----\n", label) < 0)
		goto out;
	for (size_t i = 0; i < b.len; i += 64) {
		size_t k = b.len - i < 64 ? b.len - i : 64;

		if (bh_buf_add(out, b.data + i, k, err) < 0 || bh_buf_addc(out, '\n', err) < 0)
			goto out;
	}
	if (bh_buf_addf(out, err, "-----END %s-----\n", label) < 0)
		goto out;
	r = 0;
out:
	bh_buf_release(&b);
	return r;
}
