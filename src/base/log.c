/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging through a handler the program installs. The handler and level are
 * process-wide settings made once by the CLI at start; the library only calls
 * through them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkhead/base.h"
#include "banned.h"

static bh_log_fn log_fn;
static void *log_data;
static enum bh_log_level log_level = BH_LOG_WARN;

void bh_log_set_handler(bh_log_fn fn, void *data)
{
	log_fn = fn;
	log_data = data;
}

void bh_log_set_level(enum bh_log_level level)
{
	log_level = level;
}

enum bh_log_level bh_log_get_level(void)
{
	return log_level;
}

bool bh_log_enabled(enum bh_log_level level)
{
	return log_fn && level <= log_level;
}

void bh_log(enum bh_log_level level, const char *fmt, ...)
{
	char small[512], *msg = small;
	va_list ap;
	int n;

	if (!bh_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		msg = bh_malloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	log_fn(level, msg, log_data);
	if (msg != small)
		free(msg);
}

const char *bh_log_level_name(enum bh_log_level level)
{
	switch (level) {
	case BH_LOG_ERROR: return "error";
	case BH_LOG_WARN: return "warn";
	case BH_LOG_INFO: return "info";
	case BH_LOG_DEBUG: return "debug";
	}
	return "?";
}

int bh_log_level_parse(const char *s)
{
	if (!strcmp(s, "error"))
		return BH_LOG_ERROR;
	if (!strcmp(s, "warn") || !strcmp(s, "warning"))
		return BH_LOG_WARN;
	if (!strcmp(s, "info"))
		return BH_LOG_INFO;
	if (!strcmp(s, "debug"))
		return BH_LOG_DEBUG;
	return -1;
}
