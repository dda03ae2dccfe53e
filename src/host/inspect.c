/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An engine's inspect data of one container (GET /containers/ID/json: the
 * Docker Engine API's, and podman's compatible service's): what bench
 * containers needs that a config.json does not say. The bytes come from a
 * socket and are untrusted: bounded, strict JSON, a member of the wrong type
 * is an error naming it.
 */
#include <stdlib.h>
#include <string.h>

#include "../image/engine.h"
#include "host_int.h"
#include "banned.h"

/* "80", "80-81" (a range: its first port): 1..65535, else 0 (random, or not a port) */
static int port_of(const char *s)
{
	long v = 0;

	if (!s || !*s)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return 0;
	}
	if (*s && *s != '-')
		return 0;
	return (int)v;
}

/* An object "PORT/PROTO": [{"HostIp": "...", "HostPort": "..."}] or null. */
static int ports_of(const json_t *map, const char *what, struct bh_host_inspect *out,
		    struct bh_error **err)
{
	const char *key;
	json_t *list;

	if (!json_is_object(map))
		return bh_error_set(err, BH_ERR_INVALID, "inspect: %s is not an object", what);
	json_object_foreach ((json_t *)map, key, list) {
		json_t *b;
		size_t i;

		if (json_is_null(list))
			continue; /* exposed, not published */
		if (!json_is_array(list))
			return bh_error_set(err, BH_ERR_INVALID,
					    "inspect: %s[\"%.64s\"] is not an array", what, key);
		json_array_foreach (list, i, b) {
			const json_t *ip = json_object_get(b, "HostIp");
			const json_t *hp = json_object_get(b, "HostPort");
			int p;

			if (!json_is_object(b) || (ip && !json_is_string(ip)) ||
			    (hp && !json_is_string(hp)))
				return bh_error_set(err, BH_ERR_INVALID,
						    "inspect: %s[\"%.64s\"][%zu]: not an object of "
						    "strings HostIp, HostPort",
						    what, key, i);
			p = port_of(json_string_value(hp));
			if (!p)
				continue;
			if (out->nports < BH_HOST_INSPECT_PORTS)
				out->host_port[out->nports] = p;
			if (out->nports < BH_HOST_INSPECT_PORTS)
				out->ports[out->nports] = bh_asprintf(
					"%.64s:%d->%.64s",
					json_string_length(ip) ? json_string_value(ip) : "0.0.0.0",
					p, key);
			out->nports++;
			if (!out->low_port || p < out->low_port)
				out->low_port = p;
		}
	}
	return 0;
}

int bh_host_inspect_parse(const char *buf, size_t len, struct bh_host_inspect *out,
			  struct bh_error **err)
{
	json_t *root = NULL, *hc, *rp, *ns, *v;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(buf, len, BH_HOST_MAX_FILE, "the inspect data", &root, err) < 0)
		return -1;
	if (!json_is_object(root)) {
		bh_error_set(err, BH_ERR_INVALID, "inspect: not a JSON object");
		goto out;
	}
	hc = json_object_get(root, "HostConfig");
	if (!json_is_object(hc)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "inspect: HostConfig is missing or not an object");
		goto out;
	}
	v = json_object_get(hc, "Privileged");
	if (v && !json_is_boolean(v)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "inspect: HostConfig.Privileged is not a boolean");
		goto out;
	}
	out->privileged = json_is_true(v);
	rp = json_object_get(hc, "RestartPolicy");
	if (rp && !json_is_null(rp)) {
		const json_t *name = json_object_get(rp, "Name"),
			     *max = json_object_get(rp, "MaximumRetryCount");

		if (!json_is_object(rp) || (name && !json_is_string(name)) ||
		    (max && !json_is_integer(max))) {
			bh_error_set(err, BH_ERR_INVALID,
				     "inspect: HostConfig.RestartPolicy: not an object of a "
				     "string Name and an integer MaximumRetryCount");
			goto out;
		}
		if (json_string_length(name))
			out->restart = bh_strndup(json_string_value(name), 64);
		out->max_retry = max ? json_integer_value(max) : 0;
	}
	if (!out->restart)
		out->restart = bh_strdup("no");
	/* what is published (the engine's answer), else what was asked for */
	ns = json_object_get(root, "NetworkSettings");
	v = json_is_object(ns) ? json_object_get(ns, "Ports") : NULL;
	if (v && !json_is_null(v) && json_object_size(v)) {
		if (ports_of(v, "NetworkSettings.Ports", out, err) < 0)
			goto out;
	} else if ((v = json_object_get(hc, "PortBindings")) && !json_is_null(v)) {
		if (ports_of(v, "HostConfig.PortBindings", out, err) < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(root);
	if (r < 0)
		bh_host_inspect_release(out);
	return r;
}

void bh_host_inspect_release(struct bh_host_inspect *in)
{
	if (!in)
		return;
	free(in->restart);
	for (size_t i = 0; i < in->nports && i < BH_HOST_INSPECT_PORTS; i++)
		free(in->ports[i]);
	memset(in, 0, sizeof(*in));
}

int host_inspect_get(const char *sock, const char *engine, const char *id,
		     struct bh_host_inspect *out, struct bh_error **err)
{
	struct img_http *h = NULL;
	struct bh_buf b = BH_BUF_INIT(BH_HOST_MAX_FILE);
	char *what = bh_asprintf("%s (unix://%s)", engine, sock);
	char *target = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	/* an ID is hex; anything else would be a path of another request */
	if (!*id) {
		bh_error_set(err, BH_ERR_INVALID, "%s: an empty container ID", what);
		goto out;
	}
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
			bh_error_set(err, BH_ERR_INVALID, "%s: container ID %.80s is not hex", what,
				     id);
			goto out;
		}
	target = bh_asprintf("/containers/%s/json", id);
	if (img_http_get(sock, target, what, 10000, &h, err) < 0)
		goto out;
	if (img_http_response(h)->status != 200) {
		bh_error_set(err, BH_ERR_INVALID, "%s: GET %s: HTTP %d", what, target,
			     img_http_response(h)->status);
		goto out;
	}
	if (img_http_read_all(h, &b, err) < 0 ||
	    bh_host_inspect_parse(b.data ? b.data : "", b.len, out, err) < 0) {
		bh_error_prefix(err, "%s: GET %s", what, target);
		goto out;
	}
	r = 0;
out:
	img_http_close(h);
	bh_buf_release(&b);
	free(target);
	free(what);
	return r;
}
