/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the parser of an engine's inspect data of a container (src/host/
 * inspect.c: GET /containers/ID/json from dockerd or podman, untrusted
 * bytes off a socket), then the engine checks of bench containers on what it
 * gave. What comes back must hold: ports counted and kept in bounds, each
 * kept port a real one, strings NUL-terminated, every row with an actual value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_host_inspect in;
	struct bh_error *err = NULL;
	struct bh_host_report r = { 0 };
	json_t *cfg;

	if (bh_host_inspect_parse((const char *)data, size, &in, &err) < 0) {
		bh_error_free(err);
		return 0;
	}
	if (!in.restart || (in.nports && !in.low_port) || in.low_port < 0 || in.low_port > 65535)
		abort();
	for (size_t i = 0; i < in.nports && i < BH_HOST_INSPECT_PORTS; i++) {
		if (!in.ports[i] || in.host_port[i] < in.low_port || in.host_port[i] > 65535)
			abort();
		(void)strlen(in.ports[i]);
	}
	cfg = json_object();
	bh_host_check_container(cfg, &in, NULL, "fuzz", 2, &r);
	for (size_t i = 0; i < r.n; i++) {
		if (r.v[i].status > BH_HOST_INFO || !r.v[i].actual)
			abort();
		free(r.v[i].actual);
		free(r.v[i].target);
	}
	free(r.v);
	json_decref(cfg);
	bh_host_inspect_release(&in);
	return 0;
}
