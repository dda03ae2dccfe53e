/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The views of a host benchmark report: a table, our JSON, the JSON of
 * docker-bench-security (log.json) and of kube-bench (--json), JUnit XML and
 * SARIF 2.1.0. Each is built from the same list of results.
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/host.h"
#include "bulkhead/version.h"
#include "banned.h"

int bh_host_format_parse(const char *s)
{
	static const char *const names[] = { "table",	   "json",  "docker-bench",
					     "kube-bench", "junit", "sarif" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int dump(json_t *v, struct bh_buf *out, struct bh_error **err)
{
	int r;

	if (!v)
		return bh_error_set(err, BH_ERR_NOMEM, "building the report");
	r = bh_json_dump_buf(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER, out, err);
	json_decref(v);
	if (r == 0)
		r = bh_buf_addc(out, '\n', err);
	return r;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int write_table(const struct bh_host_report *r, struct bh_buf *out, struct bh_error **err)
{
	size_t n[4] = { 0 };

	for (size_t i = 0; i < r->n; i++) {
		const struct bh_host_result *x = &r->v[i];

		n[x->status]++;
		if (bh_buf_addf(out, err, "[%s] %-13s L%d %-10s %s%s%s%s\n       %s\n",
				bh_host_status_name(x->status), x->id, x->level,
				x->cis ? x->cis : "-", x->title, x->target ? " [" : "",
				x->target ? x->target : "", x->target ? "]" : "", x->actual) < 0)
			return -1;
	}
	return bh_buf_addf(out, err, "\n%zu checks: %zu pass, %zu fail, %zu warn, %zu info\n", r->n,
			   n[BH_HOST_PASS], n[BH_HOST_FAIL], n[BH_HOST_WARN], n[BH_HOST_INFO]);
}

static json_t *result_json(const struct bh_host_result *x)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "id", x->id,
			 "section", x->section, "container", jstr_or_null(x->target), "cis",
			 jstr_or_null(x->cis), "nist", x->nist, "level", x->level, "title",
			 x->title, "status", bh_host_status_name(x->status), "actual", x->actual,
			 "expected", x->expected, "remediation", x->remediation);
}

static int write_json(const struct bh_host_report *r, struct bh_buf *out, struct bh_error **err)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(a, result_json(&r->v[i]));
	return dump(json_pack("{s:s, s:I, s:I, s:o}", "root", r->root, "start",
			      (json_int_t)r->start, "end", (json_int_t)r->end, "checks", a),
		    out, err);
}

/*
 * docker-bench-security's log.json: {"dockerbenchsecurity": version, "start",
 * "tests": [{"id", "desc", "results": [{"id", "desc", "result", "details",
 * "remediation"}]}], "checks", "score", "end"}. Its results are PASS, WARN,
 * INFO and NOTE: a FAIL is its WARN; our own status and ID ride along.
 */
static int write_docker_bench(const struct bh_host_report *r, struct bh_buf *out,
			      struct bh_error **err)
{
	static const char *const secs[] = { "host", "engine", "container" };
	static const char *const descs[] = { "Host Configuration",
					     "Docker daemon and engine configuration",
					     "Container Runtime" };
	static const char *const ids[] = { "1", "2", "5" };
	json_t *tests = json_array();
	long score = 0;

	for (size_t s = 0; s < 3; s++) {
		json_t *res = json_array();
		size_t nres = 0;

		for (size_t i = 0; i < r->n; i++) {
			const struct bh_host_result *x = &r->v[i];
			const char *db = x->status == BH_HOST_PASS   ? "PASS"
					 : x->status == BH_HOST_INFO ? "INFO"
								     : "WARN";

			if (strcmp(x->section, secs[s]))
				continue;
			score += x->status == BH_HOST_PASS ? 1 : x->status == BH_HOST_FAIL ? -1 : 0;
			nres++;
			json_array_append_new(
				res,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "id",
					  x->cis ? x->cis : x->id, "desc", x->title, "result", db,
					  "details", x->actual, "remediation", x->remediation,
					  "bulkhead_id", x->id, "bulkhead_status",
					  bh_host_status_name(x->status), "level", x->level,
					  "items",
					  x->target ? json_pack("[s]", x->target) : json_array()));
		}
		if (!nres) {
			json_decref(res);
			continue;
		}
		json_array_append_new(tests, json_pack("{s:s, s:s, s:o}", "id", ids[s], "desc",
						       descs[s], "results", res));
	}
	return dump(json_pack("{s:s, s:s, s:I, s:o, s:I, s:I, s:I}", "dockerbenchsecurity", "1.6.0",
			      "bulkhead", BH_VERSION, "start", (json_int_t)r->start, "tests", tests,
			      "checks", (json_int_t)r->n, "score", (json_int_t)score, "end",
			      (json_int_t)r->end),
		    out, err);
}

/*
 * kube-bench's --json: {"Controls": [{"id", "version", "text", "node_type",
 * "tests": [{"section", "desc", "pass", "fail", "warn", "info", "results":
 * [{"test_number", "test_desc", "audit", "remediation", "status",
 * "actual_value", "scored", "expected_result", "reason"}]}], "total_pass",
 * ...}], "Totals": {...}}.
 */
static int write_kube_bench(const struct bh_host_report *r, struct bh_buf *out,
			    struct bh_error **err)
{
	static const char *const secs[] = { "host", "engine", "container" };
	static const char *const descs[] = { "Host Configuration", "Container engines",
					     "Containers" };
	static const char *const keys[] = { "pass", "fail", "warn", "info" };
	json_int_t tot[4] = { 0 };
	json_t *tests = json_array(), *ctl;

	for (size_t s = 0; s < 3; s++) {
		json_int_t cnt[4] = { 0 };
		json_t *res = json_array(), *t;
		size_t nres = 0;

		for (size_t i = 0; i < r->n; i++) {
			const struct bh_host_result *x = &r->v[i];

			if (strcmp(x->section, secs[s]))
				continue;
			cnt[x->status]++;
			tot[x->status]++;
			nres++;
			json_array_append_new(
				res,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:s, "
					  "s:i, s:o}",
					  "test_number", x->id, "test_desc", x->title, "audit", "",
					  "remediation", x->remediation, "status",
					  bh_host_status_name(x->status), "actual_value", x->actual,
					  "scored", x->status != BH_HOST_INFO, "expected_result",
					  x->expected, "reason",
					  x->status == BH_HOST_PASS ? "" : x->actual, "cis",
					  jstr_or_null(x->cis), "nist", x->nist, "level", x->level,
					  "container", jstr_or_null(x->target)));
		}
		if (!nres) {
			json_decref(res);
			continue;
		}
		t = json_pack("{s:s, s:s, s:s, s:o}", "section",
			      s == 0   ? "1"
			      : s == 1 ? "2"
				       : "5",
			      "type", "", "desc", descs[s], "results", res);
		for (size_t k = 0; k < 4; k++)
			json_object_set_new(t, keys[k], json_integer(cnt[k]));
		json_array_append_new(tests, t);
	}
	ctl = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", "1", "version", "bulkhead-1",
			"detected_version", "", "text", "bulkhead host benchmark", "node_type",
			"host", "tests", tests);
	{
		json_t *totals = json_object(), *doc;

		for (size_t k = 0; k < 4; k++) {
			char name[16];

			snprintf(name, sizeof(name), "total_%s", keys[k]);
			json_object_set_new(ctl, name, json_integer(tot[k]));
			json_object_set_new(totals, name, json_integer(tot[k]));
		}
		doc = json_pack("{s:[o], s:o}", "Controls", ctl, "Totals", totals);
		return dump(doc, out, err);
	}
}

static int xml_esc(struct bh_buf *b, const char *s, struct bh_error **err)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int r;

		if (ch == '<')
			r = bh_buf_adds(b, "&lt;", err);
		else if (ch == '>')
			r = bh_buf_adds(b, "&gt;", err);
		else if (ch == '&')
			r = bh_buf_adds(b, "&amp;", err);
		else if (ch == '"')
			r = bh_buf_adds(b, "&quot;", err);
		else if (ch < 0x20 && ch != '\t' && ch != '\n')
			r = bh_buf_addc(b, '?', err); /* not allowed in XML 1.0 */
		else
			r = bh_buf_addc(b, (char)ch, err);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int write_junit(const struct bh_host_report *r, struct bh_buf *out, struct bh_error **err)
{
	size_t fail = 0, skip = 0;

	for (size_t i = 0; i < r->n; i++) {
		fail += r->v[i].status == BH_HOST_FAIL || r->v[i].status == BH_HOST_WARN;
		skip += r->v[i].status == BH_HOST_INFO;
	}
	if (bh_buf_addf(out, err,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<testsuites name=\"bulkhead bench host\" tests=\"%zu\" failures=\"%zu\">\n"
			"  <testsuite name=\"bulkhead bench host\" tests=\"%zu\" failures=\"%zu\" "
			"errors=\"0\" skipped=\"%zu\">\n",
			r->n, fail, r->n, fail, skip) < 0)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		const struct bh_host_result *x = &r->v[i];

		if (bh_buf_addf(out, err, "    <testcase classname=\"%s\" name=\"%s ", x->section,
				x->id) < 0 ||
		    xml_esc(out, x->title, err) < 0 ||
		    (x->target &&
		     (bh_buf_adds(out, " [", err) < 0 || xml_esc(out, x->target, err) < 0 ||
		      bh_buf_adds(out, "]", err) < 0)) ||
		    bh_buf_adds(out, "\">\n", err) < 0)
			return -1;
		if (x->status == BH_HOST_FAIL || x->status == BH_HOST_WARN) {
			if (bh_buf_addf(out, err, "      <failure type=\"%s\" message=\"",
					bh_host_status_name(x->status)) < 0 ||
			    xml_esc(out, x->actual, err) < 0 || bh_buf_adds(out, "\">", err) < 0 ||
			    xml_esc(out, x->remediation, err) < 0 ||
			    bh_buf_adds(out, "</failure>\n", err) < 0)
				return -1;
		} else if (x->status == BH_HOST_INFO) {
			if (bh_buf_adds(out, "      <skipped message=\"", err) < 0 ||
			    xml_esc(out, x->actual, err) < 0 || bh_buf_adds(out, "\"/>\n", err) < 0)
				return -1;
		} else {
			if (bh_buf_adds(out, "      <system-out>", err) < 0 ||
			    xml_esc(out, x->actual, err) < 0 ||
			    bh_buf_adds(out, "</system-out>\n", err) < 0)
				return -1;
		}
		if (bh_buf_adds(out, "    </testcase>\n", err) < 0)
			return -1;
	}
	return bh_buf_adds(out, "  </testsuite>\n</testsuites>\n", err);
}

static int write_sarif(const struct bh_host_report *r, struct bh_buf *out, struct bh_error **err)
{
	json_t *rules = json_array(), *results = json_array(), *driver, *run;

	for (size_t i = 0; i < r->n; i++) {
		const struct bh_host_result *x = &r->v[i];
		size_t rule = json_array_size(rules);

		/* one rule per check, however many containers it was run on (few: a scan) */
		for (size_t j = 0; j < json_array_size(rules); j++)
			if (!strcmp(json_string_value(
					    json_object_get(json_array_get(rules, j), "id")),
				    x->id))
				rule = j;
		if (rule == json_array_size(rules)) {
			json_t *props = json_pack("{s:s, s:i, s:s}", "nist-sp-800-190", x->nist,
						  "level", x->level, "section", x->section);

			if (x->cis)
				json_object_set_new(props, "cis-docker-benchmark",
						    json_string(x->cis));
			json_array_append_new(
				rules, json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:o}", "id",
						 x->id, "shortDescription", "text", x->title,
						 "fullDescription", "text", x->expected, "help",
						 "text", x->remediation, "properties", props));
		}
		if (x->status != BH_HOST_FAIL && x->status != BH_HOST_WARN)
			continue;
		if (x->target) {
			char *m = bh_asprintf("%s: %s", x->target, x->actual);

			json_array_append_new(
				results,
				json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}}}]}", "ruleId",
					  x->id, "ruleIndex", (json_int_t)rule, "level",
					  x->status == BH_HOST_FAIL ? "error" : "warning",
					  "message", "text", m, "locations", "physicalLocation",
					  "artifactLocation", "uri", "file:///"));
			free(m);
			continue;
		}
		json_array_append_new(
			results,
			json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}}}]}", "ruleId", x->id,
				  "ruleIndex", (json_int_t)rule, "level",
				  x->status == BH_HOST_FAIL ? "error" : "warning", "message",
				  "text", x->actual, "locations", "physicalLocation",
				  "artifactLocation", "uri", "file:///"));
	}
	driver = json_pack("{s:s, s:s, s:o}", "name", "bulkhead", "version", BH_VERSION, "rules",
			   rules);
	run = json_pack("{s:{s:o}, s:o}", "tool", "driver", driver, "results", results);
	return dump(json_pack("{s:s, s:s, s:[o]}", "$schema",
			      "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			      "runs", run),
		    out, err);
}

int bh_host_report_write(const struct bh_host_report *r, enum bh_host_format f, struct bh_buf *out,
			 struct bh_error **err)
{
	switch (f) {
	case BH_HOST_FMT_TABLE: return write_table(r, out, err);
	case BH_HOST_FMT_JSON: return write_json(r, out, err);
	case BH_HOST_FMT_DOCKER_BENCH: return write_docker_bench(r, out, err);
	case BH_HOST_FMT_KUBE_BENCH: return write_kube_bench(r, out, err);
	case BH_HOST_FMT_JUNIT: return write_junit(r, out, err);
	case BH_HOST_FMT_SARIF: return write_sarif(r, out, err);
	}
	return bh_error_set(err, BH_ERR_USAGE, "unknown report format %d", (int)f);
}
