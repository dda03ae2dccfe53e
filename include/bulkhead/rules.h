/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's rule engine: the core of the Falco rule language over the
 * events of include/bulkhead/monitor.h.
 *
 * Ownership, for the whole library:
 *  - `const T *` arguments are borrowed for the duration of the call;
 *  - `T **out` arguments hand a new object to the caller, who releases it with
 *    the matching `_free()` (or `json_decref()` for jansson values);
 *  - a function that takes ownership of an argument says so in its comment;
 *  - every `_free(NULL)` is a no-op.
 *
 * Errors: a function returns 0 (or a non-negative count) on success and a
 * negative value on failure, after storing a `struct bh_error` in `*err` when
 * `err` is not NULL (see include/bulkhead/base.h).
 *
 * Life of a rule set: bh_rules_new, bh_rules_add / bh_rules_add_file for
 * each file in order (items: rule, macro, list, required_engine_version;
 * `append: true` and `override:` refine an item of an earlier file or of
 * the same one), then bh_rules_compile: conditions are parsed (tokenizer
 * and recursive descent to a tree), macros and lists expanded (cycles
 * refused), every field and operator looked up in the field table
 * (src/rules/fields.c) and every value typed. Nothing is dropped silently:
 * each problem is a diagnostic (file, line, column, the item, a message);
 * an error leaves its rule out of the set, a warning keeps it. The compiled
 * set is immutable: bh_rules_match may run on many threads at once.
 */
#ifndef BULKHEAD_RULES_H
#define BULKHEAD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/base.h"
#include "bulkhead/monitor.h"

/* Limits of rule files. */
#define BH_RULES_FILE_MAX   (4u * 1024 * 1024) /* bytes of one file */
#define BH_RULES_ITEMS_MAX  8192	       /* rules + macros + lists, all files */
#define BH_RULES_DEPTH_MAX  64		       /* nesting of a condition, macros expanded */
#define BH_RULES_LIST_MAX   4096	       /* values of one list, lists expanded */
#define BH_RULES_NODES_MAX  100000	       /* terms of one condition, macros expanded */
#define BH_RULES_COND_MAX   (64u * 1024)       /* bytes of one condition, appends included */
#define BH_RULES_OUTPUT_MAX 4096	       /* bytes of a formatted output */

/* Falco's priorities, most severe first. */
enum bh_rules_priority {
	BH_RULES_EMERGENCY = 0,
	BH_RULES_ALERT,
	BH_RULES_CRITICAL,
	BH_RULES_ERROR,
	BH_RULES_WARNING,
	BH_RULES_NOTICE,
	BH_RULES_INFORMATIONAL,
	BH_RULES_DEBUG,
};
/* "CRITICAL", ...; parse takes any case and "info"; -1 if unknown. */
const char *bh_rules_priority_name(enum bh_rules_priority p);
int bh_rules_priority_parse(const char *s);

enum bh_rules_severity { BH_RULES_DIAG_WARNING, BH_RULES_DIAG_ERROR };

struct bh_rules_diag {
	enum bh_rules_severity severity;
	char *file;
	size_t line, column; /* 1-based; 0 when unknown */
	char *item;	     /* "rule 'Terminal shell'", "macro 'spawned'", or NULL */
	char *message;
};

struct bh_rules_diags {
	struct bh_rules_diag *v;
	size_t n, cap;
	size_t nerrors; /* of n, how many are errors */
};
void bh_rules_diags_release(struct bh_rules_diags *d);

/* A compiled rule, as the caller sees it (read-only; owned by the set). */
struct bh_rules_rule {
	const char *name;
	const char *desc;
	const char *output; /* the template, before substitution */
	const char *source; /* "syscall" */
	enum bh_rules_priority priority;
	char **tags; /* NULL-terminated, never NULL */
	const char *file;
	size_t line;
};

struct bh_rules;

struct bh_rules *bh_rules_new(void);
void bh_rules_free(struct bh_rules *rs);

/*
 * Read the items of one rules file from memory (`name` names it in
 * diagnostics) and queue them, applying appends and overrides in order.
 * Problems go to diags (may be NULL). Fails (BH_ERR_INVALID) when the file
 * had an error (its good items are still kept), BH_ERR_LIMIT past a limit.
 */
int bh_rules_add(struct bh_rules *rs, const char *buf, size_t len, const char *name,
		 struct bh_rules_diags *diags, struct bh_error **err);
/* The same from a file (at most BH_RULES_FILE_MAX bytes). */
int bh_rules_add_file(struct bh_rules *rs, const char *path, struct bh_rules_diags *diags,
		      struct bh_error **err);
/*
 * Compile what was added: every enabled rule's condition, exceptions and
 * output. Rules with an error are left out and reported; the others are
 * matched. Fails (BH_ERR_INVALID) when any rule or macro had an error. Call
 * once, after the last add.
 */
int bh_rules_compile(struct bh_rules *rs, struct bh_rules_diags *diags, struct bh_error **err);

/* Compiled rules that are matched (enabled, without error). */
size_t bh_rules_count(const struct bh_rules *rs);
/* The i-th of them, in load order; NULL past the end. */
const struct bh_rules_rule *bh_rules_get(const struct bh_rules *rs, size_t i);

/*
 * The event types (BH_MON_TYPE_BIT()s) the compiled rules' conditions can
 * match: what a kernel source must be asked for (0 for an empty set).
 */
uint64_t bh_rules_types(const struct bh_rules *rs);

/*
 * The opens the compiled rules can match, as a filter a kernel source applies
 * before it makes an event (a necessary condition: user space still matches
 * every rule). Derived per rule from its condition (exceptions included):
 * evt.type, evt.is_open_write = true, evt.failed = false, fd.name = / in
 * (the names' last components), fd.name pmatch (the directories' last
 * components), fd.name startswith "DIR/", fd.name glob with a literal last
 * component, fd.filename = / in, fd.directory = / in; an AND keeps what
 * both sides require where it can, an OR joins, a NOT requires nothing. A
 * rule on opens whose condition names no such constraint makes the filter
 * `all` (every open, the syscall path: a user rule "any open below /x"
 * written with `contains`). Fills *out (release it with
 * bh_mon_open_filter_release).
 */
void bh_rules_open_filter(const struct bh_rules *rs, struct bh_mon_open_filter *out);

/*
 * The files whose opens the rules chosen by want can match, by whole path,
 * for a refusal before the open (the guard's inode marks): from the same
 * analysis as bh_rules_open_filter, where a rule's necessary condition names
 * its files as absolute literal paths (fd.name = / in). 1 when every chosen
 * rule on opens reduces to such paths, all in *out (unique; release with
 * bh_strvec_release); 0 when one does not (*inexact: the first such rule's
 * name; its opens cannot be refused this way), out holding the others'.
 */
int bh_rules_open_paths(const struct bh_rules *rs,
			bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			struct bh_strvec *out, const char **inexact);

/*
 * The executables the execs of the rules chosen by want can match, for the
 * guard (which knows them by identity: another name of one of these files is
 * decided as the name found): per rule on execs a necessary condition naming
 * the file by whole path (proc.exe, proc.exepath = / in absolute paths, into
 * *paths), by program name (proc.name = / in, into *names) or by a prefix of
 * its path (proc.exe, proc.exepath startswith, glob (the literal part before
 * the first wildcard), pmatch; below the root only: into *prefixes, where the
 * guard looks for another name of a file with several links); an AND keeps
 * the narrower side, an OR joins, a NOT requires nothing. 1 when every chosen
 * rule on execs reduces to those, 0 when one does not (*inexact: the first
 * such rule's name; prefixes NULL: a rule naming prefixes does not). The
 * lists unique, each at most BH_RULES_EXEC_FILES_MAX (a rule that would pass
 * it counts as one that does not reduce); release them with
 * bh_strvec_release.
 */
#define BH_RULES_EXEC_FILES_MAX 1024
int bh_rules_exec_files(const struct bh_rules *rs,
			bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			struct bh_strvec *paths, struct bh_strvec *names,
			struct bh_strvec *prefixes, const char **inexact);

/* A connect's peer a block rule names: an address prefix (family AF_INET or
 * AF_INET6, addr in network order, prefix bits), a port (host order, 0 =
 * any) and a protocol (6, 17, 0 = any). */
struct bh_rules_peer {
	uint16_t family;
	uint8_t addr[16];
	uint8_t prefix;
	uint16_t port;
	uint8_t proto;
};
#define BH_RULES_PEERS_MAX 4096 /* a connect guard policy's rules */

/*
 * The connects the rules chosen by want match by their peer alone, for a
 * refusal by the kernel before the call (the connect guard's deny list, which
 * decides without user space). Per rule on connects, a condition SUFFICIENT for
 * its match is derived (a connect it holds for is one the rule matches):
 * fd.sip, fd.rip, fd.snet, fd.rnet = / in addresses or networks, fd.sport,
 * fd.rport = / in ports, fd.l4proto = / in tcp, udp, evt.type = / in,
 * container.id != host, and an AND, OR, NOT of those; fd.net and fd.port
 * (either end) count by the peer's end; any other field makes its side
 * FALSE. The peers of every chosen rule are appended to *out (*nout of them,
 * unique; free *out). 1 when each chosen rule's condition is also NECESSARY
 * (the guard refuses every connect it matches); 0 when one is not (*inexact:
 * the first such rule's name; its other matches are only alerted).
 */
int bh_rules_connect_peers(const struct bh_rules *rs,
			   bool (*want)(const struct bh_rules_rule *r, void *arg), void *arg,
			   struct bh_rules_peer **out, size_t *nout, const char **inexact);

/*
 * The rules that match ev, exceptions applied, most severe priority first
 * (then load order): up to max of them in out[]. Only the rules whose
 * condition can hold for ev's evt.type are evaluated. Returns how many
 * matched in all (which may exceed max). Thread-safe on a compiled set.
 */
size_t bh_rules_match(const struct bh_rules *rs, const struct bh_mon_event *ev,
		      const struct bh_rules_rule **out, size_t max);

/*
 * The rule's output with every %field replaced by its value on ev ("<NA>"
 * when the event has none), control characters escaped, cut at
 * BH_RULES_OUTPUT_MAX bytes. Shorthands: %container.info
 * ("container=NAME id=ID image=IMAGE", or "host"), %proc.info
 * ("proc=NAME pid=PID cmdline=CMDLINE"), %user.info ("user=NAME uid=UID").
 * Returns a new string; caller frees.
 */
char *bh_rules_format(const struct bh_rules_rule *rule, const struct bh_mon_event *ev);

/*
 * The fields of the table as a JSON array of {name, type, desc} (for
 * `bulkhead rules fields` and the docs). Caller owns the result.
 */
json_t *bh_rules_fields_json(void);

#endif
