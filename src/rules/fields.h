/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the field table (fields.c, fields_args.c): accessor helpers. */
#ifndef BULKHEAD_RULES_FIELDS_H
#define BULKHEAD_RULES_FIELDS_H

#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* ---- helpers -------------------------------------------------------------- */

static inline bool str_out(struct rules_fv *o, const char *s)
{
	o->s = s;
	o->len = strlen(s);
	return true;
}

/* A string that is absent when empty. */
static inline bool nonempty(struct rules_fv *o, const char *s)
{
	return *s ? str_out(o, s) : false;
}

static inline bool num_out(struct rules_fv *o, int64_t n)
{
	o->n = n;
	return true;
}

static inline bool scratch_out(struct rules_fv *o, char *scratch, int n)
{
	if (n < 0)
		return false;
	o->s = scratch;
	o->len = strnlen(scratch, RULES_SCRATCH);
	return true;
}

static inline enum bh_mon_kind kind(const struct bh_mon_event *ev)
{
	return bh_mon_type_kind(ev->type);
}

static inline bool is_ip(const struct bh_mon_event *ev)
{
	return kind(ev) == BH_MON_KIND_NET &&
	       (ev->net.family == AF_INET || ev->net.family == AF_INET6);
}

/* connect is the client side: the server is the remote end. */
static inline bool server_is_remote(const struct bh_mon_event *ev)
{
	return ev->type == BH_MON_CONNECT;
}

/* The flag names of v among table (name, bit), "|"-joined, plus the rest in hex. */
struct rules_flagname {
	const char *name;
	uint64_t bit;
};

int rules_flags_str(char *scratch, const struct rules_flagname *t, size_t n, uint64_t v,
		    const char *zero);

/* The evt.arg.* accessors (fields_args.c). */
bool rules_g_arg_flags(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		       char *sc);
bool rules_g_rawarg_flags(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc);
bool rules_g_arg_uid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_arg_gid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_arg_request(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			 char *sc);
bool rules_g_rawarg_request(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			    char *sc);
bool rules_g_arg_call(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc);
bool rules_g_arg_pid(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_arg_cmd(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_rawarg_cmd(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc);
bool rules_g_arg_name(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc);
bool rules_g_arg_dev(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_arg_dir(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_arg_fstype(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			char *sc);
bool rules_g_arg_attr_set(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc);
bool rules_g_arg_attr_clr(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
			  char *sc);
bool rules_g_cap_eff(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);
bool rules_g_cap_perm(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		      char *sc);
bool rules_g_cap_inh(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *o,
		     char *sc);

#endif
