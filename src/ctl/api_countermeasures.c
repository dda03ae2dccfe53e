/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SP 800-190 countermeasure view (views17): for each countermeasure of
 * section 4, what enforces it here and what violates it now, counted from the
 * store when asked (src/ctl/counter.c).
 */
#include "ctl/api_int.h"
#include "banned.h"

static void on_countermeasures(struct bh_ctl_call *c)
{
	struct bh_error *err = NULL;
	json_t *v;

	if (bh_ctl_countermeasures(c->a->store, &v, &err) < 0)
		return bh_ctl_reply_fail(c, err);
	bh_ctl_reply_json(c, 200, v);
}

static const struct bh_ctl_endpoint endpoints[] = {
	{ "GET", "/api/v1/countermeasures", on_countermeasures, BH_CTL_READER,
	  "NIST SP 800-190 section 4: for each countermeasure, what enforces it here and what "
	  "violates it now (counts and the dashboard's links), from the store",
	  NULL, NULL, 200 },
};

const struct bh_ctl_endpoints bh_ctl_api_countermeasures = {
	endpoints, sizeof(endpoints) / sizeof(endpoints[0]), NULL
};
