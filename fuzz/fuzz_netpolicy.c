/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the network policy: bytes -> a policy file (YAML, the policy limits)
 * composed after fixed groups -> validated (CIDRs, ports, names element by
 * element) -> compiled -> bh_policy_net -> decisions on fixed flows and
 * layer-7 records (HTTP, TLS, DNS, SQL) at each stage, the groups of a few
 * endpoints, and the learner fed and written. The same bytes as an HTTP
 * path through the policy's normaliser (http_path.h): one '/' first, no
 * "//", NUL-ended, within the bound, whatever it said.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/net.h"
#include "bulkhead/netpolicy.h"
#include "bulkhead/policy.h"
#include "net/dissect.h"
#include "net/http_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base[] =
	"apiVersion: bulkhead.dev/v1alpha1\n"
	"kind: Policy\n"
	"spec:\n"
	"  rules:\n"
	"  - {name: a, kind: networkGroup, cidrs: [10.0.1.0/24], mode: protect}\n"
	"  - {name: b, kind: networkGroup, labels: {app: b}, mode: discover}\n";

static void addr(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	inet_pton(AF_INET, s, a + 12);
}

static void decide_all(const struct bh_netpol *np)
{
	static const char *const apps[] = { NULL, "http", "tls", "dns", "mysql", "unknown" };
	static const char *const names[] = { "a.example.com", "x" };
	json_t *labels = json_pack("{s:s}", "app", "b");
	uint8_t c[16], s[16];
	struct bh_net_rec recs[4] = { { .kind = BH_NET_REC_HTTP_REQUEST, .app = "http" },
				      { .kind = BH_NET_REC_TLS_HELLO, .app = "tls" },
				      { .kind = BH_NET_REC_DNS, .app = "dns" },
				      { .kind = BH_NET_REC_SQL, .app = "mysql" } };
	struct bh_netpol_learn *l = bh_netpol_learn_new();
	struct bh_buf out = BH_BUF_INIT(1 << 20);

	recs[0].u.http.method = (struct bh_net_str){ "GET", 3 };
	recs[0].u.http.host = (struct bh_net_str){ "a.example.com:80", 16 };
	recs[0].u.http.path = (struct bh_net_str){ "/api/x", 6 };
	recs[1].u.tls.client = true;
	recs[1].u.tls.sni = (struct bh_net_str){ "a.example.com", 13 };
	recs[2].u.dns.qname = (struct bh_net_str){ "a.example.com.", 14 };
	recs[3].u.sql.statement = "select";
	addr(c, "10.0.1.5");
	addr(s, "192.0.2.1");
	for (int ci = 0; ci < 2; ci++) {
		struct bh_netpol_endpoint ce = { c, ci ? labels : NULL, "docker.io/x:1",
						 "3f2a9c00" };
		struct bh_netpol_endpoint se = { s, ci ? NULL : labels, NULL, NULL };

		for (size_t a = 0; a < sizeof(apps) / sizeof(apps[0]); a++) {
			struct bh_netpol_query q = { 0 };
			struct bh_netpol_decision d;
			struct bh_net_flow_record fr = { 0 };

			q.client_group = bh_netpol_group_of(np, &ce);
			q.server_group = bh_netpol_group_of(np, &se);
			q.client_addr = c;
			q.server_addr = s;
			q.server_port = (uint16_t)(53 + a * 1000);
			q.l4 = a == 3 ? "udp" : "tcp";
			q.app = apps[a];
			q.server_names = (struct bh_netpol_strs){ names, 2 };
			bh_netpol_decide(np, &q, false, &d);
			fr.l4 = q.l4;
			fr.app = apps[a] ? apps[a] : "unknown";
			fr.rule = d.rule;
			fr.client_group = bh_netpol_group_name(np, q.client_group);
			fr.server_group = bh_netpol_group_name(np, q.server_group);
			fr.server_name = "a.example.com";
			memcpy(fr.client_addr, c, 16);
			memcpy(fr.server_addr, s, 16);
			fr.server_port = q.server_port;
			for (int r = 0; r < 4 && apps[a]; r++) {
				q.rec = &recs[r];
				bh_netpol_decide(np, &q, ci, &d);
				bh_netpol_learn_record(l, &fr, &recs[r]);
			}
			bh_netpol_learn_flow(l, &fr);
		}
	}
	bh_netpol_learn_write(l, &out, NULL);
	bh_buf_release(&out);
	bh_netpol_learn_free(l);
	json_decref(labels);
}

static void path_norm(const uint8_t *data, size_t size)
{
	static char out[BH_NET_PATH_MAX + 1];
	size_t len = 0;

	(void)bh_net_http_path_norm((const char *)data, size, out, &len);
	if (len < 1 || len > BH_NET_PATH_MAX || out[0] != '/' || out[len] ||
	    memmem(out, len, "//", 2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	struct bh_netpol *np = NULL;

	path_norm(data, size);
	if (bh_policy_add(p, base, sizeof(base) - 1, "base", NULL, &d, &err) == 0 &&
	    bh_policy_add(p, (const char *)data, size, "fuzz", NULL, &d, &err) == 0 &&
	    bh_policy_compile(p, &d, &err) == 0 && bh_policy_net(p, &np, &err) >= 0)
		decide_all(np);
	bh_netpol_free(np);
	bh_error_free(err);
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return 0;
}
