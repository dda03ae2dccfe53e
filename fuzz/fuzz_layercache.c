/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the readers of the layer cache's rows (bytes from a file): the first
 * byte picks one, the rest is its input.
 *   0  the stored entries of a layer (img_entries_decode)
 *   1  a layer's inventory docs (inv_cache_load), then saved and loaded
 *      again: the second save must equal the first
 *   2  a layer's content state (content_cache_load), the same way
 *   3  a stored part's head: magic, format, key, checksum
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/internal.h"
#include "image/internal.h"
#include "inventory/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inventory(const uint8_t *p, size_t n)
{
	struct inv_layer ls = { 0 };
	struct bh_buf a = BH_BUF_INIT(64u << 20), b = BH_BUF_INIT(64u << 20);

	if (inv_cache_load(&ls, 0, p, n, NULL) == 0) {
		if (inv_cache_save(&ls, &a, NULL) < 0 ||
		    inv_cache_load(&ls, 0, a.data, a.len, NULL) ||
		    inv_cache_save(&ls, &b, NULL) < 0 || a.len != b.len ||
		    memcmp(a.data, b.data, a.len))
			abort(); /* what it saved, it must load, and save alike */
	}
	for (size_t i = 0; i < ls.ndocs; i++)
		inv_doc_release(&ls.docs[i]);
	free(ls.docs);
	bh_buf_release(&a);
	bh_buf_release(&b);
}

static void content(const uint8_t *p, size_t n)
{
	struct bh_content c;
	struct lstate *l = NULL, *l2 = NULL;
	struct bh_buf a = BH_BUF_INIT(64u << 20), b = BH_BUF_INIT(64u << 20);

	memset(&c, 0, sizeof(c));
	if (content_cache_load(&c, 0, p, n, &l, NULL) == 0) {
		if (content_cache_save(l, &a, NULL) < 0 ||
		    content_cache_load(&c, 0, a.data, a.len, &l2, NULL) < 0 ||
		    content_cache_save(l2, &b, NULL) < 0 || a.len != b.len ||
		    memcmp(a.data, b.data, a.len))
			abort();
	}
	content_lstate_free(l);
	content_lstate_free(l2);
	bh_buf_release(&a);
	bh_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] =
		"3f0c4a2b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
	struct img_entries es;
	const void *pl;
	size_t n;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		if (img_entries_decode(data + 1, size - 1, NULL, &es, NULL) == 0) {
			for (size_t i = 0; i < es.n; i++)
				if (!es.v[i].path || es.v[i].path[0] == '/')
					abort();
			img_entries_release(&es);
		}
		break;
	case 1: inventory(data + 1, size - 1); break;
	case 2: content(data + 1, size - 1); break;
	default:
		if (img_cache_open_part(data + 1, size - 1, key, &pl, &n, NULL) == 0 &&
		    n != size - 1 - 70)
			abort();
		break;
	}
	return 0;
}
