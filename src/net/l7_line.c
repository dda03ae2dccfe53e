/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded line accumulator the line-based dissectors share: see l7_line.h. */
#include <string.h>

#include "net/l7_line.h"
#include "banned.h"

void bh_net_line_reset(struct bh_net_line *l)
{
	l->len = 0;
	l->cut = false;
}

void bh_net_line_gap(struct bh_net_line *l)
{
	bh_net_line_reset(l);
	l->resync = true;
}

bool bh_net_line_take(struct bh_net_line *l, const uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n, keep = nl ? take - 1 : take;

	*used = take;
	if (l->resync) {
		if (nl)
			l->resync = false;
		return false;
	}
	if (keep > (size_t)(BH_NET_LINE_MAX - l->len)) {
		keep = (size_t)(BH_NET_LINE_MAX - l->len);
		l->cut = true;
	}
	memcpy(l->buf + l->len, p, keep);
	l->len += (uint16_t)keep;
	if (!nl)
		return false;
	if (!l->cut && l->len && l->buf[l->len - 1] == '\r')
		l->len--;
	return true;
}

bool bh_net_line_verb_bad(const struct bh_net_line *l)
{
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->buf[i];

		if (c == ' ')
			return false;
		if (c == '\r' && i + 1 == l->len)
			return false;
		if (i == 16 || c < 0x21 || c > 0x7e)
			return true;
	}
	return false;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

bool bh_net_prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != lower(p[i]))
			return false;
	return true;
}

bool bh_net_word_is(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);

	return bh_net_prefix_ci(s, len, w) && (len == n || s[n] == ' ' || s[n] == '\t');
}
