/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: config.json parsing, seccomp profile and device program compilation. */
#include <stdint.h>
#include <stdlib.h>

#include "bulkhead/base.h"
#include "bulkhead/runtime.h"
#include "runtime/devices_bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_rt_spec *s = NULL;
	struct bh_error *err = NULL;

	if (bh_rt_spec_parse((const char *)data, size, &s, &err) == 0) {
		struct bh_rt_seccomp_opts o = { .mounts = s->mounts_mode, .allow = NULL };
		void *prog = NULL;
		size_t n = 0;
		bool listener;

		/* the default profile is compiled once per input only when the bundle
		 * has its own; keep the fuzzer fast */
		if (s->seccomp &&
		    bh_rt_seccomp_compile(s->seccomp, &o, &prog, &n, &listener, NULL) == 0)
			free(prog);
		/* the device policy: the rule list and its eBPF program */
		{
			struct rt_devbpf_rule *rules = NULL;
			struct rt_devbpf_prog p = { 0 };
			size_t nr = 0;

			if (rt_devbpf_rules(s, &rules, &nr, NULL) == 0 &&
			    rt_devbpf_compile(rules, nr, &p, NULL) == 0)
				rt_devbpf_prog_release(&p);
			free(rules);
		}
		bh_rt_spec_free(s);
	}
	bh_error_free(err);
	return 0;
}
