/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead admission serve --policy FILE... --tls-cert F --tls-key F [options]
 *
 * Reads and compiles the policy, sets up the namespace labels (a file or the
 * Kubernetes API), makes the admission (include/bulkhead/admission.h) and
 * serves it through the HTTP layer (include/bulkhead/http.h): POST /validate
 * and POST /mutate, plus the layer's /healthz, /readyz and /metrics. Signals:
 * SIGHUP reloads the certificate, SIGTERM and SIGINT drain and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/admission.h"
#include "bulkhead/http.h"
#include "bulkhead/policy.h"
#include "cli.h"
#include "banned.h"

static const char admission_usage[] =
	"usage: bulkhead admission serve --policy FILE... --tls-cert FILE --tls-key FILE\n"
	"                                [options]\n"
	"\n"
	"Serve the policy as a Kubernetes validating (POST /validate) and mutating\n"
	"(POST /mutate) admission webhook speaking AdmissionReview v1 over HTTPS, with\n"
	"GET /healthz, /readyz and /metrics (Prometheus). SIGHUP reloads the\n"
	"certificate and key; SIGTERM or SIGINT stop accepting, let requests in flight\n"
	"finish and exit 0.\n"
	"\n"
	"Options:\n"
	"  --policy FILE           a policy file (repeatable; composed in order)\n"
	"  --pss LEVEL[:VERSION]   the Pod Security Standards as a rule (or alone)\n"
	"  --tls-cert FILE         the server's certificate chain (PEM)\n"
	"  --tls-key FILE          its private key (PEM)\n"
	"  --listen ADDR:PORT      where to listen (default :8443)\n"
	"  --namespace-labels FILE namespaces' labels: a YAML/JSON map {ns: {label: value}}\n"
	"  --kubeconfig FILE       watch namespaces through the API of FILE's current\n"
	"                          context (default without either option: in-cluster)\n"
	"  --no-namespace-labels   do not read namespace labels at all\n"
	"  --failure-policy fail|ignore  on an internal error: deny (default) or allow\n"
	"                          with a warning\n"
	"  --exempt-namespace NS   do not evaluate requests in NS (repeatable)\n"
	"  --exempt-user NAME      ... by this user (repeatable)\n"
	"  --exempt-runtime-class NAME  ... of pods with this runtimeClassName (repeatable)\n"
	"  --cache-ttl SECONDS     keep verification results this long (default 300)\n"
	"  --cache-size N          and at most this many (default 4096)\n"
	"  --max-body BYTES        the largest request accepted (default 3 MiB)\n"
	"  --request-timeout MS    a request must arrive whole within this (default 10000)\n"
	"  --idle-timeout MS       an idle connection is closed after this (default 30000)\n"
	"  --max-connections N     open connections (default 1024)\n"
	"  --workers N             event loops (default: one per CPU)\n"
	"  --drain-timeout MS      at shutdown, how long requests in flight may take\n"
	"                          (default 10000)\n"
	"  --decision-log DIR      append each validating decision to DIR/.admission@log\n"
	"                          (for bulkhead agent --admission-root DIR)\n"
	"  --decision-log-max BYTES  rotate it past this (default 1 MiB)\n" CLI_HTTPD_CLIENT_USAGE
		CLI_IMAGE_USAGE "  -h, --help              show this help\n";

enum {
	OPT_POLICY = 0x100,
	OPT_PSS,
	OPT_CERT,
	OPT_KEY,
	OPT_LISTEN,
	OPT_NSL,
	OPT_KUBECONFIG,
	OPT_NO_NSL,
	OPT_FAILURE,
	OPT_EX_NS,
	OPT_EX_USER,
	OPT_EX_RC,
	OPT_TTL,
	OPT_CACHE,
	OPT_BODY,
	OPT_REQ_TO,
	OPT_IDLE_TO,
	OPT_MAXCONN,
	OPT_WORKERS,
	OPT_DRAIN,
	OPT_DECLOG,
	OPT_DECLOG_MAX,
};

static void handle(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp,
		   enum bh_adm_webhook hook)
{
	struct bh_admission *a = ctx;
	struct bh_error *err = NULL;
	char *answer = NULL;
	size_t len = 0;

	if (bh_admission_review(a, hook, req->body, req->body_len, &answer, &len, &err) < 0) {
		char *m = bh_error_message(err);
		json_t *st = json_pack("{s:s,s:s,s:s,s:i}", "kind", "Status", "status", "Failure",
				       "message", m ? m : "bad request", "code", 400);
		char *js = json_dumps(st, JSON_COMPACT);

		bh_debug("admission: %s: %s", req->peer, m);
		resp->status = 400;
		if (js)
			bh_buf_adds(&resp->body, js, NULL);
		free(js);
		json_decref(st);
		free(m);
		bh_error_free(err);
		return;
	}
	bh_buf_add(&resp->body, answer, len, NULL);
	free(answer);
}

static void on_validate(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	handle(ctx, req, resp, BH_ADM_VALIDATE);
}

static void on_mutate(void *ctx, const struct bh_http_request *req, struct bh_http_response *resp)
{
	handle(ctx, req, resp, BH_ADM_MUTATE);
}

static int adm_metrics(void *ctx, struct bh_buf *out, struct bh_error **err)
{
	return bh_admission_metrics(ctx, out, err);
}

static bool adm_ready(void *ctx)
{
	return bh_admission_ready(ctx);
}

static int serve(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		CLI_IMAGE_LONGOPTS,
		CLI_HTTPD_CLIENT_LONGOPTS,
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "pss", required_argument, NULL, OPT_PSS },
		{ "tls-cert", required_argument, NULL, OPT_CERT },
		{ "tls-key", required_argument, NULL, OPT_KEY },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "namespace-labels", required_argument, NULL, OPT_NSL },
		{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
		{ "no-namespace-labels", no_argument, NULL, OPT_NO_NSL },
		{ "failure-policy", required_argument, NULL, OPT_FAILURE },
		{ "exempt-namespace", required_argument, NULL, OPT_EX_NS },
		{ "exempt-user", required_argument, NULL, OPT_EX_USER },
		{ "exempt-runtime-class", required_argument, NULL, OPT_EX_RC },
		{ "cache-ttl", required_argument, NULL, OPT_TTL },
		{ "cache-size", required_argument, NULL, OPT_CACHE },
		{ "max-body", required_argument, NULL, OPT_BODY },
		{ "request-timeout", required_argument, NULL, OPT_REQ_TO },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TO },
		{ "max-connections", required_argument, NULL, OPT_MAXCONN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
		{ "decision-log", required_argument, NULL, OPT_DECLOG },
		{ "decision-log-max", required_argument, NULL, OPT_DECLOG_MAX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_image_opts io = { 0 };
	struct cli_httpd_client cc = { 0 };
	struct bh_strvec policies = BH_STRVEC_INIT, ex_ns = BH_STRVEC_INIT,
			 ex_user = BH_STRVEC_INIT, ex_rc = BH_STRVEC_INIT;
	struct bh_admission_opts ao = { 0 };
	struct bh_http_options ho = { .listen = ":8443", .max_body = BH_ADM_REVIEW_MAX };
	struct bh_http_route routes[2];
	const char *pss = NULL, *nsl_file = NULL, *kubeconfig = NULL;
	bool no_nsl = false;
	struct bh_policy *policy = NULL;
	struct bh_policy_diags d = { 0 };
	struct bh_adm_nslabels *nsl = NULL;
	struct bh_admission *adm = NULL;
	struct bh_http_server *srv = NULL;
	struct bh_error *err = NULL;
	unsigned long v;
	int ch, rc = BH_EXIT_USAGE;

	optind = 0;
	while ((ch = cli_image_getopt(argc, argv, "h", opts, "admission serve", &io)) != -1) {
		if (cli_httpd_client_opt(ch, optarg, &cc))
			continue;
		switch (ch) {
		case OPT_POLICY: bh_strvec_push(&policies, optarg); break;
		case OPT_PSS: pss = optarg; break;
		case OPT_CERT: ho.cert_file = optarg; break;
		case OPT_KEY: ho.key_file = optarg; break;
		case OPT_LISTEN: ho.listen = optarg; break;
		case OPT_NSL: nsl_file = optarg; break;
		case OPT_KUBECONFIG: kubeconfig = optarg; break;
		case OPT_NO_NSL: no_nsl = true; break;
		case OPT_FAILURE:
			if (!strcmp(optarg, "fail"))
				ao.failure = BH_ADM_FAIL;
			else if (!strcmp(optarg, "ignore"))
				ao.failure = BH_ADM_IGNORE;
			else {
				cli_usage_error("admission serve",
						"--failure-policy: '%s' is not fail or ignore",
						optarg);
				goto out;
			}
			break;
		case OPT_EX_NS: bh_strvec_push(&ex_ns, optarg); break;
		case OPT_EX_USER: bh_strvec_push(&ex_user, optarg); break;
		case OPT_EX_RC: bh_strvec_push(&ex_rc, optarg); break;
		case OPT_DECLOG: ao.decision_log = optarg; break;
		case OPT_DECLOG_MAX:
			if (!cli_parse_count(optarg, 1ul << 30, &v) || v < 64 * 1024) {
				cli_usage_error("admission serve",
						"--decision-log-max: '%s' is not a size from "
						"65536 to 1073741824 bytes",
						optarg);
				goto out;
			}
			ao.decision_log_cap = v;
			break;
		case OPT_TTL:
		case OPT_CACHE:
		case OPT_BODY:
		case OPT_REQ_TO:
		case OPT_IDLE_TO:
		case OPT_MAXCONN:
		case OPT_WORKERS:
		case OPT_DRAIN:
			if (!cli_parse_count(
				    optarg, ch == OPT_BODY ? BH_ADM_REVIEW_MAX : 100000000ul, &v) ||
			    (ch == OPT_WORKERS && v > 64)) {
				cli_usage_error("admission serve", "'%s': not a number in range",
						optarg);
				goto out;
			}
			if (ch == OPT_TTL)
				ao.cache_ttl = (unsigned)v;
			else if (ch == OPT_CACHE)
				ao.cache_max = v;
			else if (ch == OPT_BODY)
				ho.max_body = v;
			else if (ch == OPT_REQ_TO)
				ho.request_ms = (unsigned)v;
			else if (ch == OPT_IDLE_TO)
				ho.idle_ms = (unsigned)v;
			else if (ch == OPT_MAXCONN)
				ho.max_conns = (unsigned)v;
			else if (ch == OPT_WORKERS)
				ho.threads = (unsigned)v;
			else
				ho.drain_ms = (unsigned)v;
			break;
		case 'h': rc = cli_help(admission_usage); goto out;
		default: goto out;
		}
	}
	if (optind < argc) {
		cli_usage_error("admission serve", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!policies.n && !pss) {
		cli_usage_error("admission serve", "expected --policy FILE or --pss LEVEL");
		goto out;
	}
	if (!ho.cert_file || !ho.key_file) {
		cli_usage_error("admission serve", "the webhook needs --tls-cert and --tls-key "
						   "(the API server calls it over HTTPS)");
		goto out;
	}
	if (ao.decision_log_cap && !ao.decision_log) {
		cli_usage_error("admission serve", "--decision-log-max needs --decision-log");
		goto out;
	}
	if ((nsl_file != NULL) + (kubeconfig != NULL) + no_nsl > 1) {
		cli_usage_error("admission serve", "--namespace-labels, --kubeconfig and "
						   "--no-namespace-labels exclude each other");
		goto out;
	}

	/* the signals go to the signal thread only: block them before any thread
	 * starts (the namespace watch, the HTTP workers) */
	cli_httpd_signals_block();

	rc = BH_EXIT_ERROR;
	if (cli_httpd_client_apply(&cc, &ho, &err) < 0)
		goto fail;
	policy = bh_policy_new();
	for (size_t i = 0; i < policies.n; i++)
		if (bh_policy_add_file(policy, policies.v[i], &d, &err) < 0)
			goto policy_bad;
	if (pss) {
		struct bh_pss_lv lv;

		if (bh_pss_parse(pss, &lv, &err) < 0 || bh_policy_add_pss(policy, lv, &err) < 0) {
			rc = cli_fail(err);
			err = NULL;
			goto out;
		}
	}
	if (bh_policy_compile(policy, &d, &err) < 0)
		goto policy_bad;

	if (nsl_file && bh_adm_nslabels_file(nsl_file, &nsl, &err) < 0)
		goto fail;
	if (!nsl_file && !no_nsl && bh_adm_nslabels_kube(kubeconfig, &nsl, &err) < 0)
		goto fail;

	ao.policy = policy;
	ao.nslabels = nsl;
	ao.exempt_namespaces = ex_ns.v;
	ao.exempt_users = ex_user.v;
	ao.exempt_runtime_classes = ex_rc.v;
	ao.registry = &io.registry;
	if (bh_admission_new(&ao, &adm, &err) < 0)
		goto fail;
	bh_adm_arena_install(); /* this process serves: each review in an arena */

	routes[0] = (struct bh_http_route){ "POST", "/validate", on_validate, adm };
	routes[1] = (struct bh_http_route){ "POST", "/mutate", on_mutate, adm };
	ho.routes = routes;
	ho.nroutes = 2;
	ho.metrics = adm_metrics;
	ho.metrics_ctx = adm;
	ho.ready = adm_ready;
	ho.ready_ctx = adm;

	if (bh_http_server_new(&ho, &srv, &err) < 0)
		goto fail;
	bh_info("admission webhook: serving %zu rule%s on %s (port %d)%s", bh_policy_nrules(policy),
		bh_policy_nrules(policy) == 1 ? "" : "s", ho.listen, bh_http_server_port(srv),
		cc.ca_file ? ", reviews only from clients with a certificate" : "");
	if (cli_httpd_run(srv, &err) < 0)
		goto fail;
	bh_info("admission webhook: stopped");
	rc = BH_EXIT_OK;
	goto out;

policy_bad:
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].line)
			fprintf(stderr, "%s:%zu:%zu: error: %s\n", d.v[i].file, d.v[i].line,
				d.v[i].column, d.v[i].message);
		else
			fprintf(stderr, "%s: error: %s\n", d.v[i].file, d.v[i].message);
fail:
	rc = cli_fail(err);
	err = NULL;
out:
	bh_http_server_free(srv);
	bh_admission_free(adm);
	bh_adm_nslabels_free(nsl);
	bh_policy_free(policy);
	bh_policy_diags_release(&d);
	bh_strvec_release(&policies);
	bh_strvec_release(&ex_ns);
	bh_strvec_release(&ex_user);
	bh_strvec_release(&ex_rc);
	bh_error_free(err);
	(void)cli;
	return rc;
}

int cmd_admission(int argc, char **argv, struct bh_cli *cli)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return argc < 2 ? cli_usage_error("admission", "expected serve")
				: cli_help(admission_usage);
	if (!strcmp(argv[1], "serve"))
		return serve(argc - 1, argv + 1, cli);
	return cli_usage_error("admission", "unknown subcommand '%s' (serve)", argv[1]);
}
