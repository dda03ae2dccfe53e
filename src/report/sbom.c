/* SPDX-License-Identifier: Apache-2.0 */
/* What both SBOM writers need besides licences: serial numbers, timestamps, the image's name. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"
#include "banned.h"

void report_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(b)) {
		/* no entropy source: time and address, still unique enough for a serial */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, sizeof(ts) < sizeof(b) ? sizeof(ts) : sizeof(b));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

const char *report_created(const char *created, char out[BH_TIME_MAX])
{
	return created ? created : bh_time_rfc3339(NULL, 0, out);
}

const char *report_image_name(const struct bh_image *img)
{
	const char *base;

	if (!img)
		return "unknown";
	if (img->name && *img->name)
		return img->name;
	base = strrchr(img->location, '/');
	return base && base[1] ? base + 1 : img->location;
}
