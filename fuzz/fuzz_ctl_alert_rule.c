/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An alert rule as a request body (src/ctl/alert_rule.c). What is accepted
 * must hold its invariants: a valid name, a severity 1..5, a destination
 * with a URL of its scheme, an email's addresses without CR, LF or angle
 * brackets (no header injection), a window in range; and it must come out
 * as JSON that parses back to the same rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_error *err = NULL;
	struct bh_ctl_alert_rule r, r2;
	json_t *j;
	char *s;

	if (bh_ctl_alert_rule_parse((const char *)data, size, &r, &err) < 0) {
		if (!err)
			abort(); /* a failure says why */
		bh_error_free(err);
		return 0;
	}
	if (!bh_ctl_name_valid(r.name, strlen(r.name)) || r.min_severity < 1 ||
	    r.min_severity > 5 || r.window < 1 || r.window > BH_CTL_ALERT_WINDOW_MAX)
		abort();
	if (r.dest == BH_CTL_ALERT_EMAIL &&
	    (strpbrk(r.to, "\r\n<> ") || strpbrk(r.from, "\r\n<> ") || !r.to[0] || !r.from[0]))
		abort();
	if (r.dest == BH_CTL_ALERT_SYSLOG && r.url[0] != '/')
		abort();
	if ((r.dest == BH_CTL_ALERT_WEBHOOK || r.dest == BH_CTL_ALERT_SLACK) &&
	    strncmp(r.url, "http://", 7) && strncmp(r.url, "https://", 8))
		abort();
	/* the API's view of it is a body that gives the same rule */
	j = bh_ctl_alert_rule_json(&r);
	s = json_dumps(j, JSON_COMPACT);
	if (!s || bh_ctl_alert_rule_parse(s, strlen(s), &r2, &err) < 0 ||
	    memcmp(&r, &r2, sizeof(r)))
		abort();
	free(s);
	json_decref(j);
	return 0;
}
