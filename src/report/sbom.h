/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the SBOM writers (cyclonedx.c, spdx.c): SPDX licence identifiers,
 * UUIDs and timestamps. */
#ifndef BULKHEAD_REPORT_SBOM_H
#define BULKHEAD_REPORT_SBOM_H

#include <stdbool.h>

#include "bulkhead/image.h"

/* The canonical SPDX identifier matching s (case-insensitively), or NULL. */
const char *sbom_spdx_id(const char *s);
/* Whether s is an SPDX licence expression of known identifiers, LicenseRef-s,
 * AND, OR, WITH and parentheses (a single identifier counts). */
bool sbom_spdx_expression(const char *s);

/* A random (version 4) UUID, lowercase, into out. */
void sbom_uuid(char out[37]);
/* r->created, or the current time as RFC 3339 UTC ("2024-01-02T03:04:05Z"), into out. */
const char *sbom_created(const char *created, char out[BH_TIME_MAX]);
/* The name the image goes by in an SBOM: its reference name, else the file name. */
const char *sbom_image_name(const struct bh_image *img);

#endif
