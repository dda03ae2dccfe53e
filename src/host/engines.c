/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engines' configuration checks (BH-ENGINE-0xx): dockerd's daemon.json
 * (its defaults when dockerd is installed without one), containerd's
 * config.toml and podman's containers.conf.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_int.h"
#include "banned.h"

/* ---- docker's daemon.json ----------------------------------------------------------------- */

static void read_docker(struct hctx *c)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	struct bh_error *e = NULL;
	int r;

	if (c->docker_read)
		return;
	c->docker_read = true;
	r = host_read(c, "etc/docker/daemon.json", &b, &c->docker_why);
	if (r == -ENOENT) {
		/* the defaults apply when dockerd is there */
		c->docker.live_restore = c->docker.no_new_privileges = c->docker.icc = -1;
		c->docker.userland_proxy = c->docker.experimental = -1;
		c->docker_state =
			host_exists(c, "usr/bin/dockerd") || host_exists(c, "usr/sbin/dockerd");
	} else if (r < 0) {
		c->docker_state = -1;
	} else if (bh_host_docker_parse(b.data, b.len, &c->docker, &e) < 0) {
		c->docker_state = -1;
		c->docker_why = bh_asprintf("/etc/docker/daemon.json: %s", e->msg);
	} else {
		c->docker_state = 1;
	}
	bh_error_free(e);
	bh_buf_release(&b);
}

static const char *tri(int v)
{
	return v < 0 ? "unset" : v ? "true" : "false";
}

void host_eval_docker(struct hctx *c, const struct check *k)
{
	const struct bh_host_docker *d = &c->docker;
	bool ok = false;
	char *v = NULL;

	read_docker(c);
	if (c->docker_state == 0) {
		host_add(c, k, BH_HOST_INFO,
			 "docker is not installed (no daemon.json, no dockerd)");
		return;
	}
	if (c->docker_state < 0) {
		host_add(c, k, BH_HOST_WARN, "%s", c->docker_why);
		return;
	}
	switch (k->what) {
	case DK_TLS:
		ok = !d->tcp_host || d->tlsverify;
		v = bh_asprintf("%s, tlsverify %s", d->tcp_host ? "a tcp host" : "no tcp host",
				d->tlsverify ? "true" : "false");
		break;
	case DK_USERNS:
		ok = d->userns;
		v = bh_strdup(d->userns ? "userns-remap set" : "userns-remap unset");
		break;
	case DK_LIVE_RESTORE:
		ok = d->live_restore == 1;
		v = bh_asprintf("live-restore %s", tri(d->live_restore));
		break;
	case DK_INSECURE:
		ok = d->insecure_registries == 0;
		v = bh_asprintf("%zu insecure registries", d->insecure_registries);
		break;
	case DK_ULIMITS:
		ok = d->ulimits;
		v = bh_strdup(d->ulimits ? "default-ulimits set" : "default-ulimits unset");
		break;
	case DK_LOG_DRIVER:
		ok = d->log_driver && *d->log_driver && strcmp(d->log_driver, "json-file") &&
		     strcmp(d->log_driver, "none");
		v = bh_asprintf("log-driver %s",
				d->log_driver ? d->log_driver : "unset (json-file)");
		break;
	case DK_NNP:
		ok = d->no_new_privileges == 1;
		v = bh_asprintf("no-new-privileges %s", tri(d->no_new_privileges));
		break;
	case DK_ICC: /* dockerd's default is true */
		ok = d->icc == 0;
		v = bh_asprintf("icc %s", tri(d->icc));
		break;
	case DK_USERLAND_PROXY:
		ok = d->userland_proxy == 0;
		v = bh_asprintf("userland-proxy %s", tri(d->userland_proxy));
		break;
	case DK_EXPERIMENTAL:
		ok = d->experimental != 1;
		v = bh_asprintf("experimental %s", tri(d->experimental));
		break;
	case DK_SECCOMP:
		ok = !d->seccomp_profile || strcmp(d->seccomp_profile, "unconfined");
		v = bh_asprintf("seccomp-profile %s",
				d->seccomp_profile ? d->seccomp_profile : "unset (default)");
		break;
	}
	host_add(c, k, ok ? BH_HOST_PASS : BH_HOST_FAIL, "%s", v);
	free(v);
}

/* ---- containerd and containers.conf ------------------------------------------------------- */

void host_eval_toml(struct hctx *c, const struct check *k)
{
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	struct bh_error *e = NULL;
	char *why = NULL, *v = NULL, *cert = NULL;
	int r = host_read(c, k->path[0], &b, &why);

	if (r == -ENOENT) {
		host_add(c, k, BH_HOST_INFO, "/%s: absent", k->path[0]);
		goto out;
	}
	if (r < 0) {
		host_add(c, k, BH_HOST_WARN, "%s", why);
		goto out;
	}
	switch (k->what) {
	case TOML_CONTAINERD_TCP:
		if (bh_host_toml_get(b.data, b.len, "grpc", "tcp_address", &v, &e) < 0 ||
		    bh_host_toml_get(b.data, b.len, "grpc", "tcp_tls_cert", &cert, &e) < 0)
			break;
		if (!v || !*v)
			host_add(c, k, BH_HOST_PASS, "no grpc tcp_address");
		else
			host_add(c, k, cert && *cert ? BH_HOST_PASS : BH_HOST_FAIL,
				 "grpc tcp_address %s, tcp_tls_cert %s", v, cert ? cert : "unset");
		break;
	case TOML_CTRS_SECCOMP:
		if (bh_host_toml_get(b.data, b.len, "containers", "seccomp_profile", &v, &e) < 0)
			break;
		host_add(c, k, v && !strcmp(v, "unconfined") ? BH_HOST_FAIL : BH_HOST_PASS,
			 "seccomp_profile %s", v ? v : "unset (default)");
		break;
	case TOML_CTRS_USERNS:
		if (bh_host_toml_get(b.data, b.len, "containers", "userns", &v, &e) < 0)
			break;
		host_add(c, k, v && *v && strcmp(v, "host") ? BH_HOST_PASS : BH_HOST_FAIL,
			 "userns %s", v ? v : "unset (host)");
		break;
	}
	if (e)
		host_add(c, k, BH_HOST_WARN, "/%s: %s", k->path[0], e->msg);
out:
	bh_error_free(e);
	free(why);
	free(v);
	free(cert);
	bh_buf_release(&b);
}
