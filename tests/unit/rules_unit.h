/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rule engine unit tests' helpers (test_rules_lang, test_rules_errors,
 * test_rules_defaults, test_rules_filters, test_mon_extra): a rules file loaded and compiled,
 * its diagnostics dumped and searched, monitor events built, one condition
 * matched or its first error; and the default rule set as a group fixture
 * (load_defaults/free_defaults, `fires`). Included after unit.h.
 */
#ifndef BULKHEAD_TESTS_RULES_UNIT_H
#define BULKHEAD_TESTS_RULES_UNIT_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "bulkhead/rules.h"
#include "monitor/bpf/events.h"
#define RULE_HEAD "- rule: t\n  desc: d\n  output: \"%%proc.name\"\n  priority: WARNING\n"

/* Load and compile yaml; diagnostics in *d (released by the caller). */
static inline struct bh_rules *load(const char *yaml, struct bh_rules_diags *d)
{
	struct bh_rules *rs = bh_rules_new();

	(void)bh_rules_add(rs, yaml, strlen(yaml), "t.yaml", d, NULL);
	(void)bh_rules_compile(rs, d, NULL);
	return rs;
}

static inline void dump(const struct bh_rules_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  %s:%zu:%zu: %s %s: %s\n", d->v[i].file, d->v[i].line,
			      d->v[i].column,
			      d->v[i].severity == BH_RULES_DIAG_ERROR ? "error" : "warning",
			      d->v[i].item ? d->v[i].item : "-", d->v[i].message);
}

/* A diagnostic of severity sev at line:col (0: any) containing needle. */
static inline bool has_diag(const struct bh_rules_diags *d, enum bh_rules_severity sev, size_t line,
			    size_t col, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].severity == sev && (!line || d->v[i].line == line) &&
		    (!col || d->v[i].column == col) && strstr(d->v[i].message, needle))
			return true;
	dump(d);
	return false;
}

static inline struct bh_mon_event *ev_new(enum bh_mon_type t)
{
	struct bh_mon_event *ev = bh_calloc(1, sizeof(*ev));

	ev->type = t;
	ev->proc.loginuid = UINT32_MAX;
	ev->file.fd = -1;
	ev->proc.pid = 100;
	snprintf(ev->proc.comm, sizeof(ev->proc.comm), "app");
	snprintf(ev->proc.exe, sizeof(ev->proc.exe), "/usr/bin/app");
	return ev;
}

static inline void set_args(char *dst, uint16_t *len, uint16_t *argc, const char *const *args)
{
	size_t o = 0;

	*argc = 0;
	for (; *args; args++) {
		size_t n = strlen(*args) + 1;

		memcpy(dst + o, *args, n);
		o += n;
		(*argc)++;
	}
	*len = (uint16_t)o;
}

static inline void in_container(struct bh_mon_event *ev)
{
	snprintf(ev->container.id, sizeof(ev->container.id), "%s",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	snprintf(ev->container.name, sizeof(ev->container.name), "web");
	snprintf(ev->container.image, sizeof(ev->container.image),
		 "registry.example:5000/team/nginx:1.25");
	snprintf(ev->container.image_digest, sizeof(ev->container.image_digest), "sha256:%064d", 0);
}

static inline void set_net(struct bh_mon_event *ev, const char *local, uint16_t lport,
			   const char *remote, uint16_t rport)
{
	int fam = strchr(local, ':') ? AF_INET6 : AF_INET;

	ev->net.family = (uint16_t)fam;
	ev->net.proto = 6;
	assert_int_equal(inet_pton(fam, local, ev->net.laddr), 1);
	assert_int_equal(inet_pton(fam, remote, ev->net.raddr), 1);
	ev->net.lport = lport;
	ev->net.rport = rport;
}

/* Does a one-rule file with this condition match ev? Fails the test on an error. */
static inline bool cond_matches(const char *cond, const struct bh_mon_event *ev)
{
	struct bh_rules_diags d = { 0 };
	char *yaml = bh_asprintf(RULE_HEAD "  condition: |\n    %s\n", cond);
	struct bh_rules *rs = load(yaml, &d);
	const struct bh_rules_rule *m[4];
	size_t n;

	if (d.nerrors) {
		dump(&d);
		fail_msg("condition '%s' does not compile", cond);
	}
	n = bh_rules_match(rs, ev, m, 4);
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(yaml);
	return n == 1;
}

/* The first error of a one-rule file with this condition. */
static inline char *cond_error(const char *cond, size_t *line, size_t *col)
{
	struct bh_rules_diags d = { 0 };
	char *yaml = bh_asprintf(RULE_HEAD "  condition: |\n    %s\n", cond);
	struct bh_rules *rs = load(yaml, &d);
	char *msg = NULL;

	for (size_t i = 0; i < d.n && !msg; i++)
		if (d.v[i].severity == BH_RULES_DIAG_ERROR) {
			msg = bh_strdup(d.v[i].message);
			*line = d.v[i].line;
			*col = d.v[i].column;
		}
	bh_rules_free(rs);
	bh_rules_diags_release(&d);
	free(yaml);
	return msg;
}

/* The default rule set, loaded by the group setup load_defaults. */
static struct bh_rules *defaults;

static inline int load_defaults(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;

	defaults = bh_rules_new();
	if (bh_rules_add_file(defaults, "rules/monitor/default.yaml", &d, &err) < 0 ||
	    bh_rules_compile(defaults, &d, &err) < 0 || d.n) {
		dump(&d);
		bh_error_free(err);
		bh_rules_diags_release(&d);
		return -1;
	}
	bh_rules_diags_release(&d);
	return 0;
}

static inline int free_defaults(void **state)
{
	bh_rules_free(defaults);
	return 0;
}

/* The rules of the default set that match ev, by name. */
static inline bool fires(const struct bh_mon_event *ev, const char *rule)
{
	const struct bh_rules_rule *m[32];
	size_t n = bh_rules_match(defaults, ev, m, 32);

	for (size_t i = 0; i < n && i < 32; i++)
		if (!strcmp(m[i]->name, rule))
			return true;
	return false;
}
#endif
