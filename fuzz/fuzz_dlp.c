/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the streaming data-leak matcher: the input is fed as one stream in
 * segments whose sizes the first byte picks (with a gap now and then),
 * with a user sensor and a confirm step; every match must lie inside the
 * stream, carry a kind and never quote a card number whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dlp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bh_dlp *dlp;
static uint64_t total;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bh_dlp_sensor s[] = {
		{ .name = "acct", .pattern = "ACCT[0-9]{4,12}", .confirm = bh_dlp_confirm_luhn },
		{ .name = "word", .pattern = "secret", .caseless = true },
	};

	if (bh_dlp_new(s, 2, &dlp, NULL) < 0)
		abort();
	return 0;
}

static void on_match(void *opaque, const struct bh_dlp_match *m)
{
	size_t digits = 0;

	(void)opaque;
	if (!m->kind || m->offset + m->len > total || strlen(m->masked) > BH_DLP_MASK_MAX)
		abort();
	for (const char *p = m->masked; *p; p++)
		digits += *p >= '0' && *p <= '9';
	if (strncmp(m->kind, "card-", 5) == 0 && digits != 4)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_dlp_stream *st;
	size_t seg;

	if (size < 1)
		return 0;
	seg = (size_t)(data[0] % 32) + 1;
	data++;
	size--;
	if (bh_dlp_stream_new(dlp, &st, NULL) < 0)
		abort();
	total = 0;
	for (size_t off = 0; off < size; off += seg) {
		size_t n = size - off < seg ? size - off : seg;
		total += n;
		bh_dlp_feed(st, data + off, n, on_match, NULL);
		if (data[off] == 0xff) {
			total += 3;
			bh_dlp_feed(st, NULL, 3, on_match, NULL);
		}
	}
	bh_dlp_finish(st, on_match, NULL);
	bh_dlp_stream_free(st);
	return 0;
}
