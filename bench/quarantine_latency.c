/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-process latency of quarantine on one running bulkhead container
 * (bench/quarantine.sh builds and runs this), N rounds, printing median, p99
 * and fastest in milliseconds of
 *   pause        bh_rt_pause: the freezer alone, until FROZEN (the anchor)
 *   apply        bh_quar_apply reading the inventory itself (as the command does),
 *                the whole call (the record written: an fsync)
 *   contained    the same calls, from the call to frozen and cut (the record's
 *                apply_ns: before the record is written)
 *   apply_inv    bh_quar_apply with the caller's inventory (as the monitor calls it)
 *   contained_inv  the same, to frozen and cut
 *   release      bh_quar_release
 *   violate      from the time the host's server saw a request to /violate
 *                (CLOCK_MONOTONIC, written to DIR/violate) to frozen and cut
 *                (the monitor's call); the watcher is inotify on DIR
 *   violate_ret  the same to bh_quar_apply's return
 *   phase_found, phase_asked, phase_cut, phase_frozen  where the time of every
 *                apply goes (bh_quar_apply's debug line): the container found
 *                and its freezer and namespace opened, the freeze asked, the
 *                network cut, frozen
 * Each round thaws the container and lets it run 20 ms before the next one.
 *
 *   quarantine_latency RUNTIME_ROOT ID STATE_DIR N [SERVER_DIR NV]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/quarantine.h"
#include "bulkhead/runtime.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	int k = (int)((double)n * 0.99);

	if (k >= n)
		k = n - 1;
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%s %.2f %.2f %.2f %d\n", what, t[n / 2], t[k], t[0], n);
}

/* The phases of every apply, from bh_quar_apply's debug line. */
static double *ph[4];
static int nph, maxph;

static void on_log(enum bh_log_level level, const char *msg, void *data)
{
	double a, b, c, d;
	const char *p = strstr(msg, ": found ");

	(void)level;
	(void)data;
	if (p && nph < maxph &&
	    sscanf(p, ": found %lf ms, freeze asked %lf ms, cut done %lf ms, frozen %lf ms", &a, &b,
		   &c, &d) == 4) {
		ph[0][nph] = a;
		ph[1][nph] = b;
		ph[2][nph] = c;
		ph[3][nph] = d;
		nph++;
	}
}

static int die(const char *what, struct bh_error *err)
{
	char *m = bh_error_message(err);

	fprintf(stderr, "quarantine_latency: %s: %s\n", what, m ? m : "?");
	free(m);
	bh_error_free(err);
	return 1;
}

/* Wait for DIR/violate to be renamed into place; its value, ns of CLOCK_MONOTONIC. */
static int wait_violation(int ino, const char *dir, double *seen_ms)
{
	char buf[4096], path[4096], v[64];
	struct pollfd p = { .fd = ino, .events = POLLIN };

	for (;;) {
		ssize_t n;
		int fd;

		if (poll(&p, 1, 10000) <= 0)
			return -1;
		n = read(ino, buf, sizeof(buf));
		if (n <= 0)
			continue;
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;

			q += sizeof(*e) + e->len;
			if (e->len && !strcmp(e->name, "violate")) {
				snprintf(path, sizeof(path), "%s/violate", dir);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					return -1;
				n = read(fd, v, sizeof(v) - 1);
				close(fd);
				if (n <= 0)
					return -1;
				v[n] = 0;
				*seen_ms = (double)strtoull(v, NULL, 10) / 1e6;
				return 0;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct bh_rt_ctx ctx = { 0 };
	struct bh_error *err = NULL;
	struct bh_ctr_opts co = { 0 };
	struct bh_quar_opts qo = { 0 };
	struct bh_ctr_list *inv = NULL;
	struct bh_quar_record *rec = NULL;
	const char *roots[2] = { NULL, NULL };
	char *root_arg;
	double *tp, *ta, *ti, *tr, *tc, *tci, *tv = NULL, *tvr = NULL;
	int n, nv = 0;

	if ((argc != 5 && argc != 7) || (n = (int)strtol(argv[4], NULL, 10)) < 2) {
		fprintf(stderr, "usage: quarantine_latency RUNTIME_ROOT ID STATE_DIR N [SERVER_DIR "
				"NV]\n");
		return 2;
	}
	if (argc == 7)
		nv = (int)strtol(argv[6], NULL, 10);
	ctx.root = argv[1];
	root_arg = bh_asprintf("bulkhead:%s", argv[1]);
	roots[0] = root_arg;
	co.state_roots = roots;
	co.docker_socket = "";
	qo.ctr = &co;
	qo.state_dir = argv[3];
	tp = bh_calloc((size_t)n, sizeof(double));
	ta = bh_calloc((size_t)n, sizeof(double));
	ti = bh_calloc((size_t)n, sizeof(double));
	tr = bh_calloc((size_t)n, sizeof(double));
	tc = bh_calloc((size_t)n, sizeof(double));
	tci = bh_calloc((size_t)n, sizeof(double));
	maxph = 2 * n + nv;
	for (int i = 0; i < 4; i++)
		ph[i] = bh_calloc((size_t)maxph, sizeof(double));
	bh_log_set_handler(on_log, NULL);
	bh_log_set_level(BH_LOG_DEBUG);
	for (int i = 0; i < n; i++) {
		double t0;

		t0 = now_ms();
		if (bh_rt_pause(&ctx, argv[2], &err) < 0)
			return die("pause", err);
		tp[i] = now_ms() - t0;
		if (bh_rt_resume(&ctx, argv[2], &err) < 0)
			return die("resume", err);
		nap(20);

		t0 = now_ms();
		if (bh_quar_apply(&qo, argv[2], "bench", &rec, &err) < 0)
			return die("apply", err);
		ta[i] = now_ms() - t0;
		tc[i] = (double)rec->apply_ns / 1e6;
		if (!rec->frozen || rec->net != BH_QUAR_NET_CUT || rec->again) {
			fprintf(stderr, "quarantine_latency: apply did not freeze and cut\n");
			return 1;
		}
		bh_quar_record_free(rec);
		t0 = now_ms();
		if (bh_quar_release(&qo, argv[2], &err) != 0)
			return die("release", err);
		tr[i] = now_ms() - t0;
		nap(20);

		/* the monitor's call: it holds the inventory */
		if (bh_ctr_list(&co, &inv, &err) < 0)
			return die("inventory", err);
		qo.inventory = inv;
		t0 = now_ms();
		if (bh_quar_apply(&qo, argv[2], "bench", &rec, &err) < 0)
			return die("apply (inventory held)", err);
		ti[i] = now_ms() - t0;
		tci[i] = (double)rec->apply_ns / 1e6;
		bh_quar_record_free(rec);
		qo.inventory = NULL;
		bh_ctr_list_free(inv);
		if (bh_quar_release(&qo, argv[2], &err) != 0)
			return die("release", err);
		nap(20);
	}
	if (nv > 0) {
		int ino = inotify_init1(IN_CLOEXEC);

		if (ino < 0 || inotify_add_watch(ino, argv[5], IN_MOVED_TO) < 0) {
			perror("inotify");
			return 1;
		}
		if (bh_ctr_list(&co, &inv, &err) < 0)
			return die("inventory", err);
		qo.inventory = inv;
		tv = bh_calloc((size_t)nv, sizeof(double));
		tvr = bh_calloc((size_t)nv, sizeof(double));
		for (int i = 0; i < nv; i++) {
			double seen, t0;

			if (wait_violation(ino, argv[5], &seen) < 0) {
				fprintf(stderr, "quarantine_latency: no violation seen in 10 s\n");
				return 1;
			}
			t0 = now_ms();
			if (bh_quar_apply(&qo, argv[2], "violate", &rec, &err) < 0)
				return die("apply", err);
			tvr[i] = now_ms() - seen;
			tv[i] = t0 - seen + (double)rec->apply_ns / 1e6;
			bh_quar_record_free(rec);
			if (bh_quar_release(&qo, argv[2], &err) != 0)
				return die("release", err);
		}
		bh_ctr_list_free(inv);
		close(ino);
	}
	report("pause", tp, n);
	report("apply", ta, n);
	report("contained", tc, n);
	report("apply_inv", ti, n);
	report("contained_inv", tci, n);
	report("release", tr, n);
	if (nv > 0) {
		report("violate", tv, nv);
		report("violate_ret", tvr, nv);
	}
	if (nph > 1) {
		report("phase_found", ph[0], nph);
		report("phase_asked", ph[1], nph);
		report("phase_cut", ph[2], nph);
		report("phase_frozen", ph[3], nph);
	}
	for (int i = 0; i < 4; i++)
		free(ph[i]);
	free(tp);
	free(ta);
	free(ti);
	free(tr);
	free(tv);
	free(tvr);
	free(tc);
	free(tci);
	free(root_arg);
	return 0;
}
