/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 3339 times, formatted and parsed by calendar arithmetic (Howard
 * Hinnant's days-from-civil and civil-from-days), so no code here or
 * elsewhere needs gmtime_r/timegm and the C library's time-zone state
 * (banned.h bans that family); the monotonic clock read in one place.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulkhead/base.h"
#include "banned.h"

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

struct civil {
	int64_t year;
	unsigned mon, day, hour, min, sec;
};

static void civil(int64_t t, struct civil *c)
{
	int64_t days = t / 86400, rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &c->year, &c->mon, &c->day);
	c->hour = (unsigned)(rem / 3600);
	c->min = (unsigned)(rem / 60 % 60);
	c->sec = (unsigned)(rem % 60);
}

const char *bh_time_rfc3339(const struct timespec *ts, unsigned frac, char buf[BH_TIME_MAX])
{
	struct timespec now;
	struct civil c;
	char f[12] = "";
	unsigned ns;

	if (!ts) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	civil((int64_t)ts->tv_sec, &c);
	ns = (unsigned)(ts->tv_nsec % 1000000000);
	if (frac == 3)
		snprintf(f, sizeof(f), ".%03u", ns / 1000000 % 1000);
	else if (frac == 6)
		snprintf(f, sizeof(f), ".%06u", ns / 1000 % 1000000);
	else if (frac == 9)
		snprintf(f, sizeof(f), ".%09u", ns);
	snprintf(buf, BH_TIME_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u%sZ", (long long)c.year, c.mon,
		 c.day, c.hour, c.min, c.sec, f);
	return buf;
}

const char *bh_time_short(int64_t t, char buf[BH_TIME_MAX])
{
	struct civil c;

	civil(t, &c);
	snprintf(buf, BH_TIME_MAX, "%04lld-%02u-%02u %02u:%02u", (long long)c.year, c.mon, c.day,
		 c.hour, c.min);
	return buf;
}

/* Exactly n digits at *p, advancing it. */
static bool digits(const char **p, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!bh_isdigit((*p)[i]))
			return false;
		v = v * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int bh_time_parse(const char *s, bool date_only_ok, int64_t *out, struct bh_error **err)
{
	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int sign = 0;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		goto bad;
	if (!*p && date_only_ok)
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	/* seconds may be 60 (a leap second), counted as the next second's start */
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
	    !digits(&p, 2, &sec) || h > 23 || mi > 59 || sec > 60)
		goto bad;
	if (*p == '.') {
		if (!bh_isdigit(*++p))
			goto bad;
		while (bh_isdigit(*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
done:
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
bad:
	return bh_error_set(err, BH_ERR_INVALID, "'%.64s' is not an RFC 3339 %s", s,
			    date_only_ok ? "date or date-time" : "date-time");
}

uint64_t bh_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bh_mono_ms(void)
{
	return bh_mono_ns() / 1000000;
}
