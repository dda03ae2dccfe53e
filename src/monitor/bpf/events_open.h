/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's BPF programs (events.bpf.c): the open filter, the
 * loader's necessary condition of the rules checked on every watched open
 * before any path walk or record. Included once, by events.bpf.c.
 */
#ifndef BULKHEAD_MONITOR_BPF_EVENTS_OPEN_H
#define BULKHEAD_MONITOR_BPF_EVENTS_OPEN_H

/* One name checked against `names`: the component's bytes, NUL-padded. */
struct name_key {
	char s[MON_FNAME_KEY];
};

/* name -> MON_N_LEAF | MON_N_DIR (the loader's, from the rules) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MON_FNAMES_MAX);
	__type(key, struct name_key);
	__type(value, __u8);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mon_open_filter);
} openf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_key);
} keybuf SEC(".maps");

/*
 * The filter runs on every open, so it reads kernel objects with direct
 * (BTF-typed) loads, not a bpf_probe_read_kernel call per field: the new
 * fd's file is typed with bpf_rdonly_cast (RO_CAST, events_kern.h; kernel
 * 6.2; where it is missing every open is wanted and user space filters).
 */

/* The mount of a vfsmount (container_of on a plain address, then typed). */
static __always_inline struct mount *ro_mount(unsigned long vm)
{
	if (!vm)
		return NULL;
	return RO_CAST(vm - bpf_core_field_offset(struct mount, mnt), mount);
}

/* Whether dentry d's name is in `names` with one of the bits `want`: its
 * length checked first against the filter's bitmap (no read at all for most
 * names), then its first 8 bytes against the bloom filter (one small read),
 * and only then the whole name read and looked up. */
static __always_inline int name_in(struct dentry *d, __u64 lens, const __u64 *bloom, __u8 want)
{
	struct name_key *key;
	const unsigned char *name;
	unsigned int len;
	__u64 w = 0;
	__u32 z = 0;
	__u8 *v;

	len = d->d_name.len;
	if (len == 0 || len >= MON_FNAME_KEY || !(lens & (1ULL << len)))
		return 0;
	name = d->d_name.name;
	/* a name shorter than 8 bytes is inline in the dentry (or in a larger
	 * block): the read stays in it. A direct load (open_wanted runs only
	 * with bpf_rdonly_cast); a fault reads 0, which no name's first bytes
	 * are (len > 0: the first is not NUL), so then the full test decides. */
	w = RO_CAST(name, rb_node)->__rb_parent_color;
	if (w && !mon_bloom_has(bloom, mon_name_hash(len, w)))
		return 0;
	key = bpf_map_lookup_elem(&keybuf, &z);
	if (!key)
		return 0;
	__builtin_memset(key->s, 0, sizeof(key->s));
	if (bpf_probe_read_kernel_str(key->s, sizeof(key->s), name) <= 0)
		return 0;
	v = bpf_map_lookup_elem(&names, key);
	return v && (*v & want);
}

/*
 * Whether an open's event is wanted (the loader's filter, a necessary
 * condition of the rules: user space matches the rest). ret: the call's
 * result; fa: the new fd's file's address (ret >= 0). A directory of the
 * rules is looked for among the file's ancestors up to the task's root
 * (crossing mounts), at most MON_PATH_DEPTH of them.
 */
static __noinline int open_wanted(struct task_struct *t, long ret, unsigned long fa)
{
	struct mon_open_filter *o;
	struct dentry *d, *rd, *parent;
	struct mount *m, *rm, *pm;
	struct file *f;
	unsigned int fl, fm;
	__u64 lens;
	__u32 z = 0;

	o = bpf_map_lookup_elem(&openf, &z);
	if (!o || o->all)
		return 1;
	if (ret < 0)
		return o->failed;
	if (!fa)
		return 0;
	if (!bpf_rdonly_cast)
		return 1;
	f = RO_CAST(fa, file);
	fl = f->f_flags;
	fm = f->f_mode;
	if (o->writes && ((fm & FMODE_WRITE_) || (fl & (O_CREAT_ | O_TRUNC_ | O_APPEND_))))
		return 1;
	d = f->f_path.dentry;
	if (!d)
		return 0;
	if (o->leaf_lens && name_in(d, o->leaf_lens, o->leaf_bloom, MON_N_LEAF))
		return 1;
	lens = o->dir_lens;
	if (!lens)
		return 0;
	m = ro_mount((unsigned long)f->f_path.mnt);
	rd = t->fs->root.dentry;
	rm = ro_mount((unsigned long)t->fs->root.mnt);
	if (!m)
		return 0;
	for (int i = 0; i < MON_PATH_DEPTH; i++) {
		if (d == rd && m == rm)
			return 0; /* the task's root: what is above it is not in its paths */
		if (d == m->mnt.mnt_root) {
			pm = m->mnt_parent;
			if (!pm || pm == m)
				return 0;
			d = m->mnt_mountpoint;
			m = pm;
			continue;
		}
		parent = d->d_parent;
		if (!parent || parent == d)
			return 0;
		if (name_in(parent, lens, o->dir_bloom, MON_N_DIR))
			return 1;
		d = parent;
	}
	return 0;
}

#endif
