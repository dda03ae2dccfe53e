/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/report: SPDX licence identifiers and expressions (license.c);
 * UUIDs, timestamps and image names for the SBOM writers (sbom.c). */
#ifndef BULKHEAD_REPORT_INTERNAL_H
#define BULKHEAD_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkhead/image.h"

/* The SPDX identifiers (licences and exceptions), sorted as strcasecmp
 * orders them; generated from src/report/spdx_ids.txt. */
extern const char *const report_spdx_ids[];
extern const size_t report_spdx_nids;
/* The SPDX License List version they come from ("3.28.0"). */
extern const char *const report_spdx_list_version;

/* The canonical SPDX identifier matching s (case-insensitively), or NULL. */
const char *report_spdx_id(const char *s);
/* Whether s is an SPDX licence expression of known identifiers, LicenseRef-s,
 * AND, OR, WITH and parentheses (a single identifier counts). */
bool report_spdx_expression(const char *s);

/* A random (version 4) UUID, lowercase, into out. */
void report_uuid(char out[37]);
/* `created`, or the current time as RFC 3339 UTC ("2024-01-02T03:04:05Z") in out. */
const char *report_created(const char *created, char out[BH_TIME_MAX]);
/* The name the image goes by in an SBOM: its reference name, else the file name. */
const char *report_image_name(const struct bh_image *img);

#endif
