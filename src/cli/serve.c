/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulkhead serve --tls-cert F --tls-key F [--listen ADDR:PORT] [--db DB] [--registry HOST:PORT]
 * bulkhead serve user add NAME --role ROLE [--db DB]   (password on stdin)
 *
 * The controller: opens the store (include/bulkhead/ctl.h) and serves its
 * REST API through the HTTP layer. SIGHUP reloads the certificate; SIGTERM
 * and SIGINT drain and exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulkhead/ctl.h"
#include "bulkhead/http.h"
#include "bulkhead/registry.h"
#include "bulkhead/vuln.h"
#include "bulkhead/trust.h"
#include "cli.h"
#include "banned.h"

static const char serve_usage[] =
	"usage: bulkhead serve --tls-cert FILE --tls-key FILE [--listen ADDR:PORT] [--db DB]\n"
	"                      [--registry HOST[:PORT] [--advisory-db PATH]]\n"
	"       bulkhead serve user add NAME --role admin|operator|reader [--db DB]\n"
	"       bulkhead serve alert send [--db DB] [--drain-timeout MS] < EVENTS.json\n"
	"\n"
	"The controller: an HTTPS JSON REST API (its OpenAPI document at\n"
	"/openapi.json) over a store of users, API tokens and the audit log, and\n"
	"its web dashboard at / (embedded in the binary). The\n"
	"second form adds a user to the store, reading the password from stdin (the\n"
	"first admin is made this way). SIGHUP reloads the certificate and key;\n"
	"SIGTERM or SIGINT stop accepting, let requests in flight finish and exit 0.\n"
	"The third sends events (a JSON array) through the store's alert rules and\n"
	"prints what went out (to try rules and destinations).\n"
	"\n"
	"Options:\n"
	"  --db DB                 a SQLite file, or postgresql://... (default:\n"
	"                          $BULKHEAD_CONTROLLER_DB, else\n"
	"                          /var/lib/bulkhead/controller.sqlite for root,\n"
	"                          ~/.local/share/bulkhead/controller.sqlite otherwise)\n"
	"  --tls-cert FILE         the server's certificate chain (PEM)\n"
	"  --tls-key FILE          its private key (PEM)\n"
	"  --listen ADDR:PORT      where to listen (default :8444)\n"
	"  --login-ttl SECONDS     how long a login's token is valid (default 43200)\n"
	"  --workers N             event loops (default: one per CPU)\n"
	"  --drain-timeout MS      at shutdown, how long requests in flight may take\n"
	"                          (default 10000)\n"
	"  --login-failures N      failed logins per user name and per address within\n"
	"                          the window before 429 (default 5)\n"
	"  --login-window SECONDS  that window (default 60)\n"
	"  --max-streams N         live update streams (GET /api/v1/stream) open at\n"
	"                          once, 1 to 4096 (default 64; 503 beyond)\n"
	"  --flows-retention DUR   keep the agents' flows this long (e.g. 7d, 12h;\n"
	"                          default 7d; 0: keep them all)\n"
	"  --action-lease SECONDS  an action (quarantine, release) handed to an agent\n"
	"                          is handed out again when no result came within\n"
	"                          this, 5 to 86400 (default 60)\n"
	"  --action-attempts N     hand-outs without a result before the action is\n"
	"                          failed, 1 to 100 (default 5)\n"
	"  --role ROLE             (user add) the new user's role\n"
	"\n"
	"Registry automation (POST /api/v1/hooks/registry):\n"
	"  --registry HOST[:PORT]  pull pushed images from this registry (and no other),\n"
	"                          scan them and record the result; off without it\n"
	"  --registry-cacert FILE  extra CA certificates (PEM) for that registry\n"
	"  --registry-insecure     that registry speaks plain HTTP\n"
	"  --advisory-db PATH      the advisory store the scans use (default: the\n"
	"                          global --db or BULKHEAD_DB, else bulkhead's default)\n"
	"  --scan-queue N          pushes waiting to be scanned, at most (default 64)\n"
	"  --db-update-interval S  every S seconds update the advisory store and re-match\n"
	"                          every recorded image from its SBOM (default: never)\n"
	"  --db-sources FILE       the update's sources, as 'bulkhead db update --config'\n"
	"  --db-cacert FILE        a CA bundle for the update's sources\n"
	"  --attest-key FILE       also attach each push's scan to the image in the\n"
	"                          registry as an in-toto vuln attestation signed with\n"
	"                          this cosign key (as 'bulkhead attest --type vuln')\n"
	"  --attest-password-file FILE  its passphrase (else $BULKHEAD_PASSWORD or\n"
	"                          $COSIGN_PASSWORD)\n"
	"  -h, --help              show this help\n";

enum {
	OPT_DB = 0x100,
	OPT_CERT,
	OPT_KEY,
	OPT_LISTEN,
	OPT_TTL,
	OPT_WORKERS,
	OPT_DRAIN,
	OPT_ROLE,
	OPT_LOGIN_FAILURES,
	OPT_LOGIN_WINDOW,
	OPT_MAX_STREAMS,
	OPT_REGISTRY,
	OPT_REG_CACERT,
	OPT_REG_INSECURE,
	OPT_ADVISORY_DB,
	OPT_SCAN_QUEUE,
	OPT_DB_INTERVAL,
	OPT_DB_SOURCES,
	OPT_DB_CACERT,
	OPT_ATTEST_KEY,
	OPT_ATTEST_PASS,
	OPT_FLOWS_RETENTION,
	OPT_ACTION_LEASE,
	OPT_ACTION_ATTEMPTS,
};

static char *default_db(void)
{
	const char *env = getenv("BULKHEAD_CONTROLLER_DB"), *home;

	if (env && *env)
		return bh_strdup(env);
	if (geteuid() == 0)
		return bh_strdup("/var/lib/bulkhead/controller.sqlite");
	home = getenv("HOME");
	return bh_asprintf("%s/.local/share/bulkhead/controller.sqlite",
			   home && home[0] == '/' ? home : "/tmp");
}

/* Open the store at db (NULL: the default, whose directory is made). */
static int open_store(const char *db, struct bh_ctl_store **out, struct bh_error **err)
{
	char *path = db ? bh_strdup(db) : default_db();
	int rc = 0;

	if (!db && path[0] == '/') {
		char *slash = strrchr(path, '/');

		*slash = 0;
		rc = bh_mkdirs(path, 0755, 0700, err);
		*slash = '/';
	}
	if (rc >= 0)
		rc = bh_ctl_store_open(path, out, err);
	free(path);
	return rc;
}

/* The password: stdin's first line (or all of it), at most the maximum. */
static int read_password(char *pw, size_t size, struct bh_error **err)
{
	size_t n = 0;
	ssize_t r;

	while (n < size && (r = read(STDIN_FILENO, pw + n, size - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bh_error_sys(err, errno, "reading the password from stdin");
		}
		n += (size_t)r;
		if (memchr(pw, '\n', n))
			break;
	}
	if (memchr(pw, '\n', n))
		n = (size_t)((char *)memchr(pw, '\n', n) - pw);
	if (n && pw[n - 1] == '\r')
		n--;
	if (n >= size)
		return bh_error_set(err, BH_ERR_INVALID, "the password is over %d bytes",
				    BH_CTL_PASSWORD_MAX);
	pw[n] = 0;
	return 0;
}

static int user_add(int argc, char **argv, const char *db)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_ctl_store *store = NULL;
	struct bh_error *err = NULL;
	char pw[BH_CTL_PASSWORD_MAX + 2];
	int ch, role = -1, rc;

	optind = 0;
	while ((ch = cli_getopt(argc, argv, "h", opts, "serve user add")) != -1) {
		switch (ch) {
		case OPT_DB: db = optarg; break;
		case OPT_ROLE:
			role = bh_ctl_role_parse(optarg);
			if (role < 0)
				return cli_usage_error("serve user add",
						       "--role: '%s' is not admin, operator or "
						       "reader",
						       optarg);
			break;
		case 'h': return cli_help(serve_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("serve user add", "expected one NAME");
	if (role < 0)
		return cli_usage_error("serve user add", "expected --role admin|operator|reader");
	if (read_password(pw, sizeof(pw), &err) < 0 || open_store(db, &store, &err) < 0 ||
	    bh_ctl_user_add(store, "cli", argv[optind], (enum bh_ctl_role)role, pw, &err) < 0)
		rc = cli_fail(err);
	else {
		printf("user %s added (%s)\n", argv[optind], bh_ctl_role_name(role));
		rc = BH_EXIT_OK;
	}
	explicit_bzero(pw, sizeof(pw));
	bh_ctl_store_free(store);
	return rc;
}

/* All of stdin into b (bounded by its max). */
static int read_stdin(struct bh_buf *b, struct bh_error **err)
{
	char chunk[65536];
	ssize_t r;

	while ((r = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bh_error_sys(err, errno, "reading stdin");
		}
		if (bh_buf_add(b, chunk, (size_t)r, err) < 0)
			return bh_error_prefix(err, "stdin");
	}
	return 0;
}

/* serve alert send: stdin's events through the alert rules. */
static int alert_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_buf in = BH_BUF_INIT(64u << 20);
	struct bh_ctl_store *store = NULL;
	struct bh_ctl_alert_stats st;
	struct bh_error *err = NULL;
	const char *db = NULL;
	unsigned long drain = 10000;
	int ch, rc;

	optind = 0;
	while ((ch = cli_getopt(argc, argv, "h", opts, "serve alert send")) != -1) {
		switch (ch) {
		case OPT_DB: db = optarg; break;
		case OPT_DRAIN:
			if (!cli_parse_count(optarg, 600000, &drain))
				return cli_usage_error("serve alert send",
						       "'%s': not a number in range", optarg);
			break;
		case 'h': return cli_help(serve_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("serve alert send", "unexpected argument '%s'",
				       argv[optind]);
	if (read_stdin(&in, &err) < 0 || open_store(db, &store, &err) < 0 ||
	    bh_ctl_alert_replay(store, in.data ? in.data : "", in.len, (unsigned)drain, &st, &err) <
		    0) {
		rc = cli_fail(err);
	} else {
		printf("{\"events\":%llu,\"matched\":%llu,\"sent\":%llu,\"summaries\":%llu,"
		       "\"grouped\":%llu,\"failed\":%llu,\"dropped\":%llu}\n",
		       (unsigned long long)st.events, (unsigned long long)st.matched,
		       (unsigned long long)st.sent, (unsigned long long)st.summaries,
		       (unsigned long long)st.suppressed, (unsigned long long)st.failed,
		       (unsigned long long)st.dropped);
		rc = st.failed || st.dropped ? BH_EXIT_ERROR : BH_EXIT_OK;
	}
	bh_buf_release(&in);
	bh_ctl_store_free(store);
	return rc;
}

static int serve(int argc, char **argv, struct bh_cli *cli)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "tls-cert", required_argument, NULL, OPT_CERT },
		{ "tls-key", required_argument, NULL, OPT_KEY },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "login-ttl", required_argument, NULL, OPT_TTL },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "drain-timeout", required_argument, NULL, OPT_DRAIN },
		{ "login-failures", required_argument, NULL, OPT_LOGIN_FAILURES },
		{ "login-window", required_argument, NULL, OPT_LOGIN_WINDOW },
		{ "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
		{ "registry", required_argument, NULL, OPT_REGISTRY },
		{ "registry-cacert", required_argument, NULL, OPT_REG_CACERT },
		{ "registry-insecure", no_argument, NULL, OPT_REG_INSECURE },
		{ "advisory-db", required_argument, NULL, OPT_ADVISORY_DB },
		{ "scan-queue", required_argument, NULL, OPT_SCAN_QUEUE },
		{ "db-update-interval", required_argument, NULL, OPT_DB_INTERVAL },
		{ "db-sources", required_argument, NULL, OPT_DB_SOURCES },
		{ "db-cacert", required_argument, NULL, OPT_DB_CACERT },
		{ "attest-key", required_argument, NULL, OPT_ATTEST_KEY },
		{ "attest-password-file", required_argument, NULL, OPT_ATTEST_PASS },
		{ "flows-retention", required_argument, NULL, OPT_FLOWS_RETENTION },
		{ "action-lease", required_argument, NULL, OPT_ACTION_LEASE },
		{ "action-attempts", required_argument, NULL, OPT_ACTION_ATTEMPTS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* lease17: the maintenance (the flows retention) */
	struct bh_ctl_maint_opts mo = { 0 };
	struct bh_ctl_maint *maint = NULL;
	/* auto17: registry automation */
	struct bh_ctl_auto_opts auo = { 0 };
	struct bh_registry_opts ro = { 0 };
	char *insecure[2] = { NULL, NULL }, *advdb = NULL;
	const char *advisory_db = NULL, *db_sources = NULL;
	const char *attest_key = NULL, *attest_pass = NULL;
	struct bh_key *akey = NULL;
	struct bh_update_sources sources = { 0 };
	bool reg_insecure = false;
	struct bh_ctl_auto *automation = NULL;
	struct bh_http_options ho = { .listen = ":8444", .max_body = BH_CTL_BODY_MAX };
	struct bh_ctl_api_opts ao = { 0 };
	const char *db = NULL;
	struct bh_ctl_store *store = NULL;
	struct bh_ctl_api *api = NULL;
	struct bh_ctl_alert *alerts = NULL;
	struct bh_ctl_alert_opts alo = { 0 };
	struct bh_http_server *srv = NULL;
	struct bh_http_route *routes = NULL;
	struct bh_error *err = NULL;
	unsigned long v;
	int ch, rc = BH_EXIT_USAGE;

	optind = 0;
	while ((ch = cli_getopt(argc, argv, "h", opts, "serve")) != -1) {
		switch (ch) {
		case OPT_DB: db = optarg; break;
		case OPT_CERT: ho.cert_file = optarg; break;
		case OPT_KEY: ho.key_file = optarg; break;
		case OPT_LISTEN: ho.listen = optarg; break;
		case OPT_TTL:
		case OPT_WORKERS:
		case OPT_DRAIN:
			if (!cli_parse_count(optarg,
					     ch == OPT_TTL	 ? BH_CTL_TOKEN_TTL_MAX
					     : ch == OPT_WORKERS ? 64
								 : 100000000ul,
					     &v))
				return cli_usage_error("serve", "'%s': not a number in range",
						       optarg);
			if (ch == OPT_TTL)
				ao.login_ttl = (int64_t)v;
			else if (ch == OPT_WORKERS)
				ho.threads = (unsigned)v;
			else
				ho.drain_ms = (unsigned)v;
			break;
		case OPT_LOGIN_FAILURES:
		case OPT_LOGIN_WINDOW:
			if (!cli_parse_count(optarg, ch == OPT_LOGIN_WINDOW ? 86400 : 1000000,
					     &v) ||
			    v == 0)
				return cli_usage_error("serve", "'%s': not a number in range",
						       optarg);
			if (ch == OPT_LOGIN_FAILURES)
				ao.login_failures = (unsigned)v;
			else
				ao.login_window = (unsigned)v;
			break;
		case OPT_MAX_STREAMS:
			if (!cli_parse_count(optarg, 4096, &v) || !v)
				return cli_usage_error("serve", "--max-streams: 1 to 4096");
			ao.max_streams = (unsigned)v;
			break;
		case OPT_REGISTRY: auo.registry = optarg; break;
		case OPT_REG_CACERT: ro.cacert = optarg; break;
		case OPT_REG_INSECURE: reg_insecure = true; break;
		case OPT_ADVISORY_DB: advisory_db = optarg; break;
		case OPT_SCAN_QUEUE:
			if (!cli_parse_count(optarg, 4096, &v) || !v)
				return cli_usage_error("serve", "--scan-queue: 1 to 4096");
			auo.queue_max = (unsigned)v;
			break;
		case OPT_DB_INTERVAL:
			if (!cli_parse_count(optarg, 366u * 86400, &v) || !v)
				return cli_usage_error("serve",
						       "--db-update-interval: 1 to 31622400 "
						       "seconds");
			auo.db_update_interval = (unsigned)v;
			break;
		case OPT_DB_SOURCES: db_sources = optarg; break;
		case OPT_DB_CACERT: auo.db_cacert = optarg; break;
		case OPT_ATTEST_KEY: attest_key = optarg; break;
		case OPT_ATTEST_PASS: attest_pass = optarg; break;
		case OPT_FLOWS_RETENTION: {
			double d;

			if (cli_parse_duration(optarg, &d) < 0 || (d > 0 && d < 60) ||
			    d > 3650.0 * 86400)
				return cli_usage_error("serve",
						       "--flows-retention: 0 (keep all), or "
						       "1m to 3650d");
			mo.flows_retention = d > 0 ? (int64_t)d : -1;
			break;
		}
		case OPT_ACTION_LEASE:
			if (!cli_parse_count(optarg, BH_CTL_ACTION_LEASE_MAX, &v) ||
			    v < BH_CTL_ACTION_LEASE_MIN)
				return cli_usage_error("serve", "--action-lease: %d to %d seconds",
						       BH_CTL_ACTION_LEASE_MIN,
						       BH_CTL_ACTION_LEASE_MAX);
			ao.action_lease_s = (int64_t)v;
			break;
		case OPT_ACTION_ATTEMPTS:
			if (!cli_parse_count(optarg, BH_CTL_ACTION_ATTEMPTS_MAX, &v) || !v)
				return cli_usage_error("serve", "--action-attempts: 1 to %d",
						       BH_CTL_ACTION_ATTEMPTS_MAX);
			ao.action_attempts = (int64_t)v;
			break;
		case 'h': return cli_help(serve_usage);
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!auo.registry && (ro.cacert || reg_insecure || advisory_db || auo.queue_max ||
			      auo.db_update_interval || db_sources || auo.db_cacert || attest_key))
		return cli_usage_error("serve", "the registry and db update options need "
						"--registry");
	if (attest_pass && !attest_key)
		return cli_usage_error("serve", "--attest-password-file needs --attest-key");
	if (!auo.db_update_interval && (db_sources || auo.db_cacert))
		return cli_usage_error("serve", "--db-sources and --db-cacert need "
						"--db-update-interval");
	if (!ho.threads) {
		/* a request waits on the store (SQLite's one writer, PostgreSQL's
		 * round trips and commits): more event loops than CPUs keep the CPUs
		 * busy, and give SQLite's group commit batches to commit together */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		ho.threads = ncpu > 2 ? (ncpu >= 16 ? 64 : (unsigned)ncpu * 4) : 8;
	}
	if (!ho.cert_file || !ho.key_file)
		return cli_usage_error("serve", "expected --tls-cert and --tls-key (the API "
						"carries passwords and tokens: HTTPS only)");

	cli_httpd_signals_block();

	/* the key first: a wrong passphrase is found before anything serves */
	if (attest_key && cli_load_private_key(attest_key, attest_pass, &akey, &err) < 0)
		goto fail;
	auo.attest_key = akey;
	if (open_store(db, &store, &err) < 0)
		goto fail;
	ao.store = store;
	alo.store = store;
	if (bh_ctl_alert_new(&alo, &alerts, &err) < 0)
		goto fail;
	ao.alerts = alerts;
	if (auo.registry) {
		advdb = advisory_db ? bh_strdup(advisory_db)
				    : bh_vuln_store_default_path(cli->db_path);
		insecure[0] = (char *)auo.registry;
		ro.insecure = reg_insecure ? insecure : NULL;
		auo.store = store;
		auo.reg_opts = &ro;
		auo.on_vuln = bh_ctl_alert_on_vuln;
		auo.on_vuln_ctx = alerts;
		auo.advisory_db = advdb;
		if (db_sources) {
			struct bh_buf b = BH_BUF_INIT(1u << 20);

			rc = bh_read_file(db_sources, &b, &err);
			if (rc == 0)
				rc = bh_update_sources_parse(b.data ? b.data : "", b.len,
							     db_sources, &sources, &err);
			bh_buf_release(&b);
			if (rc < 0)
				goto fail;
			auo.sources = &sources;
		}
		if (bh_ctl_auto_new(&auo, &automation, &err) < 0)
			goto fail;
		ao.automation = automation;
		bh_info("controller: scanning images pushed to %s (advisory store %s)%s",
			auo.registry, advdb,
			akey ? ", attesting each scan (in-toto vuln, signed)" : "");
	}
	if (bh_ctl_api_new(&ao, &api, &err) < 0)
		goto fail;
	mo.store = store;
	if (bh_ctl_maint_new(&mo, &maint, &err) < 0)
		goto fail;
	/* the API's routes, then the dashboard's (web/, at /) */
	{
		size_t na, nw;
		const struct bh_http_route *ar = bh_ctl_api_routes(api, &na);
		const struct bh_http_route *wr = bh_ctl_web_routes(&nw);

		routes = bh_calloc(na + nw, sizeof(*routes));
		memcpy(routes, ar, na * sizeof(*routes));
		memcpy(routes + na, wr, nw * sizeof(*routes));
		ho.routes = routes;
		ho.nroutes = na + nw;
	}
	ho.authorize = bh_ctl_api_authorize;
	ho.authorize_ctx = api;
	ho.metrics = bh_ctl_api_metrics;
	ho.metrics_ctx = api;
	if (bh_http_server_new(&ho, &srv, &err) < 0)
		goto fail;
	bh_info("controller: serving on %s (port %d), store %s", ho.listen,
		bh_http_server_port(srv), bh_ctl_store_backend(store));
	if (cli_httpd_run(srv, &err) < 0)
		goto fail;
	bh_info("controller: stopped");
	rc = BH_EXIT_OK;
	goto out;
fail:
	rc = cli_fail(err);
	err = NULL;
out:
	bh_http_server_free(srv);
	bh_ctl_maint_free(maint);
	bh_ctl_api_free(api);
	free(routes);
	bh_ctl_auto_free(automation); /* its worker calls the alerts */
	bh_ctl_alert_free(alerts, 5000);
	bh_update_sources_release(&sources);
	free(advdb);
	bh_key_free(akey);
	bh_ctl_store_free(store);
	return rc;
}

int cmd_serve(int argc, char **argv, struct bh_cli *cli)
{
	if (argc >= 2 && !strcmp(argv[1], "user")) {
		if (argc < 3 || strcmp(argv[2], "add"))
			return cli_usage_error("serve user", "expected add");
		return user_add(argc - 2, argv + 2, NULL);
	}
	if (argc >= 2 && !strcmp(argv[1], "alert")) {
		if (argc < 3 || strcmp(argv[2], "send"))
			return cli_usage_error("serve alert", "expected send");
		return alert_send(argc - 2, argv + 2);
	}
	return serve(argc, argv, cli);
}
