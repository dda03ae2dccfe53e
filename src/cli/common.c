/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers every command shares: option errors, image options, failures, logging, output. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "banned.h"

const char *cli_color(bool on, const char *code)
{
	return on ? code : "";
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulkhead%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'bulkhead%s%s --help')\n", cmd ? " " : "", cmd ? cmd : "");
	return BH_EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *cmd)
{
	char spec[128];
	const char *arg;
	int saved = opterr, c;

	/* A leading ':' (after an optional '+', which stops at the first operand)
	 * makes getopt tell a missing argument (':') from an unknown option. */
	if (shortopts[0] == '+')
		snprintf(spec, sizeof(spec), "+:%s", shortopts + 1);
	else
		snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	opterr = saved;
	if (c != '?' && c != ':')
		return c;
	arg = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
	if (arg && bh_str_has_prefix(arg, "--")) {
		size_t n = strcspn(arg, "=");

		if (c == ':')
			cli_usage_error(cmd, "option '%.*s' needs an argument", (int)n, arg);
		else if (optopt && arg[n] == '=')
			cli_usage_error(cmd, "option '%.*s' takes no argument", (int)n, arg);
		else
			cli_usage_error(cmd, "unknown option '%.*s'", (int)n, arg);
	} else if (c == ':') {
		cli_usage_error(cmd, "option '-%c' needs an argument", optopt);
	} else {
		cli_usage_error(cmd, "unknown option '-%c'", optopt);
	}
	return '?';
}

int cli_image_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		     const char *cmd, struct cli_image_opts *o)
{
	uint64_t v;
	size_t n;
	int c;

	o->open.registry = &o->registry;
	for (;;) {
		switch ((c = cli_getopt(argc, argv, shortopts, longopts, cmd))) {
		case CLI_OPT_PLATFORM: o->open.platform = optarg; break;
		case CLI_OPT_REF: o->open.ref = optarg; break;
		case CLI_OPT_THREADS:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v > 1024) {
				cli_usage_error(cmd, "--threads: '%s' is not 0..1024", optarg);
				return '?';
			}
			o->threads = (unsigned)v;
			break;
		case CLI_OPT_CACERT: o->registry.cacert = optarg; break;
		case CLI_OPT_CERT_DIR:
			o->cert_dirs[0] = optarg;
			o->registry.cert_dirs = o->cert_dirs;
			break;
		case CLI_OPT_INSECURE:
			for (n = 0; o->insecure[n]; n++)
				;
			if (n == CLI_MAX_INSECURE || !*optarg || strchr(optarg, '/')) {
				cli_usage_error(
					cmd,
					"--insecure-registry: '%s' is not HOST[:PORT] (at most "
					"%d)",
					optarg, CLI_MAX_INSECURE);
				return '?';
			}
			o->insecure[n] = optarg;
			o->registry.insecure = o->insecure;
			break;
		case CLI_OPT_AUTHFILE: o->registry.authfile = optarg; break;
		case CLI_OPT_REG_TIMEOUT:
			if (bh_parse_u64(optarg, &v, NULL) < 0 || v < 1 || v > 3600) {
				cli_usage_error(cmd,
						"--registry-timeout: '%s' is not 1..3600 seconds",
						optarg);
				return '?';
			}
			o->registry.timeout = (unsigned)v;
			break;
		default: return c;
		}
	}
}

int cli_first_closed_fd(void)
{
	int fd = 3;

	while (fd < (1 << 20) && (fcntl(fd, F_GETFD) >= 0 || errno != EBADF))
		fd++;
	return fd;
}

int cli_fail(struct bh_error *err)
{
	char *msg = bh_error_message(err);

	bh_log(BH_LOG_ERROR, "%s", msg);
	free(msg);
	bh_error_free(err);
	return BH_EXIT_ERROR;
}

/* The length of the valid UTF-8 sequence at s (n bytes there), s[0] >= 0x80, that
 * is not a C1 control; 0 when none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t l = bh_utf8_seq(s, n, &cp);

	return cp < 0xa0 ? 0 : l;
}

char *cli_text_safe(const char *s)
{
	size_t n = strlen(s), o = 0, l;
	char *t = bh_malloc(n * 4 + 1);

	for (size_t i = 0; i < n; i += l) {
		unsigned char c = (unsigned char)s[i];

		l = c < 0x80 ? 1 : utf8_seq((const unsigned char *)s + i, n - i);
		if (c < 0x80 && bh_isprint(c)) {
			t[o++] = (char)c;
		} else if (l > 1) {
			memcpy(t + o, s + i, l);
			o += l;
		} else {
			snprintf(t + o, 5, "\\x%02x", c);
			o += 4;
			l = 1;
		}
	}
	t[o] = 0;
	return t;
}

int cli_fail_safe(struct bh_error *err)
{
	char *msg = bh_error_message(err), *safe = cli_text_safe(msg);

	bh_log(BH_LOG_ERROR, "%s", safe);
	free(safe);
	free(msg);
	bh_error_free(err);
	return BH_EXIT_ERROR;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return BH_EXIT_OK;
}

int cli_parse_duration(const char *s, double *out)
{
	double total = 0;

	if (!s || !*s)
		return -1;
	while (*s) {
		char *end;
		double v;

		if (!bh_isdigit((unsigned char)*s) && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s || !(v >= 0))
			return -1;
		switch (*end) {
		case 's': end++; break;
		case 'm':
			v *= 60;
			end++;
			break;
		case 'h':
			v *= 3600;
			end++;
			break;
		case 'd':
			v *= 86400;
			end++;
			break;
		case 0:
			if (total > 0)
				return -1; /* "1h30": the unit of 30 is missing */
			break;
		default: return -1;
		}
		total += v;
		s = end;
	}
	if (total > 1e9)
		return -1;
	*out = total;
	return 0;
}

int cli_print_json(json_t *v, size_t flags)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2) | flags) : NULL;

	json_decref(v);
	if (!s)
		return BH_EXIT_ERROR;
	puts(s);
	free(s);
	return BH_EXIT_OK;
}

static void json_escape(FILE *fp, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
}

static void log_handler(enum bh_log_level level, const char *msg, void *data)
{
	struct bh_cli *cli = data;
	FILE *fp = cli->log_fp ? cli->log_fp : stderr;

	if (cli->log_format == CLI_LOG_JSON) {
		char when[BH_TIME_MAX];

		fprintf(fp, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
			bh_time_rfc3339(NULL, 3, when), bh_log_level_name(level));
		json_escape(fp, msg);
		fputs("\"}\n", fp);
		fflush(fp);
		return;
	}
	switch (level) {
	case BH_LOG_ERROR:
		fprintf(fp, "bulkhead: %serror:%s %s\n", cli_color(cli->color_stderr, CLI_RED),
			cli_color(cli->color_stderr, CLI_RESET), msg);
		break;
	case BH_LOG_WARN:
		fprintf(fp, "bulkhead: %swarning:%s %s\n", cli_color(cli->color_stderr, CLI_YELLOW),
			cli_color(cli->color_stderr, CLI_RESET), msg);
		break;
	default:
		fprintf(fp, "bulkhead: %s%s:%s %s\n", cli_color(cli->color_stderr, CLI_DIM),
			bh_log_level_name(level), cli_color(cli->color_stderr, CLI_RESET), msg);
		break;
	}
}

void cli_log_init(struct bh_cli *cli)
{
	bh_log_set_handler(log_handler, cli);
}

int cli_output_open(struct cli_output *o, const char *path, struct bh_error **err)
{
	int fd;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->fp = stdout;
		return 0;
	}
	o->path = bh_strdup(path);
	fd = bh_tmp_beside(path, 0644, &o->tmppath, err);
	if (fd < 0)
		goto fail;
	if (!(o->fp = fdopen(fd, "w"))) {
		bh_error_sys(err, errno, "opening output file %s", o->tmppath);
		close(fd);
		unlink(o->tmppath);
		goto fail;
	}
	return 0;
fail:
	free(o->path);
	free(o->tmppath);
	memset(o, 0, sizeof(*o));
	return -1;
}

int cli_output_close(struct cli_output *o, bool ok, struct bh_error **err)
{
	int r = 0;

	if (!o->fp)
		return 0;
	if (!o->path) {
		if (fflush(stdout) != 0 && ok)
			r = bh_error_sys(err, errno, "writing to standard output");
		o->fp = NULL;
		return r;
	}
	if (fclose(o->fp) != 0 && ok)
		r = bh_error_sys(err, errno, "writing %s", o->tmppath);
	if (ok && r == 0 && rename(o->tmppath, o->path) < 0)
		r = bh_error_sys(err, errno, "renaming %s to %s", o->tmppath, o->path);
	if (!ok || r < 0)
		unlink(o->tmppath);
	free(o->path);
	free(o->tmppath);
	memset(o, 0, sizeof(*o));
	return r;
}

void cli_on_signals(void (*handler)(int), int flags, ...)
{
	struct sigaction sa;
	va_list ap;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	va_start(ap, flags);
	while ((sig = va_arg(ap, int)) != 0)
		sigaction(sig, &sa, NULL);
	va_end(ap);
}
