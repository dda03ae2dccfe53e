/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the monitor's rule engine: bytes -> YAML rules file (after a fixed
 * base with lists and macros to append to and use) -> items, appends and
 * overrides -> conditions tokenized and parsed, macros and lists expanded,
 * fields and values typed, exceptions, outputs -> compiled; when it
 * compiles, every rule evaluated on fixed events of each kind and its
 * output formatted. The same bytes are also read as a JSON event.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] = "- list: shells\n"
			   "  items: [bash, sh]\n"
			   "- macro: spawned\n"
			   "  condition: evt.type in (execve, execveat)\n"
			   "- macro: container\n"
			   "  condition: container.id != host\n"
			   "- rule: base\n"
			   "  desc: d\n"
			   "  output: \"%proc.name %container.info\"\n"
			   "  priority: notice\n"
			   "  condition: spawned and proc.name in (shells)\n";

static const char *const events[] = {
	"{\"type\":\"execve\",\"proc\":{\"name\":\"bash\",\"tty\":1,\"args\":[\"-i\"],"
	"\"parents\":[{\"name\":\"sshd\",\"pid\":2}],\"stdin\":\"ipv4\",\"exe_upper_layer\":true},"
	"\"container\":{\"id\":\"0123456789abcdef\",\"name\":\"c\",\"image\":\"a/b:1\"}}",
	"{\"type\":\"openat\",\"res\":3,\"file\":{\"path\":\"/etc/shadow\",\"flags\":\"O_RDWR\"}}",
	"{\"type\":\"openat\",\"res\":3,\"file\":{\"path\":"
	"\"/run/secrets/kubernetes.io/serviceaccount/..data/token\",\"flags\":\"O_RDONLY\"}}",
	"{\"type\":\"open\",\"res\":-2,\"file\":{\"path\":\"/proc/12/"
	"mem\",\"flags\":\"O_RDONLY\"}}",
	"{\"type\":\"openat2\",\"res\":4,\"file\":{\"path\":\"/root/"
	".ssh\",\"flags\":\"O_RDONLY\"}}",
	"{\"type\":\"connect\",\"res\":-115,\"net\":{\"proto\":\"tcp\",\"local\":\"10.0.0.1:4000\","
	"\"remote\":\"1.2.3.4:3333\"}}",
	"{\"type\":\"accept\",\"net\":{\"local\":\"[::1]:80\",\"remote\":\"[2001:db8::1]:5000\"}}",
	"{\"type\":\"ptrace\",\"args\":{\"request\":16,\"target_pid\":3}}",
	"{\"type\":\"mount\",\"res\":-1,\"args\":{\"source\":\"/dev/x\",\"fstype\":\"ext4\","
	"\"flags\":4096},\"file\":{\"path\":\"/mnt\"}}",
};

static bool all_rules(const struct bh_rules_rule *r, void *arg)
{
	(void)r;
	(void)arg;
	return true;
}

/* Whether a connect's peer is one the connect guard would refuse. */
static bool peer_in(const struct bh_rules_peer *p, size_t n, const struct bh_mon_event *ev)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bits = p[i].prefix, full = bits / 8, rest = bits % 8;

		if (p[i].family != ev->net.family || (p[i].port && p[i].port != ev->net.rport) ||
		    (p[i].proto && p[i].proto != ev->net.proto) ||
		    memcmp(p[i].addr, ev->net.raddr, full))
			continue;
		if (rest &&
		    ((p[i].addr[full] ^ ev->net.raddr[full]) & (uint8_t)(0xff << (8 - rest))))
			continue;
		return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_rules *rs = bh_rules_new();
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;
	struct bh_mon_event ev;
	struct bh_mon_open_filter of;
	struct bh_rules_peer *peers = NULL;
	size_t npeers = 0;
	json_t *j;

	(void)bh_rules_add(rs, base, sizeof(base) - 1, "base", &d, &err);
	bh_error_clear(&err);
	(void)bh_rules_add(rs, (const char *)data, size, "fuzz", &d, &err);
	bh_error_clear(&err);
	(void)bh_rules_compile(rs, &d, &err);
	bh_error_clear(&err);
	bh_rules_open_filter(rs, &of);
	(void)bh_rules_connect_peers(rs, all_rules, NULL, &peers, &npeers, NULL);
	{
		struct bh_strvec xp, xn, xx;

		(void)bh_rules_exec_files(rs, all_rules, NULL, &xp, &xn, &xx, NULL);
		for (size_t i = 0; i < xx.n; i++)
			if (xx.v[i][0] != '/' || strlen(xx.v[i]) < 2) /* below the root */
				abort();
		for (size_t i = 0; i < xp.n; i++)
			if (xp.v[i][0] != '/') /* whole paths only */
				abort();
		for (size_t i = 0; i < xn.n; i++)
			if (!xn.v[i][0] || strchr(xn.v[i], '/')) /* names only */
				abort();
		bh_strvec_release(&xp);
		bh_strvec_release(&xn);
		bh_strvec_release(&xx);
	}
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		const struct bh_rules_rule *m[16];
		size_t n;

		j = json_loads(events[i], 0, NULL);
		if (!j || bh_mon_event_from_json(j, &ev, &err) < 0)
			abort(); /* the fixed events are valid */
		json_decref(j);
		n = bh_rules_match(rs, &ev, m, 16);
		/* the kernel's open filter is a necessary condition of the rules */
		if (n && !bh_mon_open_filter_admits(&of, &ev))
			abort();
		/* what the connect guard refuses (in a container) is a rule's match */
		if (ev.type == BH_MON_CONNECT && peer_in(peers, npeers, &ev)) {
			snprintf(ev.container.id, sizeof(ev.container.id), "c0ffee");
			if (!bh_rules_match(rs, &ev, m, 16))
				abort();
		}
		for (size_t k = 0; k < n && k < 16; k++)
			free(bh_rules_format(m[k], &ev));
	}
	bh_mon_open_filter_release(&of);
	free(peers);
	bh_rules_diags_release(&d);
	bh_rules_free(rs);
	/* the same bytes as an event */
	if (bh_json_parse((const char *)data, size, 1 << 20, "fuzz", &j, NULL) == 0) {
		if (bh_mon_event_from_json(j, &ev, &err) == 0) {
			struct bh_rules *r2 = bh_rules_new();

			if (bh_rules_add(r2, base, sizeof(base) - 1, "base", NULL, NULL) == 0 &&
			    bh_rules_compile(r2, NULL, NULL) == 0) {
				const struct bh_rules_rule *m[4];
				size_t n = bh_rules_match(r2, &ev, m, 4);

				for (size_t k = 0; k < n && k < 4; k++)
					free(bh_rules_format(m[k], &ev));
			}
			bh_rules_free(r2);
		}
		bh_error_clear(&err);
		json_decref(j);
	}
	return 0;
}
