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
#include "rules_unit.h"
#include "bulkhead/rules.h"
#include "monitor/bpf/events.h"
#include "monitor/source_internal.h"

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

/* The output of rule `rule` on ev (which it must match). */
static char *output_of(const struct bh_mon_event *ev, const char *rule)
{
	const struct bh_rules_rule *m[32];
	size_t n = bh_rules_match(defaults, ev, m, 32);

	for (size_t i = 0; i < n && i < 32; i++)
		if (!strcmp(m[i]->name, rule))
			return bh_rules_format(m[i], ev);
	fail_msg("%s did not fire", rule);
	return NULL;
}

static void mount_setattr_and_fspick_are_mounts(void **state)
{
	struct bh_mon_event ev, back;
	json_t *j = NULL;
	char *out;
	struct rec r;

	(void)state;
	/* mount_setattr(AT_FDCWD, "/data", AT_RECURSIVE, {.attr_clr = RDONLY}):
	 * a read-only bind made writable without mount(2) */
	rec_init(&r, MON_T_MOUNT_SETATTR, 0);
	r.h.flags = MON_R_ARGS_USER;
	r.s.a[0] = (unsigned long long)-100;
	r.s.a[1] = 0x7ffc2000;
	r.s.a[2] = 0x8000;     /* AT_RECURSIVE */
	r.s.a[3] = 0x2;	       /* attr_set: MOUNT_ATTR_NOSUID */
	r.s.a[4] = 0x1;	       /* attr_clr: MOUNT_ATTR_RDONLY */
	r.s.a[5] = 1ull << 20; /* propagation: MS_SHARED */
	raw_path(&r.s.path, "/data");
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_MOUNT);
	assert_string_equal(ev.args.call, "mount_setattr");
	assert_string_equal(ev.file.path, "/data");
	assert_int_equal(ev.args.attr_set, 0x2);
	assert_int_equal(ev.args.attr_clr, 0x1);
	assert_int_equal(ev.args.flags, 1u << 20);
	assert_true(ev.args.flags_unverified);
	assert_false(ev.args.unreadable);
	assert_false(fires(&ev, "Mount in container")); /* the host's */
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
	out = output_of(&ev, "Mount in container");
	assert_non_null(strstr(out, "call=mount_setattr"));
	assert_non_null(strstr(out, "dir=/data"));
	assert_non_null(strstr(out, "attr_set=MOUNT_ATTR_NOSUID attr_clr=MOUNT_ATTR_RDONLY"));
	assert_non_null(strstr(out, "container=web id="));
	free(out);
	round_trip(&ev, "\"attr_clr\":1");
	assert_int_equal(bh_mon_event_to_json(&ev, &j, NULL), 0);
	assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
	assert_int_equal(back.args.attr_set, 0x2);
	assert_int_equal(back.args.attr_clr, 0x1);
	assert_int_equal(back.args.flags, 1u << 20);
	assert_true(back.args.flags_unverified);
	json_decref(j);

	/* bits above the low 32 (refused by the kernel: EINVAL) are cut, so the
	 * fields stay JSON integers; the rule still fires (an attempt) */
	r.h.res = -22;
	r.s.a[3] = 0xffffffffffffffffull;
	r.s.a[4] = 0x8000000000000001ull;
	decode(&r, &ev);
	assert_int_equal(ev.args.attr_set, 0xffffffffu);
	assert_int_equal(ev.args.attr_clr, 0x1);
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
	round_trip(&ev, "\"call\":\"mount_setattr\"");

	/* its struct unreadable (or too small): marked, attributes 0 */
	rec_init(&r, MON_T_MOUNT_SETATTR, -14);
	r.h.flags = MON_R_ARGS_USER | MON_R_ARGS_UNREAD;
	decode(&r, &ev);
	assert_true(ev.args.unreadable);
	assert_int_equal(ev.args.attr_set, 0);
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
	out = output_of(&ev, "Mount in container");
	assert_non_null(strstr(out, "attr_set=0 attr_clr=0"));
	free(out);

	/* fspick(AT_FDCWD, "/", FSPICK_CLOEXEC): the mount picked, its
	 * superblock's type and device */
	rec_init(&r, MON_T_FSPICK, 3);
	r.s.a[2] = 1;
	raw_path(&r.s.path, "/");
	memcpy(r.s.str2, "overlay", 8);
	memcpy(r.s.str1, "overlay", 8);
	decode(&r, &ev);
	assert_int_equal(ev.type, BH_MON_MOUNT);
	assert_string_equal(ev.args.call, "fspick");
	assert_string_equal(ev.file.path, "/");
	assert_string_equal(ev.args.fstype, "overlay");
	assert_string_equal(ev.args.source, "overlay");
	assert_int_equal(ev.args.flags, 0); /* FSPICK_*: not MS_* */
	assert_int_equal(ev.args.attr_set, 0);
	in_container(&ev);
	assert_true(fires(&ev, "Mount in container"));
	out = output_of(&ev, "Mount in container");
	assert_non_null(strstr(out, "call=fspick dev=overlay dir=/ type=overlay"));
	/* no attributes: not a mount_setattr */
	assert_null(strstr(out, "attr_set=0"));
	free(out);
	round_trip(&ev, "\"call\":\"fspick\"");
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

/*
 * MON_R_EXE_HOST (the executable read in the kernel as the host's) is
 * proc.is_exe_from_host: a fspick, a clone into new namespaces and a setns by
 * a process named runc's are its setup only with it; a replayed event keeps
 * it, and one without the member is not the host's.
 */
static void exe_from_host_is_the_runtimes_identity(void **state)
{
	static const struct {
		unsigned short type;
		const char *comm, *rule;
	} cases[] = {
		{ MON_T_FSPICK, "runc:[2:INIT]", "Mount in container" },
		{ MON_T_CLONE, "runc:[1:CHILD]", "Namespace change in container" },
		{ BH_MON_SETNS, "runc", "Namespace change in container" },
		{ BH_MON_UMOUNT2, "memfd:bulkhead", "Mount in container" },
	};
	struct bh_mon_event ev, back;
	struct rec r_extra;
	json_t *j = NULL;
	char *txt;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rec_init(&r_extra, cases[i].type, 0);
		r_extra.s.a[0] = CLONE_NEWNS;
		snprintf(r_extra.h.comm, sizeof(r_extra.h.comm), "%s", cases[i].comm);
		decode(&r_extra, &ev);
		assert_false(ev.proc.exe_from_host);
		in_container(&ev);
		assert_true(fires(&ev, cases[i].rule)); /* a name alone */
		r_extra.h.flags = MON_R_EXE_HOST;
		decode(&r_extra, &ev);
		assert_true(ev.proc.exe_from_host);
		in_container(&ev);
		assert_false(fires(&ev, cases[i].rule));
		/* the JSON round trip keeps it; without the member it is false */
		assert_int_equal(bh_mon_event_to_json(&ev, &j, NULL), 0);
		txt = json_dumps(j, JSON_COMPACT);
		assert_non_null(strstr(txt, "\"exe_from_host\":true"));
		free(txt);
		assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
		assert_true(back.proc.exe_from_host);
		json_object_del(json_object_get(j, "proc"), "exe_from_host");
		assert_int_equal(bh_mon_event_from_json(j, &back, NULL), 0);
		assert_false(back.proc.exe_from_host);
		assert_true(fires(&back, cases[i].rule));
		json_decref(j);
		j = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clone_is_a_namespace_change),
		cmocka_unit_test(new_mount_api_is_a_mount),
		cmocka_unit_test(mount_setattr_and_fspick_are_mounts),
		cmocka_unit_test(process_vm_is_ptrace),
		cmocka_unit_test(unknown_record_types_are_refused),
		cmocka_unit_test(exe_from_host_is_the_runtimes_identity),
	};

	return cmocka_run_group_tests_name("mon_extra", tests, load_defaults, free_defaults);
}
