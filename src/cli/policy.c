/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead policy validate FILE...
 * bulkhead policy check [--policy FILE]... [--pss LEVEL[:VERSION]] TARGET...
 *
 * validate composes the files in order and prints every problem as
 * FILE:LINE:COLUMN. check reads its targets (manifests: files, directories,
 * multi-document YAML, Lists; images; OCI bundles), evaluates each object
 * with bh_policy_eval and prints table, JSON, SARIF or JUnit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulkhead/policy.h"
#include "bulkhead/report.h"
#include "bulkhead/scan.h"
#include "bulkhead/version.h"
#include "cli.h"
#include "banned.h"

static const char policy_usage[] =
	"usage: bulkhead policy validate FILE...\n"
	"       bulkhead policy check [--policy FILE]... [--pss LEVEL[:VERSION]] [options] "
	"TARGET...\n"
	"\n"
	"validate: read policy files (composed in the order given: a rule with a name\n"
	"seen before refines it), print every problem as FILE:LINE:COLUMN, exit 0 when\n"
	"they are valid and 3 when not.\n"
	"\n"
	"check: evaluate the policy on each TARGET: a Kubernetes manifest file or\n"
	"directory (YAML or JSON, several documents, List objects; \"-\" is stdin), an\n"
	"image (an OCI layout, oci:DIR, a docker-archive tar, rootfs:DIR), or an OCI\n"
	"bundle (a directory with config.json, or the config.json itself). Exit 1 when\n"
	"an enforce rule fires, 0 otherwise, 3 on an error.\n"
	"\n"
	"Options of check:\n"
	"  --policy FILE          a policy file (repeatable; composed in order)\n"
	"  --pss LEVEL[:VERSION]  the Pod Security Standards alone (or with --policy):\n"
	"                         baseline or restricted, at v1.N or latest, enforced\n"
	"                         unless a namespace's pod-security.kubernetes.io labels\n"
	"                         say otherwise\n"
	"  --namespace NS         the namespace of objects that name none (default \"default\")\n"
	"  --namespace-labels FILE  namespaces' labels: a YAML/JSON map {ns: {label: value}};\n"
	"                         Namespace objects among the targets are read too\n"
	"  --scan-result FILE     a `bulkhead scan --format json` report for an image the\n"
	"                         rules need a scan of (repeatable; matched by digest)\n"
	"  --scan                 scan the images named on the command line whose scan\n"
	"                         the rules need and no --scan-result gives (needs the\n"
	"                         advisory database, as bulkhead scan)\n"
	"  --workload-warn-only   the Pod Security Standards only warn on workload resources\n"
	"                         (Deployment, ...), as Pod Security Admission does\n"
	"  --allow-unknown-kinds  skip objects of kinds bulkhead does not know (else an error)\n"
	"  -f, --format FORMAT    table (default), json, sarif or junit\n"
	"  -o, --output FILE      write the report to FILE (atomically) instead of "
	"stdout\n" CLI_IMAGE_USAGE "  -h, --help             show this help\n";

/* ---- validate -------------------------------------------------------------------- */

static void print_diags(const struct bh_policy_diags *d, struct bh_cli *cli)
{
	const char *red = cli_color(cli->color_stderr, CLI_RED),
		   *z = cli_color(cli->color_stderr, CLI_RESET);

	for (size_t i = 0; i < d->n; i++) {
		const struct bh_policy_diag *g = &d->v[i];

		if (g->line)
			fprintf(stderr, "%s:%zu:%zu: %serror%s: %s\n", g->file, g->line, g->column,
				red, z, g->message);
		else
			fprintf(stderr, "%s: %serror%s: %s\n", g->file, red, z, g->message);
	}
}

static int policy_validate(int argc, char **argv, struct bh_cli *cli)
{
	struct bh_policy *p = bh_policy_new();
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	bool bad = false;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		bh_policy_free(p);
		return cli_help(policy_usage);
	}
	if (argc < 2) {
		bh_policy_free(p);
		return cli_usage_error("policy validate", "expected a FILE");
	}
	for (int i = 1; i < argc; i++) {
		if (bh_policy_add_file(p, argv[i], &d, &err) < 0)
			bad = true;
		bh_error_clear(&err);
	}
	if (!bad && bh_policy_compile(p, &d, &err) < 0)
		bad = true;
	bh_error_clear(&err);
	print_diags(&d, cli);
	if (bad) {
		fprintf(stderr, "bulkhead: %zu problem%s in %d file%s\n", d.n, d.n == 1 ? "" : "s",
			argc - 1, argc == 2 ? "" : "s");
		rc = BH_EXIT_ERROR;
	} else {
		for (int i = 1; i < argc; i++)
			printf("%s: valid\n", argv[i]);
		printf("%zu rule%s\n", bh_policy_nrules(p), bh_policy_nrules(p) == 1 ? "" : "s");
		rc = BH_EXIT_OK;
	}
	bh_policy_diags_release(&d);
	bh_policy_free(p);
	return rc;
}

/* ---- targets ------------------------------------------------------------------------- */

#define MANIFEST_MAX	  (16u << 20)
#define MANIFEST_FILES	  100000
#define MANIFEST_DEPTH	  32
#define BUNDLE_CONFIG_MAX (4u << 20)

/* One object to evaluate, and where it was. */
struct object {
	json_t *obj; /* borrowed from its document set */
	char *file;
	size_t line;
};

struct check {
	struct bh_cli *cli;
	struct bh_policy *policy;
	const char *namespace;
	json_t *ns_labels; /* ns -> labels */
	json_t *nodes;	   /* Node objects */
	json_t *keep;	   /* every parsed document set (kept alive) */
	struct object *objs;
	size_t nobjs;
	bool allow_unknown;
	bool warn_only;
	bool scan_now; /* --scan */
	char *db_path; /* the advisory store --scan reads */
	struct bh_policy_scan *scans;
	size_t nscans;
	struct cli_image_opts io;
	/* results */
	json_t *json_results;
	struct bh_findings findings;
	struct bh_buf table, junit;
	size_t evaluated, denied, nenforce, nwarn, naudit, skipped, junit_tests, junit_failures;
};

static bool has_suffix_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++)
		if (bh_tolower(s[n - m + i]) != bh_tolower(suf[i]))
			return false;
	return true;
}

static bool is_manifest_name(const char *name)
{
	return has_suffix_ci(name, ".yaml") || has_suffix_ci(name, ".yml") ||
	       has_suffix_ci(name, ".json");
}

static void add_object(struct check *c, json_t *obj, const char *file, size_t line)
{
	struct object *o;

	c->objs = bh_reallocarray(c->objs, c->nobjs + 1, sizeof(*c->objs));
	o = &c->objs[c->nobjs++];
	o->obj = obj;
	o->file = bh_strdup(file);
	o->line = line;
}

/* One object, or the items of a List. */
static int take_object(struct check *c, json_t *obj, const char *file,
		       const struct bh_yaml_marks *marks, const char *ptr, struct bh_error **err)
{
	const char *kind = bh_json_str(obj, "kind");
	struct bh_yaml_mark mk = { 0, 0 };
	size_t i;
	json_t *item;

	if (json_is_null(obj))
		return 0;
	bh_yaml_mark_get(marks, ptr, false, &mk);
	if (!json_is_object(obj) || !kind)
		return bh_error_set(err, BH_ERR_INVALID,
				    "%s:%zu: not a Kubernetes object (no kind)", file, mk.line);
	if (bh_str_has_suffix(kind, "List") && json_is_array(json_object_get(obj, "items"))) {
		json_array_foreach (json_object_get(obj, "items"), i, item) {
			char sub[256];

			snprintf(sub, sizeof(sub), "%s/items/%zu", ptr, i);
			if (take_object(c, item, file, marks, sub, err) < 0)
				return -1;
		}
		return 0;
	}
	if (!strcmp(kind, "Namespace")) {
		const json_t *meta = bh_json_obj(obj, "metadata");
		const char *name = bh_json_str(meta, "name");

		if (name)
			json_object_set(c->ns_labels, name,
					bh_json_obj(meta, "labels") ? bh_json_obj(meta, "labels")
								    : json_object());
	} else if (!strcmp(kind, "Node")) {
		json_array_append(c->nodes, obj);
	}
	add_object(c, obj, file, mk.line);
	return 0;
}

static int read_manifests(struct check *c, const char *path, const char *data, size_t len,
			  struct bh_error **err)
{
	const struct bh_yaml_limits lim = { MANIFEST_MAX, 1000000, 128 };
	struct bh_yaml_marks *marks = NULL;
	json_t *docs = NULL, *doc;
	size_t i;
	int r = 0;

	if (bh_yaml_parse_stream(data, len, &lim, path, 3, &docs, &marks, err) < 0)
		return -1;
	json_array_append_new(c->keep, docs);
	json_array_foreach (docs, i, doc) {
		char ptr[32];

		snprintf(ptr, sizeof(ptr), "/%zu", i);
		if ((r = take_object(c, doc, path, marks, ptr, err)) < 0)
			break;
	}
	bh_yaml_marks_free(marks);
	return r;
}

static int read_manifest_file(struct check *c, const char *path, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(MANIFEST_MAX);
	int r;

	if (!strcmp(path, "-"))
		r = bh_buf_read_fd(&b, 0, "stdin", err);
	else
		r = bh_read_file(path, &b, err);
	if (r == 0)
		r = read_manifests(c, path, b.data ? b.data : "", b.len, err);
	bh_buf_release(&b);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Manifests under dir, sorted, hidden entries skipped, depth bounded. */
static int walk_dir(const char *dir, int depth, struct bh_strvec *out, struct bh_error **err)
{
	struct bh_strvec names = BH_STRVEC_INIT;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (depth > MANIFEST_DEPTH)
		return bh_error_set(err, BH_ERR_LIMIT, "%s: directories nested deeper than %d", dir,
				    MANIFEST_DEPTH);
	d = opendir(dir);
	if (!d)
		return bh_error_sys(err, errno, "%s", dir);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			bh_strvec_push(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n && r == 0; i++) {
		char *p = bh_asprintf("%s/%s", dir, names.v[i]);
		struct stat st;

		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			r = walk_dir(p, depth + 1, out, err);
		else if (S_ISREG(st.st_mode) && is_manifest_name(names.v[i]))
			bh_strvec_push(out, p);
		if (out->n > MANIFEST_FILES)
			r = bh_error_set(err, BH_ERR_LIMIT, "%s: more than %d manifest files", dir,
					 MANIFEST_FILES);
		free(p);
	}
	bh_strvec_release(&names);
	return r;
}

enum target_kind { T_MANIFESTS, T_MANIFEST_DIR, T_IMAGE, T_BUNDLE };

static enum target_kind classify(const char *t, char **bundle_config)
{
	struct stat st;
	char *p;

	*bundle_config = NULL;
	if (!strcmp(t, "-"))
		return T_MANIFESTS;
	if (bh_str_has_prefix(t, "oci:") || bh_str_has_prefix(t, "oci-archive:") ||
	    bh_str_has_prefix(t, "docker-archive:") || bh_str_has_prefix(t, "rootfs:"))
		return T_IMAGE;
	if (stat(t, &st) < 0)
		return T_IMAGE; /* a reference: the image sources say whether they know it */
	if (S_ISDIR(st.st_mode)) {
		p = bh_asprintf("%s/oci-layout", t);
		if (access(p, F_OK) == 0) {
			free(p);
			return T_IMAGE;
		}
		free(p);
		p = bh_asprintf("%s/config.json", t);
		if (access(p, F_OK) == 0) {
			*bundle_config = p;
			return T_BUNDLE;
		}
		free(p);
		return T_MANIFEST_DIR;
	}
	if (has_suffix_ci(t, ".tar") || has_suffix_ci(t, ".tar.gz") || has_suffix_ci(t, ".tgz"))
		return T_IMAGE;
	{
		const char *base = strrchr(t, '/');

		if (!strcmp(base ? base + 1 : t, "config.json")) {
			*bundle_config = bh_strdup(t);
			return T_BUNDLE;
		}
	}
	return T_MANIFESTS;
}

/* ---- the env: where scans come from ----------------------------------------------------- */

/*
 * SCAN HOOK: the scan result the rules ask for, by image. Today: the reports
 * given with --scan-result, matched by manifest digest. When the scan
 * pipeline is a library call (bh_scan_image), this is where an image target
 * without a given report is scanned (or its last scan read from the store by
 * digest) and turned into the policy's view with bh_policy_scan_from_findings.
 */
static int scan_result_hook(void *ctx, const struct bh_policy_image *img,
			    const struct bh_policy_scan **out, struct bh_error **err)
{
	struct check *c = ctx;
	struct bh_scan_opts o = { 0 };
	struct bh_content_opts co = { 0 };
	struct bh_scan_result *res = NULL;
	struct bh_policy_scan *s;
	char *rules;
	int r;

	*out = NULL;
	for (size_t i = 0; i < c->nscans; i++)
		if (img->digest && c->scans[i].digest && !strcmp(img->digest, c->scans[i].digest))
			*out = &c->scans[i];
	/* --scan: only an image the user named (open_ref), never one an object names */
	if (*out || !c->scan_now || !img->open_ref)
		return 0;
	rules = bh_content_default_rules_dir(getenv("BULKHEAD_RULES"));
	co.builtin_rules_dir = rules;
	o.scanners = BH_SCAN_ALL;
	o.threads = c->io.threads;
	o.open = &c->io.open;
	o.content = &co;
	o.store_path = c->db_path;
	r = bh_scan_image(NULL, img->open_ref, &o, &res, err);
	free(rules);
	if (r < 0)
		return -1;
	c->scans = bh_reallocarray(c->scans, c->nscans + 1, sizeof(*c->scans));
	s = &c->scans[c->nscans];
	r = bh_policy_scan_from_findings(
		&res->findings, res->inv,
		res->img && res->img->has_manifest ? res->img->manifest_digest.str : img->digest,
		(int64_t)time(NULL), s, err);
	bh_scan_result_free(res);
	if (r < 0)
		return -1;
	c->nscans++;
	*out = s;
	return 0;
}

static int load_scan(struct check *c, const char *path, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(256u << 20);
	struct bh_policy_scan *s;
	json_t *j = NULL;
	struct stat st;
	int r = -1;

	if (bh_read_file(path, &b, err) < 0 ||
	    bh_json_parse(b.data ? b.data : "", b.len, b.max, path, &j, err) < 0)
		goto out;
	c->scans = bh_reallocarray(c->scans, c->nscans + 1, sizeof(*c->scans));
	s = &c->scans[c->nscans];
	if (bh_policy_scan_from_report(j, s, err) < 0) {
		bh_error_prefix(err, "%s", path);
		goto out;
	}
	/* a report without its time: when the file was written */
	if (!s->scanned_at && stat(path, &st) == 0)
		s->scanned_at = st.st_mtime;
	c->nscans++;
	r = 0;
out:
	json_decref(j);
	bh_buf_release(&b);
	return r;
}

/* ---- reporting ----------------------------------------------------------------------- */

enum format { FMT_TABLE, FMT_JSON, FMT_SARIF, FMT_JUNIT };

static void xml_escape(struct bh_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '&': bh_buf_adds(b, "&amp;", NULL); break;
		case '<': bh_buf_adds(b, "&lt;", NULL); break;
		case '>': bh_buf_adds(b, "&gt;", NULL); break;
		case '"': bh_buf_adds(b, "&quot;", NULL); break;
		case '\'': bh_buf_adds(b, "&apos;", NULL); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				bh_buf_adds(b, "?", NULL);
			else
				bh_buf_addc(b, (char)*p, NULL);
		}
	}
}

static void record(struct check *c, const struct bh_policy_result *res, const char *target,
		   const char *file, size_t line, enum format fmt)
{
	const char *red = cli_color(c->cli->color_stdout, CLI_RED),
		   *yel = cli_color(c->cli->color_stdout, CLI_YELLOW),
		   *dim = cli_color(c->cli->color_stdout, CLI_DIM),
		   *bold = cli_color(c->cli->color_stdout, CLI_BOLD),
		   *z = cli_color(c->cli->color_stdout, CLI_RESET);

	if (!res->applicable) {
		c->skipped++;
		return;
	}
	c->evaluated++;
	c->nenforce += res->nenforce;
	c->nwarn += res->nwarn;
	c->naudit += res->naudit;
	if (res->denied)
		c->denied++;
	switch (fmt) {
	case FMT_TABLE:
		if (file && line)
			bh_buf_addf(&c->table, NULL, "%s%s:%zu%s %s", dim, file, line, z, bold);
		else
			bh_buf_addf(&c->table, NULL, "%s%s%s %s", dim, file ? file : target, z,
				    bold);
		bh_buf_addf(&c->table, NULL, "%s%s: %s%s%s\n", res->object, z,
			    res->denied ? red : "",
			    res->denied ? "denied"
			    : res->n	? "allowed, with "
					  "findings"
					: "allowed",
			    z);
		for (size_t i = 0; i < res->n; i++) {
			const struct bh_policy_hit *h = &res->v[i];

			bh_buf_addf(&c->table, NULL, "  %s%-7s%s %-24s %-6s %s\n",
				    h->action == BH_ACT_ENFORCE ? red : yel,
				    bh_policy_action_name(h->action), z, h->rule, h->section,
				    h->message);
		}
		break;
	case FMT_JSON: {
		json_t *o = bh_policy_result_json(res);

		json_object_set_new(o, "target", json_string(target));
		json_object_set_new(o, "file", file ? json_string(file) : json_null());
		json_object_set_new(o, "line", line ? json_integer((json_int_t)line) : json_null());
		json_array_append_new(c->json_results, o);
		break;
	}
	case FMT_SARIF: bh_policy_result_findings(res, file, (long)line, &c->findings); break;
	case FMT_JUNIT:
		for (size_t i = 0; i < res->evaluated.n; i++) {
			const char *rule = res->evaluated.v[i];
			bool failed = false;

			c->junit_tests++;
			bh_buf_adds(&c->junit, "    <testcase classname=\"", NULL);
			xml_escape(&c->junit, file ? file : target);
			bh_buf_adds(&c->junit, "\" name=\"", NULL);
			xml_escape(&c->junit, res->object);
			bh_buf_adds(&c->junit, ": ", NULL);
			xml_escape(&c->junit, rule);
			bh_buf_adds(&c->junit, "\">\n", NULL);
			for (size_t k = 0; k < res->n; k++) {
				const struct bh_policy_hit *h = &res->v[k];

				if (strcmp(h->rule, rule))
					continue;
				if (h->action == BH_ACT_ENFORCE) {
					if (!failed)
						c->junit_failures++;
					failed = true;
					bh_buf_adds(&c->junit,
						    "      <failure type=\"enforce\" message=\"",
						    NULL);
				} else {
					bh_buf_addf(&c->junit, NULL, "      <system-out>%s: ",
						    bh_policy_action_name(h->action));
					xml_escape(&c->junit, h->message);
					bh_buf_adds(&c->junit, "</system-out>\n", NULL);
					continue;
				}
				xml_escape(&c->junit, h->message);
				bh_buf_addf(&c->junit, NULL, "\">NIST SP 800-190 %s: ", h->section);
				xml_escape(&c->junit, h->message);
				bh_buf_adds(&c->junit, "</failure>\n", NULL);
			}
			bh_buf_adds(&c->junit, "    </testcase>\n", NULL);
		}
		break;
	}
}

/* ---- evaluating ---------------------------------------------------------------------- */

static int eval_one(struct check *c, struct bh_policy_input *in, const char *target,
		    const char *file, size_t line, enum format fmt, struct bh_error **err)
{
	struct bh_policy_env env = { c, bh_policy_env_default.verify, scan_result_hook, 0 };
	struct bh_policy_result res;

	in->env = &env;
	if (bh_policy_eval(c->policy, in, &res, err) < 0) {
		if (file && line)
			bh_error_prefix(err, "%s:%zu", file, line);
		return -1;
	}
	record(c, &res, target, file, line, fmt);
	bh_policy_result_release(&res);
	return 0;
}

static int check_objects(struct check *c, const char *target, enum format fmt,
			 struct bh_error **err)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		struct object *o = &c->objs[i];
		const char *ns = bh_json_str(bh_json_obj(o->obj, "metadata"), "namespace");
		struct bh_policy_input in = { 0 };
		struct bh_error *e = NULL;

		if (!ns)
			ns = c->namespace;
		in.kind = BH_POLICY_K8S;
		in.object = o->obj;
		in.namespace = c->namespace;
		in.namespace_labels = bh_json_obj(c->ns_labels, ns);
		in.nodes = json_array_size(c->nodes) ? c->nodes : NULL;
		in.workload_warn_only = c->warn_only;
		if (eval_one(c, &in, target, o->file, o->line, fmt, &e) < 0) {
			if (c->allow_unknown && bh_error_code(e) == BH_ERR_UNSUPPORTED) {
				char *m = bh_error_message(e);

				bh_warn("skipped: %s", m);
				free(m);
				bh_error_free(e);
				c->skipped++;
				continue;
			}
			*err = e;
			return -1;
		}
	}
	return 0;
}

static void release_objects(struct check *c)
{
	for (size_t i = 0; i < c->nobjs; i++)
		free(c->objs[i].file);
	free(c->objs);
	c->objs = NULL;
	c->nobjs = 0;
}

static int check_image(struct check *c, const char *target, enum format fmt, struct bh_error **err)
{
	struct bh_image *img = NULL;
	struct bh_policy_image pi = { 0 };
	struct bh_policy_input in = { 0 };
	int r;

	if (bh_image_open(target, &c->io.open, &img, err) < 0)
		return -1;
	/* a reference name, else (a bare tag like "latest") the target itself */
	pi.ref = img->name && strpbrk(img->name, "/:@") ? img->name : target;
	pi.digest = img->has_manifest ? img->manifest_digest.str : NULL;
	pi.open_ref = target;
	pi.config_known = true;
	pi.user = img->config.user ? img->config.user : "";
	if (img->config.created && bh_time_parse(img->config.created, false, &pi.created, NULL) < 0)
		pi.created = 0;
	in.kind = BH_POLICY_IMAGE;
	in.images = &pi;
	in.nimages = 1;
	r = eval_one(c, &in, target, NULL, 0, fmt, err);
	bh_image_free(img);
	return r;
}

static int check_bundle(struct check *c, const char *target, const char *config, enum format fmt,
			struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(BUNDLE_CONFIG_MAX);
	struct bh_policy_image pi;
	struct bh_policy_input in = { 0 };
	json_t *cfg = NULL;
	int r = -1;

	if (bh_read_file(config, &b, err) < 0 ||
	    bh_json_parse(b.data ? b.data : "", b.len, b.max, config, &cfg, err) < 0)
		goto out;
	in.kind = BH_POLICY_OCI;
	in.oci_config = cfg;
	if (bh_policy_image_from_annotations(cfg, &pi) > 0) {
		in.images = &pi;
		in.nimages = 1;
	}
	r = eval_one(c, &in, target, config, 0, fmt, err);
out:
	json_decref(cfg);
	bh_buf_release(&b);
	return r;
}

static int load_namespace_labels(struct check *c, const char *path, struct bh_error **err)
{
	struct bh_buf b = BH_BUF_INIT(MANIFEST_MAX);
	json_t *m = NULL;
	const char *k;
	json_t *v;
	int r = -1;

	if (bh_read_file(path, &b, err) < 0 ||
	    bh_yaml_parse(b.data ? b.data : "", b.len, NULL, path, &m, err) < 0)
		goto out;
	if (!json_is_object(m)) {
		bh_error_set(err, BH_ERR_INVALID, "%s: expected a map of namespace -> labels",
			     path);
		goto out;
	}
	json_object_foreach (m, k, v) {
		const char *lk;
		json_t *lv;

		if (!json_is_object(v)) {
			bh_error_set(err, BH_ERR_INVALID, "%s: the labels of %s are not a map",
				     path, k);
			goto out;
		}
		json_object_foreach (v, lk, lv) {
			if (!json_is_string(lv)) {
				bh_error_set(err, BH_ERR_INVALID,
					     "%s: %s: label %s is not a string", path, k, lk);
				goto out;
			}
		}
		json_object_set(c->ns_labels, k, v);
	}
	r = 0;
out:
	json_decref(m);
	bh_buf_release(&b);
	return r;
}

static int write_report(struct check *c, enum format fmt, const char *outpath,
			struct bh_error **err)
{
	struct cli_output out;
	struct bh_buf body = BH_BUF_INIT(1u << 30);
	json_t *doc = NULL;
	bool ok;

	switch (fmt) {
	case FMT_TABLE:
		if (c->table.data)
			bh_buf_add(&body, c->table.data, c->table.len, NULL);
		bh_buf_addf(
			&body, NULL,
			"%zu object%s evaluated (%zu skipped), %zu denied; hits: %zu enforce, %zu "
			"warn, %zu audit\n",
			c->evaluated, c->evaluated == 1 ? "" : "s", c->skipped, c->denied,
			c->nenforce, c->nwarn, c->naudit);
		break;
	case FMT_JSON:
		doc = json_pack(
			"{s:i, s:{s:s, s:s}, s:{s:I}, s:O, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			"schemaVersion", 1, "tool", "name", "bulkhead", "version", BH_VERSION,
			"policy", "rules", (json_int_t)bh_policy_nrules(c->policy), "results",
			c->json_results, "summary", "evaluated", (json_int_t)c->evaluated,
			"skipped", (json_int_t)c->skipped, "denied", (json_int_t)c->denied,
			"enforce", (json_int_t)c->nenforce, "warn", (json_int_t)c->nwarn, "audit",
			(json_int_t)c->naudit);
		break;
	case FMT_SARIF: {
		struct bh_report rep = { NULL, NULL, &c->findings, BH_VERSION, NULL, NULL };

		if (bh_report_sarif(&rep, &doc, err) < 0)
			return -1;
		break;
	}
	case FMT_JUNIT:
		bh_buf_addf(&body, NULL,
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<testsuites name=\"bulkhead policy check\" tests=\"%zu\" "
			    "failures=\"%zu\">\n"
			    "  <testsuite name=\"bulkhead policy check\" tests=\"%zu\" "
			    "failures=\"%zu\" "
			    "errors=\"0\" skipped=\"0\">\n",
			    c->junit_tests, c->junit_failures, c->junit_tests, c->junit_failures);
		if (c->junit.data)
			bh_buf_add(&body, c->junit.data, c->junit.len, NULL);
		bh_buf_adds(&body, "  </testsuite>\n</testsuites>\n", NULL);
		break;
	}
	if (doc) {
		if (bh_json_dump_buf(doc, JSON_INDENT(2) | JSON_SORT_KEYS, &body, err) < 0) {
			json_decref(doc);
			bh_buf_release(&body);
			return -1;
		}
		bh_buf_addc(&body, '\n', NULL);
		json_decref(doc);
	}
	if (cli_output_open(&out, outpath, err) < 0) {
		bh_buf_release(&body);
		return -1;
	}
	ok = fwrite(body.data ? body.data : "", 1, body.len, out.fp) == body.len;
	bh_buf_release(&body);
	if (cli_output_close(&out, ok, err) < 0)
		return -1;
	if (!ok)
		return bh_error_set(err, BH_ERR_IO, "cannot write the report");
	return 0;
}

enum {
	OPT_POLICY = 0x100,
	OPT_PSS,
	OPT_NAMESPACE,
	OPT_NS_LABELS,
	OPT_SCAN,
	OPT_WARN_ONLY,
	OPT_UNKNOWN,
	OPT_SCAN_NOW,
};

static int policy_check(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "pss", required_argument, NULL, OPT_PSS },
		{ "namespace", required_argument, NULL, OPT_NAMESPACE },
		{ "namespace-labels", required_argument, NULL, OPT_NS_LABELS },
		{ "scan-result", required_argument, NULL, OPT_SCAN },
		{ "scan", no_argument, NULL, OPT_SCAN_NOW },
		{ "workload-warn-only", no_argument, NULL, OPT_WARN_ONLY },
		{ "allow-unknown-kinds", no_argument, NULL, OPT_UNKNOWN },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check c = { 0 };
	struct bh_strvec policies = BH_STRVEC_INIT, scans = BH_STRVEC_INIT;
	struct bh_policy_diags d = { 0 };
	struct bh_error *err = NULL;
	const char *pss = NULL, *ns_labels = NULL, *outpath = NULL;
	enum format fmt = FMT_TABLE;
	struct bh_pss_lv lv;
	int ch, rc = BH_EXIT_USAGE;

	c.cli = cli;
	c.namespace = "default";
	c.ns_labels = json_object();
	c.nodes = json_array();
	c.keep = json_array();
	c.json_results = json_array();
	bh_buf_init(&c.table, 1u << 30);
	bh_buf_init(&c.junit, 1u << 30);
	optind = 0;
	while ((ch = cli_image_getopt(argc, argv, "f:o:h", opts, "policy check", &c.io)) != -1) {
		switch (ch) {
		case OPT_POLICY: bh_strvec_push(&policies, optarg); break;
		case OPT_PSS: pss = optarg; break;
		case OPT_NAMESPACE: c.namespace = optarg; break;
		case OPT_NS_LABELS: ns_labels = optarg; break;
		case OPT_SCAN: bh_strvec_push(&scans, optarg); break;
		case OPT_WARN_ONLY: c.warn_only = true; break;
		case OPT_UNKNOWN: c.allow_unknown = true; break;
		case OPT_SCAN_NOW: c.scan_now = true; break;
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = FMT_TABLE;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "sarif"))
				fmt = FMT_SARIF;
			else if (!strcmp(optarg, "junit"))
				fmt = FMT_JUNIT;
			else {
				cli_usage_error("policy check",
						"--format: '%s' is not table, json, sarif or junit",
						optarg);
				goto out;
			}
			break;
		case 'o': outpath = optarg; break;
		case 'h': rc = cli_help(policy_usage); goto out;
		default: goto out;
		}
	}
	if (!policies.n && !pss) {
		cli_usage_error("policy check", "give --policy FILE or --pss LEVEL[:VERSION]");
		goto out;
	}
	if (pss && bh_pss_parse(pss, &lv, &err) < 0) {
		char *m = bh_error_message(err);

		cli_usage_error("policy check", "--pss %s", m);
		free(m);
		bh_error_clear(&err);
		goto out;
	}
	if (optind >= argc) {
		cli_usage_error("policy check", "expected a TARGET");
		goto out;
	}
	rc = BH_EXIT_ERROR;
	c.policy = bh_policy_new();
	for (size_t i = 0; i < policies.n; i++)
		if (bh_policy_add_file(c.policy, policies.v[i], &d, &err) < 0)
			break;
	if (!err && pss && bh_policy_add_pss(c.policy, lv, &err) < 0)
		goto fail;
	if (!err)
		bh_policy_compile(c.policy, &d, &err);
	if (err) {
		print_diags(&d, cli);
		goto fail;
	}
	if (ns_labels && load_namespace_labels(&c, ns_labels, &err) < 0)
		goto fail;
	if (c.scan_now && (bh_policy_needs(c.policy) & BH_POLICY_NEEDS_SCAN)) {
		/* a scan without the vulnerabilities would let the gate pass: refuse */
		c.db_path = bh_vuln_store_default_path(cli->db_path);
		if (access(c.db_path, F_OK) < 0) {
			bh_error_set(
				&err, BH_ERR_NOTFOUND,
				"--scan: no advisory database at %s; run 'bulkhead db import' or "
				"'bulkhead db update' first, or give --scan-result",
				c.db_path);
			goto fail;
		}
	}
	for (size_t i = 0; i < scans.n; i++)
		if (load_scan(&c, scans.v[i], &err) < 0)
			goto fail;
	/* manifests first (so Namespace and Node objects are all known), then the rest */
	for (int i = optind; i < argc; i++) {
		char *config = NULL;
		enum target_kind k = classify(argv[i], &config);

		free(config);
		if (k == T_MANIFESTS) {
			if (read_manifest_file(&c, argv[i], &err) < 0)
				goto fail;
		} else if (k == T_MANIFEST_DIR) {
			struct bh_strvec files = BH_STRVEC_INIT;

			if (walk_dir(argv[i], 0, &files, &err) < 0) {
				bh_strvec_release(&files);
				goto fail;
			}
			for (size_t j = 0; j < files.n && !err; j++)
				read_manifest_file(&c, files.v[j], &err);
			bh_strvec_release(&files);
			if (err)
				goto fail;
		}
	}
	if (check_objects(&c, "manifests", fmt, &err) < 0)
		goto fail;
	for (int i = optind; i < argc; i++) {
		char *config = NULL;
		enum target_kind k = classify(argv[i], &config);
		int r = 0;

		if (k == T_IMAGE)
			r = check_image(&c, argv[i], fmt, &err);
		else if (k == T_BUNDLE)
			r = check_bundle(&c, argv[i], config, fmt, &err);
		free(config);
		if (r < 0) {
			bh_error_prefix(&err, "%s", argv[i]);
			goto fail;
		}
	}
	if (write_report(&c, fmt, outpath, &err) < 0)
		goto fail;
	rc = c.nenforce ? BH_EXIT_FINDINGS : BH_EXIT_OK;
	goto out;
fail:
	rc = cli_fail(err);
out:
	bh_policy_diags_release(&d);
	bh_policy_free(c.policy);
	release_objects(&c);
	for (size_t i = 0; i < c.nscans; i++)
		bh_policy_scan_release(&c.scans[i]);
	free(c.scans);
	json_decref(c.ns_labels);
	json_decref(c.nodes);
	json_decref(c.keep);
	json_decref(c.json_results);
	bh_findings_release(&c.findings);
	bh_buf_release(&c.table);
	bh_buf_release(&c.junit);
	bh_strvec_release(&policies);
	bh_strvec_release(&scans);
	free(c.db_path);
	return rc;
}

int cmd_policy(int argc, char **argv, struct bh_cli *cli)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return argc < 2 ? cli_usage_error("policy", "expected validate or check")
				: cli_help(policy_usage);
	if (!strcmp(argv[1], "validate"))
		return policy_validate(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1, cli);
	return cli_usage_error("policy", "unknown subcommand '%s' (validate, check)", argv[1]);
}
