/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor pipeline tests' fixtures (test_mon_detect, test_mon_reader,
 * test_monitor), so each test states only what differs: rules compiled from
 * YAML, the quarantine rule they share, and a file output in a directory of
 * its own whose lines are read back once the run is over. Included after
 * unit.h.
 */
#ifndef BULKHEAD_TESTS_MON_FIXTURE_H
#define BULKHEAD_TESTS_MON_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "bulkhead/base.h"
#include "bulkhead/monitord.h"
#include "bulkhead/rules.h"

/* A rule whose action is quarantine: an execve of xmrig. */
#define MON_QUAR_YAML                                                                              \
	"- rule: Miner\n"                                                                          \
	"  desc: d\n"                                                                              \
	"  output: miner %proc.name\n"                                                             \
	"  priority: CRITICAL\n"                                                                   \
	"  condition: evt.type = execve and proc.name = xmrig\n"                                   \
	"  tags: [bulkhead.action=quarantine]\n"

/* The rules of yaml (file name `name`), compiled; any error fails the test.
 * The caller frees them (bh_rules_free). */
static inline struct bh_rules *mon_rules(const char *yaml, const char *name)
{
	struct bh_rules *rs = bh_rules_new();
	struct bh_error *err = NULL;

	assert_int_equal(bh_rules_add(rs, yaml, strlen(yaml), name, NULL, &err), 0);
	assert_int_equal(bh_rules_compile(rs, NULL, &err), 0);
	return rs;
}

/* A file output (`out`, kind and path set; the rest the test's) writing
 * out.jsonl in a fresh temporary directory. */
struct mon_file_out {
	char *dir, *path;
	struct bh_mon_output_opts out;
};

static inline void mon_file_out_init(struct mon_file_out *f)
{
	memset(f, 0, sizeof(*f));
	f->dir = unit_mktmp();
	f->path = bh_asprintf("%s/out.jsonl", f->dir);
	f->out.kind = BH_MON_OUT_FILE;
	f->out.path = f->path;
}

/* The lines the output wrote (newlines dropped, at most 1 MiB each), into
 * *lines (released by the caller); the directory removed and f released. */
static inline void mon_file_out_lines(struct mon_file_out *f, struct bh_strvec *lines)
{
	size_t cap = 1 << 20;
	char *line = bh_malloc(cap);
	FILE *in = fopen(f->path, "r");

	assert_non_null(in);
	while (fgets(line, (int)cap, in)) {
		size_t n = strlen(line);

		assert_true(n > 0 && line[n - 1] == '\n'); /* whole lines only */
		line[n - 1] = 0;
		bh_strvec_push(lines, line);
	}
	fclose(in);
	free(line);
	free(f->path);
	unit_rmtmp(f->dir);
	memset(f, 0, sizeof(*f));
}
#endif
