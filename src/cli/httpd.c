/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the commands that serve HTTP (admission serve, serve) share: their
 * signals taken by a thread of their own (SIGHUP reloads the certificate,
 * SIGTERM and SIGINT drain), their numeric options and their client
 * certificates (--client-ca, --client-name).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "bulkhead/http.h"
#include "cli.h"
#include "banned.h"

static void sigset_served(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

void cli_httpd_signals_block(void)
{
	sigset_t set;

	sigset_served(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void *signal_main(void *arg)
{
	struct bh_http_server *srv = arg;
	struct bh_error *err = NULL;
	sigset_t set;
	int sig;

	sigset_served(&set);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (bh_http_reload(srv, &err) < 0)
				bh_error_warn(&err, "SIGHUP");
			else
				bh_info("SIGHUP: certificate reloaded");
		} else {
			bh_info("%s: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			bh_http_shutdown(srv);
			return NULL;
		}
	}
}

int cli_httpd_run(struct bh_http_server *srv, struct bh_error **err)
{
	pthread_t th;
	int rc;

	if (pthread_create(&th, NULL, signal_main, srv) != 0)
		return bh_error_set(err, BH_ERR_INTERNAL, "cannot start the signal thread");
	rc = bh_http_serve(srv, err);
	/* the signal thread has returned after SIGTERM/SIGINT; on an error it waits */
	if (rc < 0)
		pthread_cancel(th);
	pthread_join(th, NULL);
	return rc;
}

bool cli_parse_count(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !bh_isdigit(*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return false;
	*out = v;
	return true;
}

_Static_assert(sizeof(((struct cli_httpd_client *)0)->names) / sizeof(const char *) ==
		       BH_HTTP_CLIENT_NAMES_MAX,
	       "cli_httpd_client holds as many names as the layer takes");

bool cli_httpd_client_opt(int ch, const char *arg, struct cli_httpd_client *c)
{
	if (ch == CLI_OPT_CLIENT_CA) {
		c->ca_file = arg;
	} else if (ch == CLI_OPT_CLIENT_NAME) {
		if (c->nnames < sizeof(c->names) / sizeof(c->names[0]))
			c->names[c->nnames] = arg;
		c->nnames++;
	} else {
		return false;
	}
	return true;
}

int cli_httpd_client_apply(const struct cli_httpd_client *c, struct bh_http_options *o,
			   struct bh_error **err)
{
	o->client.ca_file = c->ca_file;
	o->client.names = c->names;
	o->client.nnames = c->nnames;
	if (bh_http_client_check(&o->client, err) < 0)
		return -1;
	if (c->ca_file && !o->cert_file)
		return bh_error_set(err, BH_ERR_USAGE,
				    "--client-ca needs --tls-cert and --tls-key (client "
				    "certificates are a part of TLS)");
	return 0;
}
