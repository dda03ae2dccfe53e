// SPDX-License-Identifier: Apache-2.0
/*
 * monevents: the kernel event source (bh_mon_source_kernel) for tests and
 * benchmarks. Prints one line per event, fields as key=value separated by
 * tabs (strings with tabs or newlines escaped), "ready" on stderr once the
 * programs are attached, and a final "stats" line; exits after -t seconds, or
 * on SIGTERM/SIGINT once what the kernel already recorded is read (until
 * 100 ms pass with no event, 5 s at most).
 *
 *   monevents [-t SECONDS] [-T TYPE,...] [-R RULES] [-G] [-r RING_BYTES] [-c] [-q] [-D]
 *             [-S RUNTIME:DIR]...
 *     -T  the types wanted (execve, openat, connect ...; default exec and exit);
 *         without -R every open of an open type makes an event
 *     -R  a rules file: its types added, opens filtered as bulkhead monitor does
 *         (bh_rules_open_filter)
 *     -G  every syscall type through the generic tp_btf/sys_exit program
 *     -C on|off|auto  32-bit (compat) calls (bh_mon_kernel_opts.compat)
 *     -c  containers only
 *     -D  serve the start rendezvous as bulkhead monitor does (bh_mon_kernel_opts.rendezvous:
 *         bulkhead's start waits until the source has listed its container)
 *     -q  print no events, only the stats (a consumer draining as fast as it can)
 *     -v  the library's debug messages on stderr
 *     -S  another runtime state root for attribution (bh_ctr_opts.state_roots)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bulkhead/containers.h"
#include "bulkhead/monitor.h"
#include "bulkhead/rules.h"

static volatile sig_atomic_t stop;

static void log_stderr(enum bh_log_level level, const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "monevents: %s: %s\n", bh_log_level_name(level), msg);
}

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static void put_str(const char *k, const char *s, size_t n)
{
	printf("\t%s=", k);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\n' || c == '\\' || c < 32)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

/* NUL-separated strings as one, joined by spaces */
static void put_list(const char *k, const char *s, size_t len)
{
	char buf[2048];
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	memcpy(buf, s, n);
	for (size_t i = 0; i + 1 < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	put_str(k, buf, n);
}

static const char *fdname(enum bh_mon_fdtype t)
{
	static const char *const n[] = { "none", "file", "dir",	 "pipe",  "tty",
					 "ipv4", "ipv6", "unix", "memfd", "other" };

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static void print_event(const struct bh_mon_event *ev)
{
	const struct bh_mon_proc *p = &ev->proc;
	char a[INET6_ADDRSTRLEN];

	printf("type=%s\tres=%lld\tts=%llu\tpid=%u\ttid=%u\tppid=%u\tsid=%u\tuid=%u\tgid=%u"
	       "\tloginuid=%u\ttty=%u",
	       bh_mon_type_name(ev->type), (long long)ev->res, (unsigned long long)ev->ts_ns,
	       p->pid, p->tid, p->ppid, p->sid, p->uid, p->gid, p->loginuid, p->tty);
	put_str("comm", p->comm, sizeof(p->comm));
	put_str("exe", p->exe, sizeof(p->exe));
	put_list("args", p->args, p->args_len);
	printf("\targc=%u\targs_truncated=%d", p->argc, p->args_truncated);
	put_str("cwd", p->cwd, sizeof(p->cwd));
	printf("\tupper=%d\tmemfd=%d\twritable=%d\tstdio=%s,%s,%s", p->exe_upper_layer,
	       p->exe_from_memfd, p->exe_writable, fdname(p->stdio[0]), fdname(p->stdio[1]),
	       fdname(p->stdio[2]));
	printf("\tanc=");
	for (unsigned i = 0; i < p->nancestors && i < BH_MON_ANCESTORS_MAX; i++)
		printf("%s%u:%s", i ? "," : "", p->ancestors[i].pid, p->ancestors[i].comm);
	printf("\tancexe=");
	for (unsigned i = 0; i < p->nancestors && i < BH_MON_ANCESTORS_MAX; i++)
		printf("%s%s", i ? "," : "", p->ancestors[i].exe);
	put_list("pargs", p->pargs, p->pargs_len);
	put_str("container", ev->container.id, sizeof(ev->container.id));
	put_str("cname", ev->container.name, sizeof(ev->container.name));
	put_str("runtime", ev->container.runtime, sizeof(ev->container.runtime));
	put_str("path", ev->file.path, sizeof(ev->file.path));
	printf("\tflags=0x%x\tfd=%d\tftype=%s\tunverified=%d", ev->file.flags, ev->file.fd,
	       fdname(ev->file.type), ev->file.name_unverified);
	if (ev->net.family) {
		inet_ntop(ev->net.family, ev->net.raddr, a, sizeof(a));
		printf("\tfamily=%u\tproto=%u\traddr=%s\trport=%u", ev->net.family, ev->net.proto,
		       ev->net.family == 1 ? "" : a, ev->net.rport);
		inet_ntop(ev->net.family, ev->net.laddr, a, sizeof(a));
		printf("\tladdr=%s\tlport=%u", ev->net.family == 1 ? "" : a, ev->net.lport);
	}
	printf("\taflags=0x%llx\tsource=%s\tfstype=%s\tcall=%s\ttarget=%d\tunreadable=%d"
	       "\tfunverified=%d\tcompat=%d\n",
	       (unsigned long long)ev->args.flags, ev->args.source, ev->args.fstype, ev->args.call,
	       ev->args.target_pid, ev->args.unreadable, ev->args.flags_unverified,
	       ev->proc.compat);
}

int main(int argc, char **argv)
{
	struct bh_mon_kernel_opts o = { 0 };
	struct bh_mon_source *s = NULL;
	struct bh_mon_event *ev = malloc(sizeof(*ev));
	struct bh_mon_stats st;
	struct bh_error *err = NULL;
	struct timespec t0, t1;
	double secs = 5, drain_end = -1, slice;
	bool quiet = false;
	int c, rc = 0;

	const char *roots[17] = { 0 };
	struct bh_ctr_opts co = { 0 };
	size_t nroots = 0;
	struct bh_rules *rs = NULL;
	struct bh_mon_open_filter of = { 0 };

	while ((c = getopt(argc, argv, "t:T:R:r:cDqS:vGC:")) != -1) {
		switch (c) {
		case 't': secs = strtod(optarg, NULL); break;
		case 'T': {
			char *dup = strdup(optarg), *save = NULL;

			for (char *n = strtok_r(dup, ",", &save); n;
			     n = strtok_r(NULL, ",", &save)) {
				enum bh_mon_type t = bh_mon_type_parse(n);

				if (t == BH_MON_NONE) {
					fprintf(stderr, "monevents: unknown type %s\n", n);
					return 2;
				}
				o.types |= BH_MON_TYPE_BIT(t);
			}
			free(dup);
			break;
		}
		case 'R':
			rs = bh_rules_new();
			if (bh_rules_add_file(rs, optarg, NULL, &err) < 0 ||
			    bh_rules_compile(rs, NULL, &err) < 0) {
				char *m = bh_error_message(err);

				fprintf(stderr, "monevents: %s: %s\n", optarg, m);
				return 2;
			}
			break;
		case 'r': o.ring_bytes = strtoul(optarg, NULL, 0); break;
		case 'c': o.containers_only = true; break;
		case 'D': o.rendezvous = true; break;
		case 'v':
			bh_log_set_handler(log_stderr, NULL);
			bh_log_set_level(BH_LOG_DEBUG);
			break;
		case 'S':
			if (nroots < 16)
				roots[nroots++] = optarg;
			co.state_roots = roots;
			o.containers = &co;
			break;
		case 'q': quiet = true; break;
		case 'G': o.generic = true; break;
		case 'C':
			if (!strcmp(optarg, "on"))
				o.compat = BH_MON_COMPAT_ON;
			else if (!strcmp(optarg, "off"))
				o.compat = BH_MON_COMPAT_OFF;
			else if (strcmp(optarg, "auto")) {
				fprintf(stderr, "monevents: -C on|off|auto, not %s\n", optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr,
				"usage: monevents [-t S] [-T TYPES] [-r BYTES] [-c] [-D] [-q]\n");
			return 2;
		}
	}
	if (rs) {
		o.types |= bh_rules_types(rs);
		bh_rules_open_filter(rs, &of);
		o.open_filter = &of;
	}
	if (!ev || bh_mon_source_kernel(&o, &s, &err) < 0) {
		char *m = bh_error_message(err);

		fprintf(stderr, "monevents: %s\n", m ? m : "out of memory");
		free(m);
		bh_error_free(err);
		free(ev);
		return 3;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	fprintf(stderr, "ready\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		double el;
		bool draining = stop;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (stop && drain_end < 0)
			drain_end = el + 5; /* stopped: drain for 5 s at most */
		if (el >= secs || (stop && el >= drain_end))
			break;
		/* in slices of 200 ms: a signal may land just before the wait */
		slice = draining ? 0.1 : secs - el < 0.2 ? secs - el : 0.2;
		r = bh_mon_source_next(s, ev, (int)(slice * 1000) + 1, &err);
		if (r < 0) {
			char *m = bh_error_message(err);

			fprintf(stderr, "monevents: %s\n", m);
			free(m);
			bh_error_free(err);
			err = NULL;
			rc = 3;
			break;
		}
		if (r > 0 && !quiet)
			print_event(ev);
		if (r == 0 && draining)
			break; /* stopped, and 100 ms with nothing more */
	}
	bh_mon_source_stats(s, &st);
	printf("stats\tevents=%llu\tlost=%llu\tnofile=%llu\ttruncated=%llu\tunattributed=%llu"
	       "\tinvalid=%llu\tunwatched=0x%llx\tgeneric=0x%llx\tcompat=%s\n",
	       (unsigned long long)st.events, (unsigned long long)st.lost,
	       (unsigned long long)st.open_nofile, (unsigned long long)st.truncated,
	       (unsigned long long)st.unattributed, (unsigned long long)st.invalid,
	       (unsigned long long)st.unwatched_types, (unsigned long long)st.generic_types,
	       bh_mon_compat_state_name((enum bh_mon_compat_state)st.compat));
	bh_mon_open_filter_release(&of);
	bh_rules_free(rs);
	bh_mon_source_free(s);
	free(ev);
	return rc;
}
