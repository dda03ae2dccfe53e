/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/rules: the items read from rule files, the condition
 * syntax tree, the compiled expressions and the field table.
 *
 *   load.c     YAML items -> struct rules_item (append, override)
 *   parse.c    condition text -> struct rules_ast (tokenizer, recursive descent)
 *   compile.c  ast -> struct rules_expr (macros, lists, fields, operators,
 *              values typed), exceptions, the never-match analysis, the index
 *   fields.c   the field table: one row per field, its type and accessor
 *   eval.c     bh_rules_match, bh_rules_format
 *   event.c    JSON -> struct bh_mon_event
 */
#ifndef BULKHEAD_RULES_INTERNAL_H
#define BULKHEAD_RULES_INTERNAL_H

#include <stdint.h>

#include "bulkhead/rules.h"

/* ---- positions --------------------------------------------------------- */

/* Where one byte of a condition came from. */
struct rules_pos {
	uint32_t line, col; /* 1-based; 0 when unknown */
	uint32_t file;	    /* index in rs->files */
};

/* A condition's text and, byte by byte, where it came from in the files
 * (an appended condition joins text of several files). */
struct rules_text {
	char *s;
	size_t len;
	struct rules_pos *pos; /* len + 1 entries (the last: the end) */
};

/* ---- items ------------------------------------------------------------- */

enum rules_item_kind { RULES_RULE, RULES_MACRO, RULES_LIST };

struct rules_exc {
	char *name;
	json_t *fields; /* a string or an array of strings */
	json_t *comps;	/* NULL, a string or an array */
	json_t *values; /* an array (of values or of tuples) */
	struct rules_pos pos;
};

struct rules_litem {
	char *s;
	struct rules_pos pos;
};

struct rules_item {
	enum rules_item_kind kind;
	char *name;
	struct rules_pos pos; /* of the item */
	bool bad;	      /* a structural error was reported; not compiled */
	/* rule, macro */
	struct rules_text cond;
	/* list */
	struct rules_litem *items;
	size_t nitems;
	/* rule */
	char *desc, *output, *source;
	struct rules_pos output_pos;
	int priority;
	bool enabled;
	bool skip_unknown; /* skip-if-unknown-filter */
	struct bh_strvec tags;
	struct rules_exc *excs;
	size_t nexcs;
	/* compile state */
	int visiting;	       /* macros and lists: on the expansion stack */
	struct rules_ast *ast; /* macros: parsed once */
	bool parsed, parse_failed;
	bool checked, check_failed, check_unknown; /* macros: compiled alone once */
};

/* ---- condition syntax tree -------------------------------------------- */

enum rules_ast_kind { RULES_A_AND, RULES_A_OR, RULES_A_NOT, RULES_A_CMP, RULES_A_REF };

struct rules_aval {
	char *s;
	bool quoted; /* a quoted string never names a list */
	struct rules_pos pos;
};

struct rules_ast {
	enum rules_ast_kind kind;
	struct rules_ast *a, *b;
	char *name; /* field (without [arg]) or macro */
	char *arg;  /* the text inside [] or NULL */
	char *op;   /* operator as written */
	struct rules_aval *vals;
	size_t nvals;
	bool has_list; /* values were given in parentheses (or as a list name) */
	struct rules_pos pos, oppos;
};

/* Parse text into *out. On a syntax error, fills msg and *where and returns -1. */
int rules_parse(const struct rules_text *t, struct rules_ast **out, char *msg, size_t msgsz,
		struct rules_pos *where);
void rules_ast_free(struct rules_ast *a);

/* ---- field table ------------------------------------------------------- */

enum rules_ftype {
	RULES_T_STRING,
	RULES_T_NUMBER,
	RULES_T_BOOL,
	RULES_T_IP,    /* an address; compared with an address or a CIDR */
	RULES_T_IPNET, /* fd.net: the addresses of the socket, compared with CIDRs */
	RULES_T_PORT,
};

/* One value of a field on an event. */
struct rules_fv {
	const char *s; /* strings */
	size_t len;
	int64_t n;	 /* numbers, ports, bools */
	uint16_t family; /* ips: AF_INET, AF_INET6 */
	uint8_t ip[16];
};

#define RULES_SCRATCH 2048

/* The i-th value of the field on ev (i > 0 only for list fields); false
 * when there is none. arg is the field's [N] (or -1). Computed strings go to
 * scratch (RULES_SCRATCH bytes). */
typedef bool (*rules_getter)(const struct bh_mon_event *ev, int arg, size_t i, struct rules_fv *out,
			     char *scratch);

enum rules_argmode { RULES_ARG_NONE, RULES_ARG_OPT, RULES_ARG_REQ };

struct rules_field {
	const char *name;
	enum rules_ftype type;
	enum rules_argmode arg;
	bool list; /* several values (proc.aname, proc.args): a comparison holds
		    * when it holds for one of them */
	rules_getter get;
	const char *desc;
};

const struct rules_field *rules_field_find(const char *name);
const struct rules_field *rules_fields(size_t *n);
const char *rules_ftype_name(enum rules_ftype t);

/* ---- compiled expressions --------------------------------------------- */

enum rules_op {
	RULES_OP_EQ,
	RULES_OP_NE,
	RULES_OP_LT,
	RULES_OP_LE,
	RULES_OP_GT,
	RULES_OP_GE,
	RULES_OP_CONTAINS,
	RULES_OP_ICONTAINS,
	RULES_OP_BCONTAINS,
	RULES_OP_STARTSWITH,
	RULES_OP_ENDSWITH,
	RULES_OP_GLOB,
	RULES_OP_IN,
	RULES_OP_INTERSECTS,
	RULES_OP_PMATCH,
	RULES_OP_EXISTS,
};

struct rules_val {
	char *s; /* strings (bcontains: the bytes) */
	size_t len;
	int64_t n;
	uint16_t family; /* ips */
	uint8_t ip[16];
	uint8_t prefix; /* CIDR bits (128/32 for one address) */
};

enum rules_expr_kind { RULES_E_AND, RULES_E_OR, RULES_E_NOT, RULES_E_CMP, RULES_E_CONST };

struct rules_expr {
	enum rules_expr_kind kind;
	bool value; /* CONST */
	struct rules_expr *a, *b;
	const struct rules_field *field;
	int arg;
	enum rules_op op;
	struct rules_val *vals;
	size_t nvals;
};

void rules_expr_free(struct rules_expr *e);
bool rules_expr_eval(const struct rules_expr *e, const struct bh_mon_event *ev);
/* The event types an evt.type comparison's values name, as BH_MON_TYPE_BIT bits
 * (compile.c). */
uint64_t rules_expr_types(const struct rules_expr *e);

/* An output template: literal text and field references, alternately. */
struct rules_opart {
	char *lit; /* literal, or NULL */
	const struct rules_field *field;
	int arg;
	int shorthand; /* 0, or one of the %x.info shorthands (eval.c) */
};

struct rules_compiled {
	struct bh_rules_rule pub; /* first: bh_rules_format gets back here */
	struct rules_expr *expr;
	struct rules_opart *out;
	size_t nout;
	uint64_t types; /* the event types the condition may hold for */
	size_t order;
};

/* Render the template on ev into a new string (eval.c). */
char *rules_output_render(const struct rules_compiled *c, const struct bh_mon_event *ev);
/* Parse a template; unknown fields are reported through msg (returns -1). */
int rules_output_parse(const char *tmpl, struct rules_opart **out, size_t *n, char *msg,
		       size_t msgsz);
void rules_output_free(struct rules_opart *p, size_t n);

/* ---- the set ----------------------------------------------------------- */

struct bh_rules {
	struct bh_strvec files;
	struct rules_item **items; /* in definition order */
	size_t nitems, cap;
	struct bh_map *by_name[3]; /* per kind: name -> struct rules_item */
	bool compiled;
	struct rules_compiled **rules; /* the matched ones, load order */
	size_t nrules;
	/* per event type: the rules that may match, by priority then order */
	struct rules_compiled **index[BH_MON_TYPE_COUNT];
	size_t nindex[BH_MON_TYPE_COUNT];
};

/* Diagnostics (load.c). */
void rules_diag(struct bh_rules *rs, struct bh_rules_diags *d, enum bh_rules_severity sev,
		const struct rules_pos *pos, const struct rules_item *it, const char *fmt, ...)
	BH_PRINTF(6, 7);

void rules_text_release(struct rules_text *t);

#endif
