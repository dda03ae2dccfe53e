/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the kernel event source's record decoder (src/monitor/source_record.c):
 * bytes as the monitor's BPF programs put them in the ring buffer (a header,
 * then an exec or a syscall body) -> a struct bh_mon_event, and a cgroup's
 * mkdir record (mon_record_cgroup) -> its note. The record is
 * copied to an aligned buffer of exactly its size, as the ring buffer hands
 * it out; the decoded strings are then read whole (NUL within bounds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/bpf/events.h"
#include "monitor/source_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bh_mon_event ev;
	struct mon_cgroup_note cn;
	struct mon_rec_raw raw;
	void *buf;
	size_t n = 0;

	if (size > sizeof(struct mon_rec_hdr) + sizeof(struct mon_rec_exec) + 64)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (mon_record_decode(buf, size, &ev, &raw) == 0) {
		n += strlen(ev.proc.exe) + strlen(ev.proc.cwd) + strlen(ev.proc.comm) +
		     strlen(ev.file.path) + strlen(ev.args.source) + strlen(ev.args.fstype) +
		     strlen(ev.args.module);
		for (unsigned i = 0; i < ev.proc.nancestors && i < BH_MON_ANCESTORS_MAX; i++)
			n += strlen(ev.proc.ancestors[i].comm);
		if (ev.proc.args_len > sizeof(ev.proc.args) ||
		    (ev.proc.args_len && ev.proc.args[ev.proc.args_len - 1]))
			abort(); /* argv must end with its NUL, within bounds */
	}
	if (mon_record_cgroup(buf, size, &cn) == 0)
		n += strlen(cn.path) + (cn.pids ? 1 : 0);
	free(buf);
	return n == (size_t)-1;
}
