// SPDX-License-Identifier: Apache-2.0
/*
 * The calls that are another call's event (issue 15's audit: bpf/events.h
 * MON_T_CLONE...): their records decoded as the public type with the call's
 * name (src/monitor/source_record.c), what each argument becomes, the JSON
 * round trip, and the default rules (rules/monitor/default.yaml) firing on
 * them: clone/clone3 with CLONE_NEW* as a namespace change (a failed call's
 * flags marked as the caller's), the new mount API as a mount,
 * process_vm_writev of another process as ptrace, process_vm_readv only in
 * a container.
 */
#include <sched.h>

#include "unit.h"
#include "bulkhead/rules.h"
#include "monitor/bpf/events.h"
#include "monitor/source_internal.h"

static struct bh_rules *defaults;

struct rec {
	struct mon_rec_hdr h;
	struct mon_rec_sys s;
};

static void rec_init(struct rec *r, unsigned short type, long long res)
{
	memset(r, 0, sizeof(*r));
	r->h.type = type;
	r->h.size = sizeof(*r);
	r->h.res = res;
	r->h.pid = 4242;
	memcpy(r->h.comm, "nsev", 5);
	r->s.path.flags = MON_PATH_NONE;
}

static void raw_path(struct mon_path *p, const char *s)
{
	p->flags = MON_PATH_RAW;
	p->ncomp = 1;
	p->len = (unsigned short)(strlen(s) + 1);
	memcpy(p->buf, s, p->len);
}

static void decode(const struct rec *r, struct bh_mon_event *ev)
{
	struct mon_rec_raw raw;

	assert_int_equal(mon_record_decode(r, sizeof(*r), ev, &raw), 0);
}

static void in_container(struct bh_mon_event *ev)
{
	snprintf(ev->container.id, sizeof(ev->container.id), "%064d", 7);
	snprintf(ev->container.name, sizeof(ev->container.name), "web");
}

static bool fires(const struct bh_mon_event *ev, const char *rule)
{
	const struct bh_rules_rule *m[32];
	size_t n = bh_rules_match(defaults, ev, m, 32);

	for (size_t i = 0; i < n && i < 32; i++)
		if (!strcmp(m[i]->name, rule))
			return true;
	return false;
}

/* The event back from its JSON: the call's name kept. */
static void round_trip(const struct bh_mon_event *ev, const char *want_call)
{
	struct bh_mon_event back;
	json_t *j = NULL;
	char *txt;

	assert_int_equal(bh_mon_event_to_json(ev, &j, NULL), 0);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(txt, want_call));
	free(txt);
	assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
	assert_int_equal(back.type, ev->type);
	assert_string_equal(back.args.call, ev->args.call);
	json_decref(j);
}

static void clone_is_a_namespace_change(void **state)
{
	struct bh_mon_event ev;
	struct rec r;

	(void)state;
	rec_init(&r, MON_T_CLONE, 1234);
	r.s.a[0] = CLONE_NEWUTS; /* the BPF side keeps the CLONE_NEW* bits only */
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_UNSHARE);
	assert_string_equal(ev.args.call, "clone");
	assert_int_equal(ev.args.flags, CLONE_NEWUTS);
	assert_false(ev.args.unreadable);
	assert_false(ev.args.flags_unverified); /* task_newtask's: the kernel's flags */
	in_container(&ev);
	assert_true(fires(&ev, "Namespace change in container"));
	round_trip(&ev, "\"call\":\"clone\"");

	/* a 32-bit clone (int $0x80): the same event, marked compat */
	r.h.flags = MON_R_COMPAT;
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_UNSHARE);
	assert_string_equal(ev.args.call, "clone");
	assert_true(ev.proc.compat);

	/* clone3: the flags read from its struct; a refused call is still an attempt */
	rec_init(&r, MON_T_CLONE3, -1);
	r.s.a[0] = CLONE_NEWUTS | CLONE_NEWIPC;
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_UNSHARE);
	assert_string_equal(ev.args.call, "clone3");
	assert_int_equal(ev.args.flags, CLONE_NEWUTS | CLONE_NEWIPC);
	assert_false(ev.args.flags_unverified);
	in_container(&ev);
	assert_true(fires(&ev, "Namespace change in container"));
	/* a failed call's flags are the caller's at its exit: marked, kept in JSON,
	 * and the rule still fires (an attempt) */
	r.h.flags = MON_R_ARGS_USER;
	decode(&r, &ev);
	assert_true(ev.args.flags_unverified);
	assert_false(ev.args.unreadable);
	in_container(&ev);
	assert_true(fires(&ev, "Namespace change in container"));
	round_trip(&ev, "\"flags_unverified\":true");
	{
		struct bh_mon_event back;
		json_t *j = NULL;

		assert_int_equal(bh_mon_event_to_json(&ev, &j, NULL), 0);
		assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
		assert_true(back.args.flags_unverified);
		json_decref(j);
	}
	/* its struct unreadable at exit: marked, flags unknown */
	r.h.flags = MON_R_ARGS_UNREAD;
	r.s.a[0] = 0;
	decode(&r, &ev);
	assert_true(ev.args.unreadable);
	assert_int_equal(ev.type, BH_MON_UNSHARE);

	/* unshare itself: no call name, the type's own */
	rec_init(&r, BH_MON_UNSHARE, 0);
	r.s.a[0] = CLONE_NEWNS;
	decode(&r, &ev);
	assert_string_equal(ev.args.call, "");
	assert_int_equal(ev.args.flags, CLONE_NEWNS);
}

static void new_mount_api_is_a_mount(void **state)
{
	struct bh_mon_event ev;
	struct rec r;

	(void)state;
	/* move_mount(fd, "", AT_FDCWD, "/mnt/x", MOVE_MOUNT_F_EMPTY_PATH) */
	rec_init(&r, MON_T_MOVE_MOUNT, 0);
	r.s.a[3] = 0x7ffc0000; /* to_path's address: not MS_* flags */
	r.s.a[4] = 4;
	raw_path(&r.s.path, "/mnt/x");
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_MOUNT);
	assert_string_equal(ev.args.call, "move_mount");
	assert_string_equal(ev.file.path, "/mnt/x");
	assert_int_equal(ev.args.flags, 0);
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
	round_trip(&ev, "\"call\":\"move_mount\"");

	/* fsmount: the context's file system type */
	rec_init(&r, MON_T_FSMOUNT, 5);
	memcpy(r.s.str2, "tmpfs", 6);
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_MOUNT);
	assert_string_equal(ev.args.call, "fsmount");
	assert_string_equal(ev.args.fstype, "tmpfs");
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));

	/* open_tree(OPEN_TREE_CLONE): the tree is the source, no target */
	rec_init(&r, MON_T_OPEN_TREE, 6);
	raw_path(&r.s.path, "/etc");
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_MOUNT);
	assert_string_equal(ev.args.call, "open_tree");
	assert_string_equal(ev.args.source, "/etc");
	assert_string_equal(ev.file.path, "");
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
}

static void process_vm_is_ptrace(void **state)
{
	struct bh_mon_event ev;
	struct rec r;

	(void)state;
	/* process_vm_readv(77, iov, 1, riov, 1, 0) */
	rec_init(&r, MON_T_PROCESS_VM_READV, 32);
	r.s.a[0] = 77;
	r.s.a[1] = 0x7ffc1000;
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_PTRACE);
	assert_string_equal(ev.args.call, "process_vm_readv");
	assert_int_equal(ev.args.target_pid, 77);
	assert_int_equal(ev.args.request, 0); /* not PTRACE_TRACEME's 0: no request */
	/* a read on the host: what strace and debuggers do all the time, no alert */
	assert_false(fires(&ev, "PTRACE attached to process"));
	in_container(&ev);
	assert_true(fires(&ev, "PTRACE attached to process"));
	round_trip(&ev, "\"call\":\"process_vm_readv\"");
	rec_init(&r, MON_T_PROCESS_VM_WRITEV, 32);
	r.s.a[0] = 78;
	decode(&r, &ev);
	assert_string_equal(ev.args.call, "process_vm_writev");
	assert_int_equal(ev.args.target_pid, 78);
	/* a write into another's memory: anywhere */
	assert_true(fires(&ev, "PTRACE attached to process"));
	in_container(&ev);
	assert_true(fires(&ev, "PTRACE attached to process"));
	/* refused (EPERM): nothing was read */
	r.h.res = -1;
	decode(&r, &ev);
	assert_false(fires(&ev, "PTRACE attached to process"));
	/* a plain ptrace(PTRACE_TRACEME) still does not fire */
	rec_init(&r, BH_MON_PTRACE, 0);
	decode(&r, &ev);
	assert_string_equal(ev.args.call, "");
	assert_false(fires(&ev, "PTRACE attached to process"));
}

/* Record types: the extra ones above the public ones, anything else refused. */
static void unknown_record_types_are_refused(void **state)
{
	struct bh_mon_event ev;
	struct mon_rec_raw raw;
	struct rec r;

	(void)state;
	for (unsigned t = BH_MON_TYPE_COUNT; t < 0x10000; t++) {
		if (t >= MON_T_EXTRA_FIRST && t <= MON_T_EXTRA_LAST)
			continue;
		rec_init(&r, (unsigned short)t, 0);
		assert_int_equal(mon_record_decode(&r, sizeof(r), &ev, &raw), -1);
	}
	rec_init(&r, BH_MON_NONE, 0);
	assert_int_equal(mon_record_decode(&r, sizeof(r), &ev, &raw), -1);
	/* an extra type's record of the wrong size */
	rec_init(&r, MON_T_CLONE, 0);
	r.h.size = sizeof(r.h);
	assert_int_equal(mon_record_decode(&r, sizeof(r.h), &ev, &raw), -1);
}

static int load_defaults(void **state)
{
	struct bh_rules_diags d = { 0 };
	struct bh_error *err = NULL;
	int r = 0;

	(void)state;
	defaults = bh_rules_new();
	if (bh_rules_add_file(defaults, "rules/monitor/default.yaml", &d, &err) < 0 ||
	    bh_rules_compile(defaults, &d, &err) < 0 || d.nerrors)
		r = -1;
	bh_error_free(err);
	bh_rules_diags_release(&d);
	return r;
}

static int free_defaults(void **state)
{
	(void)state;
	bh_rules_free(defaults);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clone_is_a_namespace_change),
		cmocka_unit_test(new_mount_api_is_a_mount),
		cmocka_unit_test(process_vm_is_ptrace),
		cmocka_unit_test(unknown_record_types_are_refused),
	};

	return cmocka_run_group_tests_name("mon_extra", tests, load_defaults, free_defaults);
}
