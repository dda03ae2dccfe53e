/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Base64 (RFC 4648) and hex, strict: a signature, key or digest that decodes
 * two ways is a parser disagreement waiting to happen, so non-canonical
 * trailing bits, wrong padding, stray characters (white space included) and
 * upper-case hex (unless asked for) are refused. Every decoder is bounded by
 * the room it is given.
 */
#include <limits.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int bh_base64_encode(const void *p, size_t n, struct bh_buf *out, struct bh_error **err)
{
	const unsigned char *s = p;
	const char *b64 = b64_std;
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

static int b64val(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

size_t bh_base64_decoded_max(size_t n)
{
	return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

int bh_base64_decode_mem(const char *s, size_t n, unsigned flags, const char *what, void *out,
			 size_t outsz, size_t *outlen, struct bh_error **err)
{
	const bool url = flags & BH_BASE64_URL;
	unsigned char *o = out;
	size_t pad = 0, data, rem, len, k = 0;

	*outlen = 0;
	if (n && s[n - 1] == '=')
		pad = n >= 2 && s[n - 2] == '=' ? 2 : 1;
	if (n % 4 && (pad || !(flags & BH_BASE64_NOPAD) || n % 4 == 1))
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s: base64 of %zu characters (not a multiple of 4)", what, n);
	data = n - pad;
	rem = data % 4; /* 0, 2 or 3: the characters of a last, short group */
	len = data / 4 * 3 + (rem ? rem - 1 : 0);
	if (len > outsz)
		return bh_error_set(err, BH_ERR_LIMIT,
				    "%s: base64 of %zu bytes, more than the %zu allowed", what, len,
				    outsz);
	for (size_t i = 0; i < data; i += 4) {
		size_t m = data - i < 4 ? data - i : 4;
		int v[4] = { 0, 0, 0, 0 };

		for (size_t j = 0; j < m; j++) {
			v[j] = b64val((unsigned char)s[i + j], url);
			if (v[j] < 0)
				return bh_error_set(err, BH_ERR_INVALID,
						    "%s: not base64 (byte %zu is 0x%02x)", what,
						    i + j, (unsigned char)s[i + j]);
		}
		/* the bits past the last whole byte must be zero (canonical) */
		if ((m == 2 && (v[1] & 15)) || (m == 3 && (v[2] & 3)))
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: base64 with non-zero padding bits", what);
		o[k++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (m > 2)
			o[k++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (m > 3)
			o[k++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*outlen = k;
	return 0;
}

int bh_base64_decode(const char *s, size_t n, const char *what, struct bh_buf *out,
		     struct bh_error **err)
{
	size_t len;

	if (bh_buf_grow(out, bh_base64_decoded_max(n), err) < 0)
		return bh_error_prefix(err, "%s", what);
	if (bh_base64_decode_mem(s, n, 0, what, out->data + out->len, out->cap - out->len - 1, &len,
				 err) < 0)
		return -1;
	out->len += len;
	out->data[out->len] = 0;
	return 0;
}
/* ---- hex --------------------------------------------------------------------- */

void bh_hex_encode(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		*out++ = digits[s[i] >> 4];
		*out++ = digits[s[i] & 15];
	}
	*out = 0;
}

int bh_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t bh_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t v;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, v = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, v = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, v = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int hexval(unsigned char c, bool any_case)
{
	return !any_case && c >= 'A' && c <= 'F' ? -1 : bh_hex_digit(c);
}

ssize_t bh_hex_decode(const char *s, size_t n, unsigned flags, void *out, size_t outsz)
{
	unsigned char *o = out;

	if (n % 2 || n / 2 > outsz || n / 2 > (size_t)SSIZE_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval((unsigned char)s[2 * i], flags & BH_HEX_ANY_CASE);
		int lo = hexval((unsigned char)s[2 * i + 1], flags & BH_HEX_ANY_CASE);

		if (hi < 0 || lo < 0)
			return -1;
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	return (ssize_t)(n / 2);
}
