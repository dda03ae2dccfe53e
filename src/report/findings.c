/* SPDX-License-Identifier: Apache-2.0 */
/* The finding list every scanner appends to, and the names of its enums. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/report.h"
#include "banned.h"

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct bh_finding *bh_findings_add(struct bh_findings *l)
{
	struct bh_finding *f;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = bh_reallocarray(l->v, l->cap, sizeof(*l->v));
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->score = -1;
	f->layer = -1;
	f->removed_layer = -1;
	f->pkg = SIZE_MAX;
	return f;
}

void bh_finding_release(struct bh_finding *f)
{
	if (!f)
		return;
	free(f->id);
	free(f->cvss_vector);
	strv_free(f->aliases);
	free(f->title);
	free(f->description);
	free(f->countermeasure);
	strv_free(f->references);
	free(f->path);
	strv_free(f->fixed_versions);
	free(f->remediation);
	free(f->suppressed_by);
	free(f->suppress_reason);
	memset(f, 0, sizeof(*f));
}

void bh_findings_release(struct bh_findings *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		bh_finding_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *bh_finding_kind_name(enum bh_finding_kind k)
{
	switch (k) {
	case BH_FIND_VULN: return "vulnerability";
	case BH_FIND_CONFIG: return "config";
	case BH_FIND_SECRET: return "secret";
	case BH_FIND_MALWARE: return "malware";
	case BH_FIND_POLICY: return "policy";
	case BH_FIND_STALE: return "stale";
	}
	return "unknown";
}

const char *bh_fix_state_name(enum bh_fix_state s)
{
	switch (s) {
	case BH_FIX_FIXED: return "fixed";
	case BH_FIX_NOT_FIXED: return "not-fixed";
	case BH_FIX_WONT_FIX: return "wont-fix";
	case BH_FIX_UNKNOWN: break;
	}
	return "unknown";
}
