// SPDX-License-Identifier: Apache-2.0
/*
 * Behaviour profiles in the monitor's pipeline (bh_mon_run_opts.behave):
 * the built-in rules a verdict outside the profile is an alert of, and the
 * alert's output line. The observing itself is on the detection thread
 * (pipeline.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"
#include "banned.h"

void mon_behave_rules_init(struct mon_behave_rules *br)
{
	memset(br, 0, sizeof(*br));
	for (int k = 0; k < BH_BEHAVE_KIND_COUNT; k++) {
		snprintf(br->tag[k][0], sizeof(br->tag[k][0]), "behaviour");
		snprintf(br->tag[k][1], sizeof(br->tag[k][1]), "NIST_800-190_4.4.4");
		snprintf(br->tag[k][2], sizeof(br->tag[k][2]), "%s",
			 bh_behave_kind_name((enum bh_behave_kind)k));
		for (int t = 0; t < 3; t++)
			br->tags[k][t] = br->tag[k][t];
		br->tags[k][3] = NULL;
		for (int b = 0; b < 2; b++) {
			struct bh_rules_rule *r = &br->r[k][b];

			r->name = MON_BEHAVE_RULE;
			r->desc = "an event outside the behaviour profile its workload learned";
			r->output = "(built in: the behaviour verdict)";
			r->source = "syscall";
			r->priority = b ? BH_RULES_ERROR : BH_RULES_WARNING;
			r->tags = br->tags[k];
			r->file = "(built in)";
		}
	}
}

const struct bh_rules_rule *mon_behave_rule(const struct mon_behave_rules *br,
					    const struct bh_behave_verdict *v)
{
	unsigned k = (unsigned)v->kind < BH_BEHAVE_KIND_COUNT ? (unsigned)v->kind : 0;

	return &br->r[k][v->block ? 1 : 0];
}

/* A name in an alert's text (s: attacker-chosen, any bytes): printable ASCII as
 * is, the rest escaped as the rules' values are (\xNN, a backslash doubled), so
 * the output is one line of valid UTF-8 and the alert is written. */
char *mon_esc_name(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *r = bh_malloc(n * 4 + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			r[o++] = (char)c;
		else if (c == '\\')
			o += (size_t)snprintf(r + o, 3, "\\\\");
		else
			o += (size_t)snprintf(r + o, 5, "\\x%02x", c);
	}
	r[o] = 0;
	return r;
}

/* The verdict's value and the exe are the process's words (a path it named, a
 * file it wrote): escaped, as a rule's output escapes its values. */
char *mon_behave_output(const struct bh_behave_verdict *v, const struct bh_mon_event *ev)
{
	char *val = mon_esc_name(v->value), *key = mon_esc_name(v->key),
	     *exe = mon_esc_name(ev->proc.exe[0] ? ev->proc.exe : "-");
	char *r =
		bh_asprintf("%s outside the profile of %s (%s%s): %s (container=%s pid=%u exe=%s)",
			    bh_behave_kind_name(v->kind), key, bh_prof_mode_name(v->mode),
			    v->overflowed ? ", overflowed" : "", val,
			    ev->container.id[0] ? ev->container.id : "host", ev->proc.pid, exe);

	free(val);
	free(key);
	free(exe);
	return r;
}
