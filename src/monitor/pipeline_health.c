// SPDX-License-Identifier: Apache-2.0
/*
 * A monitor that loses events says so (issue 15; as Falco's "syscall event
 * drop" alerts): the loss counters (the kernel's ring, the detect queue, the
 * outputs' drops) are read every second on the producer's thread, and when
 * one grew an alert of the built-in rule "Monitor lost events" goes through
 * every output and to the consumers, at most one per loss_interval_ms, the
 * losses between folded into the next, and a last one at the stop (see
 * bh_mon_run_opts). An output's drops of loss alerts (loss_dropped) are no
 * new loss: counting them made one alert per interval forever with a dead
 * output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline_internal.h"
#include "banned.h"

#define CHECK_MS	 1000u	/* the counters read at most this often */
#define DEFAULT_INTERVAL 30000u /* Falco's default: one drop alert per 30 s */

#define GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void mon_health_init(struct mon_health *h, const struct bh_mon_run_opts *o)
{
	memset(h, 0, sizeof(*h));
	h->o = o;
	h->tags[0] = "bulkhead.internal";
	h->tags[1] = "loss";
	h->tags[2] = NULL;
	for (int i = 0; i < 2; i++) {
		struct bh_rules_rule *r = &h->rule[i];

		r->name = BH_MON_LOSS_RULE;
		r->desc = "the monitor lost events: the kernel's ring was full, detection "
			  "or an output could not keep up";
		r->output = "(built in: the loss counters)";
		r->source = "internal";
		r->priority = i ? BH_RULES_CRITICAL : BH_RULES_WARNING;
		r->tags = h->tags;
		r->file = "(built in)";
	}
	h->interval_ms = o->loss_interval_ms ? o->loss_interval_ms : DEFAULT_INTERVAL;
	h->window_start_ms = bh_mono_ms();
	h->check_at_ms = h->window_start_ms;
	h->emit_at_ms = h->window_start_ms;
}

void mon_health_tick(struct mon_pipe *p, struct mon_health *h, bool final)
{
	struct bh_mon_run_stats *st = mon_stats(p);
	struct bh_mon_stats ss;
	struct bh_mon_loss *l;
	uint64_t t = bh_mono_ms(), out = 0, events, lost_share;
	const struct bh_rules_rule *rule;
	char *msg;

	if (!final && (t < h->check_at_ms || t < h->emit_at_ms))
		return;
	h->check_at_ms = t + CHECK_MS;
	bh_mon_source_stats(h->o->source, &ss);
	for (size_t i = 0; i < st->noutputs; i++)
		out += GET(st->outputs[i].dropped); /* not loss_dropped: see above */
	events = GET(st->events);
	if (ss.lost <= h->told_kernel && GET(st->detect_dropped) <= h->told_detect &&
	    out <= h->told_output)
		return;
	l = bh_calloc(1, sizeof(*l));
	l->kernel_total = ss.lost > h->told_kernel ? ss.lost : h->told_kernel;
	l->detect_total = GET(st->detect_dropped);
	l->output_total = out > h->told_output ? out : h->told_output;
	l->kernel = l->kernel_total - h->told_kernel;
	l->detect = l->detect_total > h->told_detect ? l->detect_total - h->told_detect : 0;
	l->output = l->output_total - h->told_output;
	l->events = events - h->told_events;
	l->window_ms = t - h->window_start_ms;
	l->final = final;
	/* CRITICAL when what detection never saw is 1% or more of the window's
	 * events (read, or lost in the kernel); an output's drops alone: WARNING */
	lost_share = l->kernel + l->detect;
	rule = &h->rule[lost_share && lost_share * 100 >= l->events + l->kernel ? 1 : 0];
	msg = bh_asprintf("the monitor lost events in the last %llu.%03llu s%s: %llu in the kernel "
			  "(ring full), %llu not detected (queue full), %llu dropped by outputs, "
			  "of %llu read (totals: %llu, %llu, %llu)",
			  (unsigned long long)(l->window_ms / 1000),
			  (unsigned long long)(l->window_ms % 1000), final ? " (at the stop)" : "",
			  (unsigned long long)l->kernel, (unsigned long long)l->detect,
			  (unsigned long long)l->output, (unsigned long long)l->events,
			  (unsigned long long)l->kernel_total, (unsigned long long)l->detect_total,
			  (unsigned long long)l->output_total);
	h->told_kernel = l->kernel_total;
	h->told_detect = l->detect_total;
	h->told_output = l->output_total;
	h->told_events = events;
	h->window_start_ms = t;
	h->emit_at_ms = t + h->interval_ms;
	mon_health_alert(p, rule, msg, l);
}

int mon_health_alert_json(const struct bh_mon_alert *a, json_t **out, struct bh_error **err)
{
	const struct bh_mon_loss *l = a->loss;
	json_t *o, *tags = json_array();

	for (char **t = a->rule->tags; tags && *t; t++)
		json_array_append_new(tags, json_string(*t));
	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:b, "
		      "s:{s:I, s:I, s:I}}}",
		      "time", (json_int_t)a->ev->ts_ns, "rule", a->rule->name, "priority",
		      bh_rules_priority_name(a->rule->priority), "output", a->output, "tags", tags,
		      "action", bh_mon_action_name(BH_MON_ACT_ALERT), "loss", "kernel",
		      (json_int_t)l->kernel, "detect", (json_int_t)l->detect, "output",
		      (json_int_t)l->output, "events", (json_int_t)l->events, "window_ms",
		      (json_int_t)l->window_ms, "final", (int)l->final, "totals", "kernel",
		      (json_int_t)l->kernel_total, "detect", (json_int_t)l->detect_total, "output",
		      (json_int_t)l->output_total);
	if (!o)
		return bh_error_set(err, BH_ERR_NOMEM, "alert %s: cannot make its JSON",
				    a->rule->name);
	*out = o;
	return 0;
}
