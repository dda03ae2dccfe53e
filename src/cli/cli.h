/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line front end: what every command shares. Commands live one per
 * file in src/cli/, are named cmd_<name>, and are listed in the table in
 * src/main.c. Only this layer prints or decides exit codes.
 */
#ifndef BULKHEAD_CLI_H
#define BULKHEAD_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "bulkhead/base.h"
#include "bulkhead/image.h"
#include "bulkhead/monitor.h"
#include "bulkhead/registry.h"

/* Exit codes, the same for every command. */
enum {
	BH_EXIT_OK = 0,	      /* clean */
	BH_EXIT_FINDINGS = 1, /* findings or policy violation (or --exit-code) */
	BH_EXIT_USAGE = 2,    /* usage error */
	BH_EXIT_ERROR = 3,    /* runtime error */
};

enum cli_log_format { CLI_LOG_TEXT, CLI_LOG_JSON };

/* Global settings, parsed once before the command runs. */
struct bh_cli {
	const char *db_path; /* --db or BULKHEAD_DB; NULL = default */
	enum cli_log_format log_format;
	bool color_stdout; /* colour allowed on stdout */
	bool color_stderr; /* colour allowed on stderr */
	/* Options the container engines pass to an OCI runtime (runc's names): */
	const char *runtime_root; /* --root: runtime state (NULL = /run/bulkhead) */
	const char *log_path;	  /* --log FILE: logs go there instead of stderr */
	FILE *log_fp;		  /* stderr, or the --log file */
	bool systemd_cgroup;	  /* --systemd-cgroup */
	bool debug;		  /* --debug: log level debug */
	/* The policy the runtime evaluates at create: --policy FILE (repeatable),
	 * else --policy-dir DIR or BULKHEAD_POLICY_DIR (NULL = /etc/bulkhead/policy.d). */
	struct bh_strvec policy_files;
	const char *policy_dir;
	/* The first fd >= 3 that was not open when bulkhead started: the fds
	 * --preserve-fds N passes (3..3+N-1) must all be below it, or one that
	 * bulkhead opened itself (the --log file, an image) would take a number
	 * and reach the container. */
	int inherited_fd_end;
};

typedef int (*bh_cmd_fn)(int argc, char **argv, struct bh_cli *cli);

struct bh_command {
	const char *name;
	bh_cmd_fn fn;
	const char *summary;
};

/* The command table (src/main.c). */
extern const struct bh_command bh_commands[];
const struct bh_command *cli_find_command(const char *name);
/* The closest command name within a small edit distance, or NULL. */
const char *cli_suggest_command(const char *name);

/*
 * Parse options with getopt_long (permuting, unless shortopts starts with
 * "+"), without getopt's own messages. Returns the
 * option character as getopt_long does, -1 at the end; on an unknown option
 * or a missing argument prints one line naming it and a hint pointing at
 * `bulkhead <cmd> --help`, and returns '?'. `cmd` is e.g. "image ls".
 */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *cmd);

/* "bulkhead <cmd>: <message>" + hint; returns BH_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) BH_PRINTF(2, 3);
/* Print the error chain as "bulkhead: error: ...", free it; returns BH_EXIT_ERROR. */
int cli_fail(struct bh_error *err);
/*
 * Text from untrusted input made safe for a terminal: control bytes (C0, DEL,
 * C1) and bytes that are not UTF-8 written as "\\xNN", the rest kept. Caller frees.
 */
char *cli_text_safe(const char *s);
/* cli_fail for an error whose message can hold untrusted text (cli_text_safe). */
int cli_fail_safe(struct bh_error *err);
/* The first fd >= 3 not open now (call before opening anything). */
int cli_first_closed_fd(void);
/* Print a usage text (the whole text, with its own newlines) to stdout. */
int cli_help(const char *text);
/* Print v (taken: released) as indented JSON on stdout, with the jansson flags given
 * (JSON_SORT_KEYS or 0). BH_EXIT_OK, or BH_EXIT_ERROR when it cannot be encoded. */
int cli_print_json(json_t *v, size_t flags);
/* A duration: a number of seconds, or numbers with units s, m, h, d in a row
 * ("90", "30s", "1h30m", "0.5s"); *out in seconds. -1 when malformed. */
int cli_parse_duration(const char *s, double *out);

/*
 * Route the signals given (a list ended by 0) to handler, with sa_flags
 * (e.g. SA_RESETHAND: a second signal ends the process at once). Installed
 * before anything slow starts, so a signal then stops or reports, not kills.
 */
void cli_on_signals(void (*handler)(int), int flags, ...);

/*
 * A command serving HTTP (include/bulkhead/http.h): cli_httpd_signals_block
 * blocks SIGHUP, SIGTERM and SIGINT (call it before any thread starts) and
 * ignores SIGPIPE; cli_httpd_run serves srv until SIGTERM or SIGINT has
 * drained it, a thread of its own taking the signals (SIGHUP: the
 * certificate reloaded). 0, or < 0 with err when serving failed.
 */
struct bh_http_server;
void cli_httpd_signals_block(void);
int cli_httpd_run(struct bh_http_server *srv, struct bh_error **err);
/*
 * Client certificates of a command that serves (struct bh_http_client_auth):
 * --client-ca FILE and --client-name NAME (repeatable). Put
 * CLI_HTTPD_CLIENT_LONGOPTS in the option table and CLI_HTTPD_CLIENT_USAGE in
 * the usage; cli_httpd_client_opt takes the two options (true when ch was one
 * of them, kept in c without a copy: c must outlive the server);
 * cli_httpd_client_apply checks them (a name without a CA, a bundle that
 * does not load: < 0 with err, the command exits 3) and points o->client
 * at them.
 */
enum {
	CLI_OPT_CLIENT_CA = 0x1100,
	CLI_OPT_CLIENT_NAME,
};
/* clang-format off */
#define CLI_HTTPD_CLIENT_LONGOPTS                                                                  \
	{ "client-ca", required_argument, NULL, CLI_OPT_CLIENT_CA },                               \
	{ "client-name", required_argument, NULL, CLI_OPT_CLIENT_NAME }
/* clang-format on */
#define CLI_HTTPD_CLIENT_USAGE                                                                     \
	"  --client-ca FILE        ask clients for a certificate and verify it against\n"          \
	"                          the CAs of FILE (PEM): the request routes then\n"               \
	"                          need one (403 without, a TLS alert for a bad one);\n"           \
	"                          /healthz, /readyz and /metrics do not\n"                        \
	"  --client-name NAME      and its subject CN or a SAN DNS name must be NAME\n"            \
	"                          (repeatable: any of them; needs --client-ca)\n"
struct bh_http_options;
struct cli_httpd_client {
	const char *ca_file;
	const char *names[64]; /* borrowed from argv; BH_HTTP_CLIENT_NAMES_MAX */
	size_t nnames;	       /* counts past the array too (an error at apply) */
};
bool cli_httpd_client_opt(int ch, const char *arg, struct cli_httpd_client *c);
int cli_httpd_client_apply(const struct cli_httpd_client *c, struct bh_http_options *o,
			   struct bh_error **err);

/* A count option: decimal digits only, 1..max. */
bool cli_parse_count(const char *s, unsigned long max, unsigned long *out);

/* Logging setup: installs the stderr handler. */
void cli_log_init(struct bh_cli *cli);

/* Output: open --output FILE (written atomically on cli_output_close) or stdout. */
struct cli_output {
	FILE *fp;
	char *path;    /* final path, or NULL for stdout */
	char *tmppath; /* temporary beside path */
};
int cli_output_open(struct cli_output *o, const char *path, struct bh_error **err);
/* Commit (rename into place) when ok, else discard the partial file. */
int cli_output_close(struct cli_output *o, bool ok, struct bh_error **err);

/*
 * The options that choose and read an image, shared by image, sbom, scan,
 * pull and push: --platform, --ref and --threads, and for an image in a
 * registry --cacert, --cert-dir, --insecure-registry (repeatable; also
 * BULKHEAD_INSECURE_REGISTRY, comma-separated), --authfile and
 * --registry-timeout. Put CLI_IMAGE_LONGOPTS in the command's option table
 * and CLI_IMAGE_USAGE in its usage text, and read the options with
 * cli_image_getopt: cli_getopt, but these are stored in o instead of
 * returned (o->open.registry points at o->registry), and a bad value prints
 * its usage error and returns '?'.
 */
#define CLI_MAX_INSECURE 16
struct cli_image_opts {
	struct bh_image_open_opts open; /* platform, ref, registry; limits are the command's */
	unsigned threads;		/* 0..1024, 0 = one per online CPU */
	struct bh_registry_opts registry;
	char *insecure[CLI_MAX_INSECURE + 1]; /* borrowed from argv */
	char *cert_dirs[2];
};
enum {
	CLI_OPT_PLATFORM = 0x1000,
	CLI_OPT_REF,
	CLI_OPT_THREADS,
	CLI_OPT_CACERT,
	CLI_OPT_CERT_DIR,
	CLI_OPT_INSECURE,
	CLI_OPT_AUTHFILE,
	CLI_OPT_REG_TIMEOUT,
};
/* clang-format off */
#define CLI_IMAGE_LONGOPTS                                                                         \
	{ "platform", required_argument, NULL, CLI_OPT_PLATFORM },                                 \
	{ "ref", required_argument, NULL, CLI_OPT_REF },                                           \
	{ "threads", required_argument, NULL, CLI_OPT_THREADS },                                   \
	{ "cacert", required_argument, NULL, CLI_OPT_CACERT },                                     \
	{ "cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR },                                 \
	{ "insecure-registry", required_argument, NULL, CLI_OPT_INSECURE },                        \
	{ "authfile", required_argument, NULL, CLI_OPT_AUTHFILE },                                 \
	{ "registry-timeout", required_argument, NULL, CLI_OPT_REG_TIMEOUT }
/* clang-format on */
#define CLI_IMAGE_USAGE                                                                            \
	"  --platform OS/ARCH[/VARIANT]  the image to pick from a multi-platform index\n"          \
	"                                (default linux/amd64)\n"                                  \
	"  --ref NAME           pick by org.opencontainers.image.ref.name (or RepoTag)\n"          \
	"  --threads N          layers read in parallel (default: one per CPU)\n"                  \
	"  --cacert FILE        registry images: trust the CA certificates in FILE too\n"          \
	"  --cert-dir DIR       registry images: a certs.d directory, DIR/HOST[:PORT]/ with\n"     \
	"                       *.crt and *.cert + *.key (default /etc/docker/certs.d,\n"          \
	"                       /etc/containers/certs.d)\n"                                        \
	"  --insecure-registry HOST[:PORT]  registry images: allow plain HTTP to HOST\n"           \
	"                       (repeatable; its traffic is then unprotected)\n"                   \
	"  --authfile FILE      registry images: credentials (default: podman's\n"                 \
	"                       auth.json, then docker's config.json)\n"                           \
	"  --registry-timeout SECONDS  registry images: connect timeout, and the longest\n"        \
	"                       a transfer may go without a byte (default 30)\n"
int cli_image_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		     const char *cmd, struct cli_image_opts *o);

/* Colour helpers: return the escape or "" when colour is off. */
const char *cli_color(bool on, const char *code);
#define CLI_BOLD   "\033[1m"
#define CLI_RED	   "\033[31m"
#define CLI_YELLOW "\033[33m"
#define CLI_GREEN  "\033[32m"
#define CLI_DIM	   "\033[2m"
#define CLI_RESET  "\033[0m"

/* Commands. */
int cmd_help(int argc, char **argv, struct bh_cli *cli);
int cmd_version(int argc, char **argv, struct bh_cli *cli);
int cmd_bench(int argc, char **argv, struct bh_cli *cli);
int cmd_image(int argc, char **argv, struct bh_cli *cli);
int cmd_scan(int argc, char **argv, struct bh_cli *cli);
int cmd_sbom(int argc, char **argv, struct bh_cli *cli);
int cmd_db(int argc, char **argv, struct bh_cli *cli);
int cmd_profile(int argc, char **argv, struct bh_cli *cli);
int cmd_create(int argc, char **argv, struct bh_cli *cli);
int cmd_start(int argc, char **argv, struct bh_cli *cli);
int cmd_state(int argc, char **argv, struct bh_cli *cli);
int cmd_kill(int argc, char **argv, struct bh_cli *cli);
int cmd_delete(int argc, char **argv, struct bh_cli *cli);
int cmd_run(int argc, char **argv, struct bh_cli *cli);
int cmd_exec(int argc, char **argv, struct bh_cli *cli);
int cmd_list(int argc, char **argv, struct bh_cli *cli);
int cmd_ps(int argc, char **argv, struct bh_cli *cli);
int cmd_pause(int argc, char **argv, struct bh_cli *cli);
int cmd_resume(int argc, char **argv, struct bh_cli *cli);
int cmd_containers(int argc, char **argv, struct bh_cli *cli);
int cmd_quarantine(int argc, char **argv, struct bh_cli *cli);
int cmd_guard(int argc, char **argv, struct bh_cli *cli);
int cmd_net(int argc, char **argv, struct bh_cli *cli);
int cmd_spec(int argc, char **argv, struct bh_cli *cli);
int cmd_features(int argc, char **argv, struct bh_cli *cli);
/* keys, signatures and attestations (src/cli/key.c, sign.c, verify.c, attest.c) */
int cmd_key(int argc, char **argv, struct bh_cli *cli);
int cmd_sign(int argc, char **argv, struct bh_cli *cli);
int cmd_verify(int argc, char **argv, struct bh_cli *cli);
int cmd_attest(int argc, char **argv, struct bh_cli *cli);
/* attest quote | verify (src/cli/attest_tpm.c): argv[1] is the subcommand */
int cli_attest_tpm(int argc, char **argv);
/* attest vtpm-ca | vtpm-verify (src/cli/attest_vtpm.c): argv[1] is the subcommand */
int cli_attest_vtpm(int argc, char **argv);
struct bh_key;
/*
 * A key passphrase, into out: $BULKHEAD_PASSWORD, else $COSIGN_PASSWORD (set
 * and empty is the empty passphrase), else password_file (one trailing
 * newline dropped), else the terminal on stdin without echo (twice when
 * `confirm`); refused when stdin is not a terminal.
 */
int cli_passphrase(const char *password_file, bool confirm, struct bh_buf *out,
		   struct bh_error **err);
/* A private key file, asking for its passphrase only when it is encrypted. */
int cli_load_private_key(const char *path, const char *password_file, struct bh_key **out,
			 struct bh_error **err);
/* "sbom", "vuln" or a URI -> the in-toto predicate type; NULL if unknown. */
const char *cli_predicate_type(const char *type);
/* registries (src/cli/pull.c, push.c, registry.c) */
int cmd_pull(int argc, char **argv, struct bh_cli *cli);
int cmd_push(int argc, char **argv, struct bh_cli *cli);
int cmd_registry(int argc, char **argv, struct bh_cli *cli);

/* policy validate and check (src/cli/policy.c) */
int cmd_policy(int argc, char **argv, struct bh_cli *cli);
/* monitor (src/cli/monitor.c) */
int cmd_monitor(int argc, char **argv, struct bh_cli *cli);
/* rules check, test, fields (src/cli/rules.c) */
int cmd_rules(int argc, char **argv, struct bh_cli *cli);
/* `bulkhead monitor profile ...` (src/cli/monitor_profile.c). */
int cmd_monitor_profile(int argc, char **argv, struct bh_cli *cli);
/* admission serve (src/cli/admission.c) */
int cmd_admission(int argc, char **argv, struct bh_cli *cli);
int cmd_serve(int argc, char **argv, struct bh_cli *cli);
int cmd_agent(int argc, char **argv, struct bh_cli *cli);
struct bh_rules;
/* src/cli/monitor.c: the rules files given (n of them), else the installed
 * default set, compiled; their diagnostics on stderr; NULL on an error. */
struct bh_rules *cli_monitor_load_rules(char **files, size_t n, struct bh_error **err);
struct bh_ctr_opts;
struct bh_mon_source;
/* The kernel source's settings of `monitor` and `agent` (cli_monitor_source). */
struct cli_mon_source_opts {
	uint64_t types;		   /* event types besides the rules' */
	bool writes;		   /* opens for write too (behaviour profiles learn them) */
	enum bh_mon_compat compat; /* 32-bit calls */
	size_t ring_bytes;	   /* the kernel ring's size; 0 = the source's default */
};
/* src/cli/monitor.c: the event source of `monitor` and `agent`: the replay
 * file, else the kernel source for what the rules (and o->types) can match,
 * its open filter from the rules (every open when types names an open type;
 * writes too when o->writes), 32-bit calls as o->compat says (a warning on
 * stderr when the kernel runs them and they are not watched). */
int cli_monitor_source(const char *replay, const struct bh_rules *rs, const struct bh_ctr_opts *co,
		       const struct cli_mon_source_opts *o, struct bh_mon_source **out,
		       struct bh_error **err);

/* Print the version lines (bulkhead + linked libraries). */
void cli_print_version(FILE *fp);

#endif /* BULKHEAD_CLI_H */
