/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the parsers of the host benchmark (src/host/parse.c): the first byte
 * picks the parser, the rest is a file of a root that may be hostile
 * (daemon.json, a TOML-ish config, audit rules, a sysctl value), or with
 * its top bit set a container's config.json for the container checks. What
 * the parsers hand back must hold: strings NUL-terminated, counts in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tables[] = { NULL, "grpc", "containers",
					      "plugins.\"io.containerd.grpc.v1.cri\"" };
	static const char *const keys[] = { "tcp_address", "seccomp_profile", "userns", "x" };
	const char *p = (const char *)data + 1;
	struct bh_error *err = NULL;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	if (data[0] & 0x80) {
		json_t *cfg = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
		struct bh_host_report r = { 0 };

		bh_host_check_config(cfg, "fuzz", 2, &r);
		for (size_t i = 0; i < r.n; i++) {
			if (r.v[i].status > BH_HOST_INFO || !r.v[i].actual)
				abort();
			free(r.v[i].actual);
			free(r.v[i].target);
		}
		free(r.v);
		json_decref(cfg);
		return 0;
	}
	switch (data[0] & 3) {
	case 0: {
		struct bh_host_docker d;

		if (bh_host_docker_parse(p, n, &d, &err) == 0) {
			if (d.log_driver)
				(void)strlen(d.log_driver);
			if (d.live_restore < -1 || d.live_restore > 1)
				abort();
			bh_host_docker_release(&d);
		}
		break;
	}
	case 1: {
		char *v = NULL;
		int r = bh_host_toml_get(p, n, tables[(data[0] >> 2) & 3], keys[(data[0] >> 4) & 3],
					 &v, &err);

		if ((r == 1) != (v != NULL) || (v && strlen(v) > n))
			abort();
		free(v);
		break;
	}
	case 2:
		(void)bh_host_audit_watches(p, n, "/usr/bin/dockerd");
		(void)bh_host_audit_watches(p, n, "/etc/docker");
		break;
	case 3: {
		long long v;

		(void)bh_host_sysctl_int(p, n, &v, &err);
		break;
	}
	}
	bh_error_free(err);
	return 0;
}
