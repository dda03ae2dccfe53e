/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVSS base scores and severities. v3.0/v3.1: the specification's example
 * vectors and edge cases, and every one of the 2592 base vectors of each
 * version; v4.0: every one of the 104,976 base vectors. The exhaustive
 * checks compare a SHA-256 of all scores (one "%.1f\n" line per vector, in
 * the enumeration order below) with the digest of the scores computed by
 * the npm package ae-cvss-calculator 1.0.13, which agrees on all of them
 * with a literal port of FIRST's reference calculator (cvss40.js, with its
 * 2024-11 rounding fix) for v4.0.
 */
#include <math.h>

#include "unit.h"
#include "bulkhead/vuln.h"

struct vec {
	const char *vector;
	double score;
};

/* The v3.1 specification's examples (CVE-2013-1937, CVE-2013-0375,
 * CVE-2014-3566, CVE-2012-1516, ...) and edge cases; scores checked with
 * ae-cvss-calculator. */
static const struct vec v3_examples[] = {
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1 },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4 },
	{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1 },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9 },
	{ "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2 },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8 },
	{ "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
	{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8 },
	{ "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8 },
	{ "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:N", 7.4 },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4 },
	{ "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8 },
	{ "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.6 },
	{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6 },
	{ "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8 },
	{ "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5 },
	{ "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:N", 2.7 },
	{ "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", 4.7 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0 },
	{ "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6 },
	{ "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N", 5.0 },
	{ "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N", 5.0 },
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/MAV:P/MS:C/MC:N", 9.8 },
	{ "CVSS:3.1/S:U/AV:N/I:H/AC:L/PR:N/UI:N/C:H/A:H", 9.8 },
	{ "CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L", 5.1 },
	{ "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L", 5.1 },
};

/* v4.0 examples (base metrics only count), scores from the reference. */
static const struct vec v4_examples[] = {
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H", 8.6 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0 },
	{ "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0 },
	{ "CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N", 6.1 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L/MAV:P", 9.3 },
	{ "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:I/V:C/RE:H/"
	  "U:Red",
	  8.5 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N/IR:M/AR:X/MPR:N/MVI:H/"
	  "AU:X",
	  4.1 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:A/VC:N/VI:H/VA:L/SC:N/SI:N/SA:H/CR:M/MAV:N/MVC:H/MVI:L/"
	  "MVA:H/MSC:H/MSI:N/RE:M",
	  5.6 },
	{ "CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:A/VC:H/VI:L/VA:N/SC:L/SI:H/SA:L/MAV:L/MPR:L/MSC:N/MSI:S/"
	  "V:C",
	  5.8 },
	{ "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:N/SC:H/SI:H/SA:H/MUI:P/MVC:L/S:X/AU:N",
	  5.0 },
	{ "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:N/VI:L/VA:H/SC:L/SI:L/SA:H/E:X/CR:L/MAC:L/MUI:A/"
	  "MVA:X/MSA:L/R:U",
	  6.9 },
	{ "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:L/VA:L/SC:L/SI:N/SA:L/MVA:X/AU:N/V:C/RE:H",
	  6.8 },
	{ "CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:A/VC:H/VI:N/VA:L/SC:L/SI:L/SA:H/IR:M/AR:L/MUI:X/MVC:N/"
	  "MVA:H/AU:Y/RE:X/U:Clear",
	  5.8 },
	{ "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:H/SI:H/SA:N/AR:L/MUI:P/MSC:N/S:X",
	  8.4 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/AR:X/MSA:L/U:Amber",
	  6.0 },
	{ "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:P/VC:H/VI:N/VA:L/SC:L/SI:N/SA:N/IR:M/AR:X/MUI:X/MVC:L/"
	  "MSC:H/MSI:X/MSA:X/S:P/AU:N/V:C",
	  5.9 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:L/VI:H/VA:L/SC:H/SI:N/SA:H/E:A/MAV:X/MAT:N/MVC:X/"
	  "MVI:N/S:N",
	  8.3 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:H/SI:L/SA:H/MSA:H/AU:N/R:I/V:X/RE:H/"
	  "U:X",
	  2.3 },
	{ "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:A/VC:L/VI:H/VA:L/SC:H/SI:L/SA:N/MUI:P/MVC:H/MVI:N/R:I/"
	  "V:X",
	  5.8 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:L/VI:H/VA:N/SC:H/SI:L/SA:H/IR:X/MVC:N/R:U/U:Clear",
	  8.4 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:P/VC:N/VI:N/VA:L/SC:N/SI:H/SA:N/E:P/IR:M/MAT:P/MPR:H/"
	  "MVA:N/MSA:X/S:X",
	  4.6 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:L/VI:H/VA:H/SC:N/SI:N/SA:H/E:P/MAV:N/MVC:L/S:P/"
	  "AU:N",
	  5.7 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:A/VC:H/VI:L/VA:N/SC:N/SI:L/SA:L/MAC:H/MVC:L/MSC:N/MSA:S/"
	  "V:D",
	  4.3 },
	{ "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:A/VC:N/VI:H/VA:L/SC:N/SI:N/SA:N/MAT:P/MPR:H/S:X/AU:X/"
	  "V:C",
	  5.9 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:L/VI:L/VA:H/SC:H/SI:N/SA:N/MVA:X/MSA:H/S:X/R:I/V:D/"
	  "U:Clear",
	  6.9 },
	{ "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:L/SC:H/SI:H/SA:L/AR:H/MAT:N/MVI:L/MVA:N/"
	  "MSC:H/MSI:N/MSA:S/AU:N/V:C/U:Green",
	  6.2 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:N/VI:H/VA:H/SC:L/SI:N/SA:H/MPR:L/MUI:X/MVC:H/MVI:L/"
	  "MVA:X/MSC:X/RE:X",
	  5.8 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:L/E:A/MPR:X/MVI:L/MSC:L/"
	  "S:P/AU:N/RE:M",
	  9.2 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H/MAV:L/MUI:P/MSI:S/MSA:X/"
	  "AU:Y",
	  6.5 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:H/SA:L/CR:X/IR:M/AR:L/MAV:P/"
	  "MAC:X/MVC:N/V:D/RE:M/U:Green",
	  7.8 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:H/SI:L/SA:L/MAC:L/MPR:H/MUI:A/MVA:N/"
	  "MSI:H/RE:X",
	  2.1 },
	{ "CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:L/SI:H/SA:L/MPR:X/MVA:L/MSC:L/AU:X",
	  2.1 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:L/VI:H/VA:N/SC:L/SI:H/SA:N/CR:H/MSI:S/MSA:S/R:X/"
	  "U:Red",
	  5.7 },
	{ "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:N/VC:L/VI:N/VA:L/SC:N/SI:L/SA:H/MAV:X/MAC:X/MVC:N/MSC:L/"
	  "MSI:S/MSA:X/V:C/RE:M",
	  4.5 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:L/SI:L/SA:N/E:U/MAV:L/MVA:X/MSA:L/"
	  "AU:N",
	  7.5 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:L/VA:L/SC:H/SI:L/SA:L/MAV:A/MAC:H/MPR:L/MVI:N/"
	  "MSA:S/AU:X/V:X",
	  6.3 },
	{ "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:L/SI:H/SA:H/E:X/CR:H/AR:M/MAV:L/"
	  "MUI:X/MSI:S/MSA:H/AU:Y/R:A",
	  4.5 },
	{ "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:P/VC:H/VI:N/VA:N/SC:H/SI:L/SA:H/CR:L/IR:M/MAV:A/MAT:P/"
	  "MPR:L/MVA:H/RE:L/U:Red",
	  7.1 },
	{ "CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:L/CR:X/IR:X/MAV:A/MAC:X/"
	  "MAT:P/MUI:A/MVI:N/MVA:X/MSI:L/S:P/AU:N/R:X",
	  4.3 },
	{ "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:H/VI:H/VA:L/SC:L/SI:H/SA:H/IR:H/MAV:P/MAC:H/MPR:H/"
	  "MUI:A/MVC:X/AU:X/U:Red",
	  8.5 },
	{ "CVSS:4.0/AV:A/AC:L/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:H/SI:H/SA:N/E:P/CR:H/AR:M/MAV:L/"
	  "MUI:P/MSC:H/MSI:L/S:X/U:Red",
	  2.1 },
	{ "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:H/SC:N/SI:H/SA:H/MAV:P/MAC:H/MVI:L/MVA:N/"
	  "MSC:L",
	  7.1 },
	{ "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:L/SI:N/SA:L/MPR:H/MVA:X/MSI:N/AU:N/"
	  "U:Clear",
	  6.7 },
	{ "CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:P/VC:H/VI:H/VA:H/SC:H/SI:L/SA:H/E:P/MAV:A/MUI:P", 7.2 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:H/SC:N/SI:L/SA:N/MAV:X/MAC:X/MAT:P/MUI:P/"
	  "MVA:H/MSI:L/RE:H",
	  4.4 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:N/SC:H/SI:L/SA:N/MAC:H/MPR:X/MUI:N/MVI:H/"
	  "MSI:X/U:Amber",
	  8.5 },
	{ "CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:N/IR:L/MAV:L/MAC:H/MPR:H/"
	  "MVC:L/MVA:L/MSC:L/R:A/U:X",
	  9.2 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:H/VA:H/SC:N/SI:L/SA:N/CR:L/MUI:N/MVC:N/MVA:N",
	  7.0 },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:N/VI:N/VA:L/SC:L/SI:H/SA:H/IR:M/AR:M/MPR:N/MUI:X/"
	  "MVI:X/MVA:N/MSI:L/MSA:N/RE:M",
	  6.1 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:N/VC:N/VI:L/VA:H/SC:H/SI:L/SA:N/CR:X/MAC:L/MPR:H/MUI:P/"
	  "MVA:H/AU:N",
	  7.1 },
	{ "CVSS:4.0/AV:P/AC:L/AT:P/PR:H/UI:A/VC:H/VI:H/VA:L/SC:L/SI:L/SA:L/CR:X/MAT:P/MUI:A/MVI:N/"
	  "MSC:L/S:X/V:D/U:Red",
	  5.3 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:P/VC:N/VI:L/VA:H/SC:N/SI:L/SA:L/E:A/MAT:P/MUI:N/MVC:H/"
	  "MSC:L/MSA:X/R:U/V:C",
	  4.3 },
	{ "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:H/SI:L/SA:H/AR:H/MAC:X/MVC:H/MVA:H/"
	  "V:C/U:X",
	  7.2 },
	{ "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:H/VI:L/VA:N/SC:N/SI:N/SA:H/AR:H/MVC:X/S:X/AU:X",
	  5.6 },
	{ "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:L/SI:H/SA:H/AR:L/MAT:N/MVC:N/R:X",
	  4.5 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:H/VI:N/VA:L/SC:L/SI:L/SA:H/E:P/MUI:P/MVI:X/MSC:N/"
	  "MSA:N/S:N/AU:N",
	  5.8 },
	{ "CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:A/VC:H/VI:L/VA:N/SC:L/SI:H/SA:H/E:A/AR:L/MAT:P/MPR:H/"
	  "MVC:X/MVA:H/MSC:L/R:A",
	  7.0 },
	{ "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:H/VI:H/VA:L/SC:N/SI:L/SA:N/MVA:N/MSI:H/V:D/RE:M",
	  5.3 },
	{ "CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:H/SI:H/SA:H/CR:X/IR:H/MAV:A/MPR:X/"
	  "MUI:N/MVI:N/MSI:X",
	  7.4 },
	{ "CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:L/IR:L/MAC:H/MVC:L/V:X/"
	  "RE:M",
	  5.1 },
	{ "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:A/VC:H/VI:L/VA:H/SC:L/SI:L/SA:N/CR:X/MAV:N/MUI:N/S:N/"
	  "V:D",
	  5.3 },
	{ "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:N/VI:H/VA:L/SC:N/SI:H/SA:L/MPR:X/MUI:P/MSI:S/MSA:S/"
	  "V:X",
	  6.9 },
	{ "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:A/VC:N/VI:L/VA:N/SC:H/SI:H/SA:H/IR:M/MAV:N/MAC:H/MAT:P/"
	  "MVC:X/MVI:L/MSC:N/R:X",
	  4.7 },
	{ "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:L/SA:H/E:U/IR:L/MAC:X/MVC:N/"
	  "AU:Y/R:U/V:D/RE:H",
	  5.7 },
	{ "CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:L/VI:N/VA:L/SC:L/SI:N/SA:H/E:P/CR:M/AR:H/MAV:P/"
	  "MAC:L/MPR:N/S:P/AU:X/V:X/U:Clear",
	  4.5 },
	{ "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:L/VI:H/VA:N/SC:L/SI:N/SA:H/MAT:N/MPR:H/MUI:X/MSA:H",
	  7.0 },
};

static const char *const v3_bad[] = {
	"",
	"CVSS:3.1",
	"CVSS:3.1/",
	"CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",
	"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:N",
	"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
};

static const char *const v4_bad[] = {
	"",
	"CVSS:4.0",
	"CVSS:4.0/",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
	"CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:H/E:A",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A:B",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:A",
	"CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E",
	"CVSS:4.0/AV:N",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check(int (*fn)(const char *, double *, struct bh_error **), const struct vec *v,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct bh_error *err = NULL;
		double s = -1;

		if (fn(v[i].vector, &s, &err) < 0) {
			char *m = bh_error_message(err);

			fail_msg("%s: %s", v[i].vector, m);
		}
		if (fabs(s - v[i].score) > 1e-9)
			fail_msg("%s: %.1f, want %.1f", v[i].vector, s, v[i].score);
	}
}

static void test_cvss3_examples(void **state)
{
	check(bh_cvss3_score, v3_examples, N(v3_examples));
}

static void test_cvss4_examples(void **state)
{
	check(bh_cvss4_score, v4_examples, N(v4_examples));
}

static void digest_of(struct bh_hasher *h, double s)
{
	char line[16];
	int n = snprintf(line, sizeof(line), "%.1f\n", s);

	bh_hasher_update(h, line, (size_t)n);
}

static void test_cvss3_every_base_vector(void **state)
{
	static const char *const vals[8] = { "NALP", "LH", "NLH", "NR", "UC", "HLN", "HLN", "HLN" };
	static const char *const keys[8] = { "AV", "AC", "PR", "UI", "S", "C", "I", "A" };
	struct bh_hasher *h;
	struct bh_digest d;
	int idx[8], count = 0;

	assert_int_equal(bh_hasher_new(BH_HASH_SHA256, &h, NULL), 0);
	for (int ver = 0; ver < 2; ver++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			char vec[128];
			size_t o = (size_t)snprintf(vec, sizeof(vec), "CVSS:3.%d", ver);
			double s;
			int k;

			for (k = 0; k < 8; k++)
				o += (size_t)snprintf(vec + o, sizeof(vec) - o, "/%s:%c", keys[k],
						      vals[k][idx[k]]);
			assert_int_equal(bh_cvss3_score(vec, &s, NULL), 0);
			assert_true(s >= 0 && s <= 10);
			digest_of(h, s);
			count++;
			for (k = 7; k >= 0; k--) {
				if (vals[k][++idx[k]])
					break;
				idx[k] = 0;
			}
			if (k < 0)
				break;
		}
	}
	bh_hasher_final(h, &d);
	bh_hasher_free(h);
	assert_int_equal(count, 5184);
	assert_string_equal(
		d.str, "sha256:e6fa542330192e2a1a97a65fdd7988c1804381a6a9e9f320c2ea37876fbc0eac");
}

static void test_cvss4_every_base_vector(void **state)
{
	static const char *const vals[11] = { "NALP", "LH",  "NP",  "NLH", "NPA", "HLN",
					      "HLN",  "HLN", "HLN", "HLN", "HLN" };
	static const char *const keys[11] = { "AV", "AC", "AT", "PR", "UI", "VC",
					      "VI", "VA", "SC", "SI", "SA" };
	struct bh_hasher *h;
	struct bh_digest d;
	int idx[11] = { 0 }, count = 0;

	assert_int_equal(bh_hasher_new(BH_HASH_SHA256, &h, NULL), 0);
	for (;;) {
		char vec[160];
		size_t o = (size_t)snprintf(vec, sizeof(vec), "CVSS:4.0");
		double s;
		int k;

		for (k = 0; k < 11; k++)
			o += (size_t)snprintf(vec + o, sizeof(vec) - o, "/%s:%c", keys[k],
					      vals[k][idx[k]]);
		assert_int_equal(bh_cvss4_score(vec, &s, NULL), 0);
		assert_true(s >= 0 && s <= 10);
		digest_of(h, s);
		count++;
		for (k = 10; k >= 0; k--) {
			if (vals[k][++idx[k]])
				break;
			idx[k] = 0;
		}
		if (k < 0)
			break;
	}
	bh_hasher_final(h, &d);
	bh_hasher_free(h);
	assert_int_equal(count, 104976);
	assert_string_equal(
		d.str, "sha256:c03fa30a63957b282f68e73d0c6419de1af387cdb80a36e0a9e0c00e666f46a3");
}

static void test_cvss_bad_vectors(void **state)
{
	struct bh_error *err = NULL;
	double s = -1;
	char *big;

	for (size_t i = 0; i < N(v3_bad); i++) {
		if (bh_cvss3_score(v3_bad[i], &s, &err) == 0)
			fail_msg("'%s' should be refused", v3_bad[i]);
		assert_error(err, BH_ERR_INVALID, "invalid CVSS vector");
		bh_error_clear(&err);
	}
	for (size_t i = 0; i < N(v4_bad); i++) {
		if (bh_cvss4_score(v4_bad[i], &s, &err) == 0)
			fail_msg("'%s' should be refused", v4_bad[i]);
		assert_error(err, BH_ERR_INVALID, "invalid CVSS vector");
		bh_error_clear(&err);
	}
	assert_int_equal(bh_cvss3_score(NULL, &s, &err), -1);
	bh_error_clear(&err);
	assert_int_equal(bh_cvss4_score(NULL, &s, &err), -1);
	bh_error_clear(&err);
	big = bh_malloc(100001);
	memset(big, 'A', 100000);
	big[100000] = 0;
	memcpy(big, "CVSS:4.0/", 9);
	assert_int_equal(bh_cvss4_score(big, &s, &err), -1);
	assert_error(err, BH_ERR_INVALID, "longer than");
	bh_error_clear(&err);
	memcpy(big, "CVSS:3.1/", 9);
	assert_int_equal(bh_cvss3_score(big, &s, &err), -1);
	bh_error_clear(&err);
	free(big);
	assert_true(s == -1);
}

static void test_severity(void **state)
{
	static const struct {
		double score;
		enum bh_severity sev;
	} scale[] = {
		{ -1, BH_SEV_UNKNOWN },	  { 0.0, BH_SEV_UNKNOWN },  { 0.05, BH_SEV_UNKNOWN },
		{ 0.1, BH_SEV_LOW },	  { 3.9, BH_SEV_LOW },	    { 3.95, BH_SEV_LOW },
		{ 4.0, BH_SEV_MEDIUM },	  { 6.9, BH_SEV_MEDIUM },   { 7.0, BH_SEV_HIGH },
		{ 8.9, BH_SEV_HIGH },	  { 9.0, BH_SEV_CRITICAL }, { 10.0, BH_SEV_CRITICAL },
		{ 10.1, BH_SEV_UNKNOWN }, { NAN, BH_SEV_UNKNOWN },
	};
	static const struct {
		const char *name;
		int r;
		enum bh_severity sev;
	} names[] = {
		{ "LOW", 0, BH_SEV_LOW },	  { "low", 0, BH_SEV_LOW },
		{ "Medium", 0, BH_SEV_MEDIUM },	  { "moderate", 0, BH_SEV_MEDIUM },
		{ "MODERATE", 0, BH_SEV_MEDIUM }, { "high", 0, BH_SEV_HIGH },
		{ "Important", 0, BH_SEV_HIGH },  { "CRITICAL", 0, BH_SEV_CRITICAL },
		{ "unknown", 0, BH_SEV_UNKNOWN }, { "", -1, BH_SEV_UNKNOWN },
		{ "severe", -1, BH_SEV_UNKNOWN }, { "high ", -1, BH_SEV_UNKNOWN },
	};

	for (size_t i = 0; i < N(scale); i++)
		assert_int_equal(bh_severity_from_score(scale[i].score), scale[i].sev);
	for (size_t i = 0; i < N(names); i++) {
		enum bh_severity s = 99;

		assert_int_equal(bh_severity_parse(names[i].name, &s), names[i].r);
		if (!names[i].r)
			assert_int_equal(s, names[i].sev);
	}
	assert_int_equal(bh_severity_parse(NULL, &(enum bh_severity){ 0 }), -1);
	assert_string_equal(bh_severity_name(BH_SEV_UNKNOWN), "UNKNOWN");
	assert_string_equal(bh_severity_name(BH_SEV_LOW), "LOW");
	assert_string_equal(bh_severity_name(BH_SEV_MEDIUM), "MEDIUM");
	assert_string_equal(bh_severity_name(BH_SEV_HIGH), "HIGH");
	assert_string_equal(bh_severity_name(BH_SEV_CRITICAL), "CRITICAL");
	assert_string_equal(bh_severity_name((enum bh_severity)42), "UNKNOWN");
	/* round trip through the scale: a vector's score gives its rating */
	{
		double s;

		assert_int_equal(
			bh_cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s, NULL),
			0);
		assert_int_equal(bh_severity_from_score(s), BH_SEV_CRITICAL);
		assert_int_equal(
			bh_cvss4_score(
				"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H",
				&s, NULL),
			0);
		assert_int_equal(bh_severity_from_score(s), BH_SEV_HIGH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvss3_examples),
		cmocka_unit_test(test_cvss4_examples),
		cmocka_unit_test(test_cvss3_every_base_vector),
		cmocka_unit_test(test_cvss4_every_base_vector),
		cmocka_unit_test(test_cvss_bad_vectors),
		cmocka_unit_test(test_severity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
