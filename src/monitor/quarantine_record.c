/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Quarantine records: their JSON (written by quarantine.c under the state
 * directory) and its strict parser (records are files anyone with access to
 * the directory could have written: bounded, every field checked).
 */
#include <stdlib.h>
#include <string.h>

#include "bulkhead/quarantine.h"
#include "quarantine_internal.h"
#include "banned.h"

/* An ID that can name a file in the state directory. */
bool quar_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > 200 || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return false;
	return true;
}

void bh_quar_record_release(struct bh_quar_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->name);
	free(r->time);
	free(r->reason);
	free(r->freezer);
	memset(r, 0, sizeof(*r));
}

void bh_quar_record_free(struct bh_quar_record *r)
{
	bh_quar_record_release(r);
	free(r);
}

void bh_quar_records_free(struct bh_quar_record *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bh_quar_record_release(&v[i]);
	free(v);
}

static const char *net_name(enum bh_quar_net n)
{
	return n == BH_QUAR_NET_CUT ? "cut" : n == BH_QUAR_NET_HOST ? "host-namespace" : "none";
}

json_t *quar_record_json(const struct bh_quar_record *r, bool live)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_string(r->id));
	json_object_set_new(j, "name", json_string(r->name ? r->name : r->id));
	json_object_set_new(j, "engine", json_string(bh_ctr_engine_name(r->engine)));
	json_object_set_new(j, "pid", json_integer(r->pid));
	json_object_set_new(j, "pid_start", json_integer((json_int_t)r->pid_start));
	json_object_set_new(j, "time", json_string(r->time ? r->time : ""));
	json_object_set_new(j, "reason", json_string(r->reason ? r->reason : ""));
	json_object_set_new(j, "freezer", json_string(r->freezer ? r->freezer : ""));
	json_object_set_new(j, "was_frozen", json_boolean(r->was_frozen));
	json_object_set_new(j, "network", json_string(net_name(r->net)));
	json_object_set_new(j, "netns", json_integer((json_int_t)r->netns));
	json_object_set_new(j, "apply_ns", json_integer((json_int_t)r->apply_ns));
	if (r->event_ns)
		json_object_set_new(j, "event_ns", json_integer((json_int_t)r->event_ns));
	if (r->apply_start_ns)
		json_object_set_new(j, "apply_start_ns",
				    json_integer((json_int_t)r->apply_start_ns));
	if (r->contained_ns)
		json_object_set_new(j, "contained_ns", json_integer((json_int_t)r->contained_ns));
	if (live) {
		json_object_set_new(j, "exists", json_boolean(r->exists));
		json_object_set_new(j, "frozen", json_boolean(r->frozen));
		json_object_set_new(j, "cut", json_boolean(r->cut));
	}
	return j;
}

json_t *bh_quar_record_to_json(const struct bh_quar_record *r)
{
	return quar_record_json(r, true);
}

static int get_str(const json_t *j, const char *key, bool required, char **out,
		   struct bh_error **err)
{
	const json_t *v = json_object_get(j, key);

	if (!v && !required)
		return 0;
	if (!json_is_string(v))
		return bh_error_set(err, BH_ERR_INVALID,
				    "quarantine record: \"%s\" is not a string", key);
	*out = bh_strdup(json_string_value(v));
	return 0;
}

static int get_uint(const json_t *j, const char *key, uint64_t max, uint64_t *out,
		    struct bh_error **err)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return bh_error_set(err, BH_ERR_INVALID,
				    "quarantine record: \"%s\" is not an integer in range", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* An optional stamp: absent is 0 (records written before it existed). */
static int get_stamp(const json_t *j, const char *key, uint64_t *out, struct bh_error **err)
{
	*out = 0;
	if (!json_object_get(j, key))
		return 0;
	return get_uint(j, key, UINT64_MAX >> 1, out, err);
}

int bh_quar_record_parse(const char *buf, size_t len, struct bh_quar_record *r,
			 struct bh_error **err)
{
	json_t *j = NULL;
	const json_t *v;
	char *s = NULL;
	uint64_t u;
	int ret = -1;

	if (bh_json_parse(buf, len, RECORD_MAX, "quarantine record", &j, err) < 0)
		return -1;
	if (!json_is_object(j)) {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: not an object");
		goto out;
	}
	if (get_str(j, "id", true, &r->id, err) < 0 ||
	    get_str(j, "name", false, &r->name, err) < 0 ||
	    get_str(j, "time", false, &r->time, err) < 0 ||
	    get_str(j, "reason", false, &r->reason, err) < 0 ||
	    get_str(j, "freezer", true, &r->freezer, err) < 0 ||
	    get_str(j, "engine", true, &s, err) < 0)
		goto out;
	if (!quar_id_ok(r->id)) {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: bad id");
		goto out;
	}
	r->engine = bh_ctr_engine_parse(s);
	free(s);
	s = NULL;
	if (get_uint(j, "pid", INT32_MAX, &u, err) < 0)
		goto out;
	r->pid = (pid_t)u;
	if (get_uint(j, "pid_start", UINT64_MAX >> 1, &r->pid_start, err) < 0 ||
	    get_uint(j, "netns", UINT64_MAX >> 1, &r->netns, err) < 0 ||
	    get_uint(j, "apply_ns", UINT64_MAX >> 1, &r->apply_ns, err) < 0 ||
	    get_stamp(j, "event_ns", &r->event_ns, err) < 0 ||
	    get_stamp(j, "apply_start_ns", &r->apply_start_ns, err) < 0 ||
	    get_stamp(j, "contained_ns", &r->contained_ns, err) < 0)
		goto out;
	v = json_object_get(j, "was_frozen");
	if (!json_is_boolean(v)) {
		bh_error_set(err, BH_ERR_INVALID,
			     "quarantine record: \"was_frozen\" is not a boolean");
		goto out;
	}
	r->was_frozen = json_is_true(v);
	if (get_str(j, "network", true, &s, err) < 0)
		goto out;
	if (!strcmp(s, "cut")) {
		r->net = BH_QUAR_NET_CUT;
	} else if (!strcmp(s, "host-namespace")) {
		r->net = BH_QUAR_NET_HOST;
	} else {
		bh_error_set(err, BH_ERR_INVALID, "quarantine record: unknown network \"%s\"", s);
		goto out;
	}
	ret = 0;
out:
	free(s);
	json_decref(j);
	if (ret < 0)
		bh_quar_record_release(r);
	return ret;
}
