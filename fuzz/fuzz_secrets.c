/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the secret scanner end to end: the vectorscan pass, every
 * confirmation (PEM bodies, base64 headers, assignments, URLs), the YARA
 * prefilter with our ruleset when ./rules is there, and the credentials-file
 * readers. The first byte picks the file name (so .npmrc, .docker/config.json
 * and the like are parsed); no finding may quote its secret whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/content.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bh_image img;
static struct bh_content *content;

static const char *const names[] = {
	"app/settings.env",
	"root/.npmrc",
	"root/.docker/config.json",
	"home/u/.pypirc",
	"root/.netrc",
	"home/u/.git-credentials",
	"etc/pip.conf",
	"root/.kube/config",
	"app/node_modules/x/README.md",
	"root/.cargo/credentials",
	"srv/.m2/settings.xml",
	"app/.yarnrc.yml",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bh_content_opts o = { 0 };

	o.config = o.secrets = o.malware = true;
	o.secret_binaries = true;
	o.max_file_size = 1u << 20;
	o.builtin_rules_dir = access("rules", R_OK) == 0 ? "rules" : NULL;
	if (bh_content_new(&img, &o, &content, NULL) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_findings f = { 0 };
	struct bh_error *err = NULL;

	if (size < 1)
		return 0;
	if (bh_content_scan_buffer(content, names[data[0] % (sizeof(names) / sizeof(names[0]))],
				   data + 1, size - 1, &f, &err) < 0)
		abort();
	for (size_t i = 0; i < f.n; i++)
		if (!f.v[i].id || !f.v[i].title || !f.v[i].path)
			abort();
	bh_findings_release(&f);
	bh_error_free(err);
	return 0;
}
