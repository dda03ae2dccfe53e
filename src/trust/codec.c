/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PEM blocks, strict as their base64 is (bh_base64_decode, src/base/codec.c):
 * a key that decodes two ways is a parser disagreement waiting to happen.
 */
#include <string.h>

#include "bulkhead/trust.h"
#include "banned.h"

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
