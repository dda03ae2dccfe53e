/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An HTTP request path normalised as nginx does before matching its
 * locations (http_path.h): the network policy judges that, not the raw
 * target, so "//admin", "/%61dmin" or "/public/../admin" are judged as the
 * server that answers them reads them.
 */
#include <string.h>
#include <strings.h>

#include "bulkhead/base.h"
#include "net/http_path.h"
#include "banned.h"

/* "http://host/a" -> "/a" (its authority skipped); other targets as they are. */
static void strip_absolute(const char **p, size_t *n)
{
	size_t k;

	if (*n >= 7 && !strncasecmp(*p, "http://", 7))
		k = 7;
	else if (*n >= 8 && !strncasecmp(*p, "https://", 8))
		k = 8;
	else
		return;
	while (k < *n && (*p)[k] != '/')
		k++;
	if (k == *n) {
		*p = "/"; /* no path: the root */
		*n = 1;
		return;
	}
	*p += k;
	*n -= k;
}

/* Decode p[0..n) into out, a '/' put in front when missing; its length. */
static size_t decode(const char *p, size_t n, char *out, bool *ok)
{
	size_t o = 0;

	if (!n || p[0] != '/') {
		*ok = false;
		out[o++] = '/';
	}
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		char c = p[i];

		if (c == '%') {
			hi = i + 2 < n ? bh_hex_digit((unsigned char)p[i + 1]) : -1;
			lo = i + 2 < n ? bh_hex_digit((unsigned char)p[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*ok = false; /* nginx: 400; kept as is */
			} else if (hi == 0 && lo == 0) {
				*ok = false; /* %00: nginx 400; kept encoded */
				i += 2;
				if (o + 3 > BH_NET_PATH_MAX)
					goto over;
				memcpy(out + o, "%00", 3);
				o += 3;
				continue;
			} else {
				c = (char)(hi << 4 | lo);
				i += 2;
			}
		} else if ((unsigned char)c <= 0x20 || c == 0x7f)
			*ok = false; /* raw space or control byte: nginx 1.22 400; kept */
		if (o >= BH_NET_PATH_MAX)
			goto over;
		out[o++] = c;
	}
	return o;
over:
	*ok = false;
	return o;
}

bool bh_net_http_path_norm(const char *p, size_t n, char *out, size_t *len)
{
	bool ok = true;
	size_t o, r = 0, w = 0;
	const char *q;

	strip_absolute(&p, &n);
	if ((q = memchr(p, '?', n)))
		n = (size_t)(q - p);
	if ((q = memchr(p, '#', n)))
		n = (size_t)(q - p);
	o = decode(p, n, out, &ok);
	/* In place: out[0..w) is the output so far, each segment written as
	 * "/seg" at or before where it was read, never past it. */
	while (r < o) {
		size_t s, sl;

		while (r < o && out[r] == '/')
			r++; /* merge_slashes */
		s = r;
		while (r < o && out[r] != '/')
			r++;
		sl = r - s;
		if (sl == 0) {
			out[w++] = '/'; /* the path ends with a '/' */
			break;
		}
		if (sl == 1 && out[s] == '.') {
			if (r == o)
				out[w++] = '/';
			continue;
		}
		if (sl == 2 && out[s] == '.' && out[s + 1] == '.') {
			if (w == 0)
				ok = false; /* above the root: nginx 400; kept at the root */
			else
				while (out[--w] != '/')
					;
			if (r == o)
				out[w++] = '/';
			continue;
		}
		out[w++] = '/';
		memmove(out + w, out + s, sl);
		w += sl;
	}
	if (w == 0)
		out[w++] = '/';
	out[w] = '\0';
	*len = w;
	return ok;
}
