/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVSS base scores computed from vectors.
 *
 * v3.0 and v3.1 (https://www.first.org/cvss/v3.1/specification-document):
 * "CVSS:3.x/" and the eight base metrics, each exactly once and in any order;
 * temporal and environmental metrics are allowed (and checked) but do not
 * change the base score. Roundup is the v3.1 definition (integer arithmetic
 * on the input times 100000) for 3.1 and the v3.0 one (the smallest tenth at
 * or above the input) for 3.0, each as FIRST's reference calculator does it.
 *
 * v4.0 (https://www.first.org/cvss/v4.0/specification-document): the
 * vector must list the eleven base metrics, then optional threat,
 * environmental and supplemental metrics, in the specification's order. The
 * base score (CVSS-B: threat and environmental metrics taken as Not Defined)
 * is computed with the specification's MacroVector method: the six
 * equivalence classes pick a MacroVector and its score from the lookup table;
 * the score is lowered by the mean, over the classes that have a lower
 * MacroVector, of the vector's severity distance from the highest-severity
 * vectors of its MacroVector, as a proportion of that MacroVector's depth,
 * times the score difference to the next lower MacroVector. The lookup table
 * and the maximal vectors are the specification's (FIRST reference
 * calculator, cvss40.js); the arithmetic is done in the same order, in IEEE
 * doubles, and rounded as it rounds since its 2024-11 fix (half up, ties
 * lifted by 1e-6), so results match it on every one of the 104,976 base
 * vectors.
 */
#include <math.h>
#include <string.h>

#include "bulkhead/vuln.h"
#include "banned.h"

#define MAX_VECTOR 512

/*
 * The few libm functions needed, for the small non-negative values that occur
 * here (bulkhead does not link libm): exact floor and ceil, min, max, and an
 * integer power by repeated multiplication.
 */
static double floor_(double x)
{
	double t = (double)(long long)x;

	return t > x ? t - 1 : t;
}

static double ceil_(double x)
{
	double t = (double)(long long)x;

	return t < x ? t + 1 : t;
}

static double min_(double a, double b)
{
	return a < b ? a : b;
}

/* Math.max() of two: NaN (a missing MacroVector) if either is NaN. */
static double max_(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a > b ? a : b;
}

static double pow15(double x)
{
	double x2 = x * x, x4 = x2 * x2, x8 = x4 * x4;

	return x8 * x4 * x2 * x;
}

/* Math.round() of JavaScript: the nearest integer, halves rounded up. */
static double js_round(double x)
{
	double f = floor_(x);

	return x - f >= 0.5 ? f + 1 : f;
}

static int bad(struct bh_error **err, const char *vector, const char *why)
{
	return bh_error_set(err, BH_ERR_INVALID, "invalid CVSS vector '%.128s': %s", vector, why);
}

/* ---- CVSS v3 ---------------------------------------------------------------- */

struct metric3 {
	const char *key;
	const char *values; /* one letter each */
	bool base;
};

static const struct metric3 metrics3[] = {
	{ "AV", "NALP", true },	  { "AC", "LH", true },	    { "PR", "NLH", true },
	{ "UI", "NR", true },	  { "S", "UC", true },	    { "C", "HLN", true },
	{ "I", "HLN", true },	  { "A", "HLN", true },	    { "E", "XUPFH", false },
	{ "RL", "XOTWU", false }, { "RC", "XURC", false },  { "CR", "XLMH", false },
	{ "IR", "XLMH", false },  { "AR", "XLMH", false },  { "MAV", "XNALP", false },
	{ "MAC", "XLH", false },  { "MPR", "XNLH", false }, { "MUI", "XNR", false },
	{ "MS", "XUC", false },	  { "MC", "XNLH", false },  { "MI", "XNLH", false },
	{ "MA", "XNLH", false },
};

#define N3 (sizeof(metrics3) / sizeof(metrics3[0]))

static double roundup31(double x)
{
	long long i = (long long)js_round(x * 100000);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return ((double)(i / 10000) + 1) / 10.0;
}

static double roundup30(double x)
{
	return ceil_(x * 10) / 10;
}

int bh_cvss3_score(const char *vector, double *score, struct bh_error **err)
{
	char val[N3] = { 0 };
	const char *p;
	bool v31;
	double av, ac, pr, ui, c, i, a, iss, impact, expl, s;
	bool changed;

	if (!vector)
		return bad(err, "", "no vector");
	if (strnlen(vector, MAX_VECTOR + 1) > MAX_VECTOR)
		return bad(err, vector, "longer than 512 bytes");
	if (!strncmp(vector, "CVSS:3.1/", 9))
		v31 = true;
	else if (!strncmp(vector, "CVSS:3.0/", 9))
		v31 = false;
	else
		return bad(err, vector, "does not start with CVSS:3.0/ or CVSS:3.1/");
	for (p = vector + 9;;) {
		const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
		const char *end = slash ? slash : p + strlen(p);
		size_t k;

		if (!colon || colon > end)
			return bad(err, vector, "a metric is not KEY:VALUE");
		for (k = 0; k < N3; k++)
			if (strlen(metrics3[k].key) == (size_t)(colon - p) &&
			    !memcmp(metrics3[k].key, p, (size_t)(colon - p)))
				break;
		if (k == N3)
			return bad(err, vector, "unknown metric");
		if (val[k])
			return bad(err, vector, "a metric is given twice");
		if (end - colon != 2 || !strchr(metrics3[k].values, colon[1]))
			return bad(err, vector, "bad metric value");
		val[k] = colon[1];
		if (!slash)
			break;
		p = slash + 1;
	}
	for (size_t k = 0; k < N3; k++)
		if (metrics3[k].base && !val[k])
			return bad(err, vector, "a base metric is missing");

	changed = val[4] == 'C';
	av = val[0] == 'N' ? 0.85 : val[0] == 'A' ? 0.62 : val[0] == 'L' ? 0.55 : 0.2;
	ac = val[1] == 'L' ? 0.77 : 0.44;
	if (val[2] == 'N')
		pr = 0.85;
	else if (val[2] == 'L')
		pr = changed ? 0.68 : 0.62;
	else
		pr = changed ? 0.5 : 0.27;
	ui = val[3] == 'N' ? 0.85 : 0.62;
	c = val[5] == 'H' ? 0.56 : val[5] == 'L' ? 0.22 : 0;
	i = val[6] == 'H' ? 0.56 : val[6] == 'L' ? 0.22 : 0;
	a = val[7] == 'H' ? 0.56 : val[7] == 'L' ? 0.22 : 0;

	iss = 1 - ((1 - c) * (1 - i) * (1 - a));
	if (changed)
		impact = 7.52 * (iss - 0.029) - 3.25 * pow15(iss - 0.02);
	else
		impact = 6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		s = 0;
	else if (!changed)
		s = min_(expl + impact, 10);
	else
		s = min_((expl + impact) * 1.08, 10);
	if (impact > 0)
		s = v31 ? roundup31(s) : roundup30(s);
	*score = s;
	return 0;
}

/* ---- CVSS v4.0 -------------------------------------------------------------- */

enum {
	AV,
	AC,
	AT,
	PR,
	UI,
	VC,
	VI,
	VA,
	SC,
	SI,
	SA, /* base */
	E,
	CR,
	IR,
	AR,
	MAV,
	MAC,
	MAT,
	MPR,
	MUI,
	MVC,
	MVI,
	MVA,
	MSC,
	MSI,
	MSA,
	S_,
	AU,
	R_,
	V_,
	RE,
	U_,
	N4
};

struct metric4 {
	const char *key;
	const char *values[6];
};

static const struct metric4 metrics4[N4] = {
	[AV] = { "AV", { "N", "A", "L", "P" } },
	[AC] = { "AC", { "L", "H" } },
	[AT] = { "AT", { "N", "P" } },
	[PR] = { "PR", { "N", "L", "H" } },
	[UI] = { "UI", { "N", "P", "A" } },
	[VC] = { "VC", { "N", "L", "H" } },
	[VI] = { "VI", { "N", "L", "H" } },
	[VA] = { "VA", { "N", "L", "H" } },
	[SC] = { "SC", { "N", "L", "H" } },
	[SI] = { "SI", { "N", "L", "H" } },
	[SA] = { "SA", { "N", "L", "H" } },
	[E] = { "E", { "X", "A", "P", "U" } },
	[CR] = { "CR", { "X", "H", "M", "L" } },
	[IR] = { "IR", { "X", "H", "M", "L" } },
	[AR] = { "AR", { "X", "H", "M", "L" } },
	[MAV] = { "MAV", { "X", "N", "A", "L", "P" } },
	[MAC] = { "MAC", { "X", "L", "H" } },
	[MAT] = { "MAT", { "X", "N", "P" } },
	[MPR] = { "MPR", { "X", "N", "L", "H" } },
	[MUI] = { "MUI", { "X", "N", "P", "A" } },
	[MVC] = { "MVC", { "X", "H", "L", "N" } },
	[MVI] = { "MVI", { "X", "H", "L", "N" } },
	[MVA] = { "MVA", { "X", "H", "L", "N" } },
	[MSC] = { "MSC", { "X", "H", "L", "N" } },
	[MSI] = { "MSI", { "X", "S", "H", "L", "N" } },
	[MSA] = { "MSA", { "X", "S", "H", "L", "N" } },
	[S_] = { "S", { "X", "N", "P" } },
	[AU] = { "AU", { "X", "N", "Y" } },
	[R_] = { "R", { "X", "A", "U", "I" } },
	[V_] = { "V", { "X", "D", "C" } },
	[RE] = { "RE", { "X", "L", "M", "H" } },
	[U_] = { "U", { "X", "Clear", "Green", "Amber", "Red" } },
};

/* MacroVector scores in tenths, indexed [eq1][eq2][eq3][eq4][eq5][eq6]; -1: none. */
static const signed char lookup4[3 * 2 * 3 * 3 * 3 * 2] = {
	100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68, 98, 95, 95, 92,
	90,  84, 93, 92, 89, 81, 81,  65, 88, 80, 78, 70, 69, 48, -1, 92, -1, 82, -1, 72, -1, 79,
	-1,  69, -1, 50, -1, 69, -1,  55, -1, 27, 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71,
	92,  81, 82, 71, 72, 53, 95,  93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52,
	50,  30, -1, 86, -1, 75, -1,  52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17, 98, 95,
	94,  87, 91, 81, 94, 89, 86,  74, 77, 64, 87, 75, 74, 63, 63, 49, 94, 89, 88, 77, 76, 67,
	86,  76, 74, 58, 59, 50, 72,  57, 57, 52, 52, 25, -1, 83, -1, 70, -1, 54, -1, 65, -1, 58,
	-1,  26, -1, 53, -1, 21, -1,  13, 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66,
	68,  59, 52, 30, 89, 78, 76,  67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
	-1,  71, -1, 59, -1, 30, -1,  58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6,  93, 87, 86, 72,
	75,  58, 86, 74, 74, 61, 56,  34, 70, 54, 52, 40, 40, 22, 85, 75, 74, 55, 62, 51, 72, 57,
	55,  41, 46, 19, 53, 36, 34,  19, 19, 8,  -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11,
	-1,  24, -1, 9,	 -1, 4,	 88,  75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22,
	20,  11, 75, 55, 58, 45, 40,  21, 61, 51, 48, 18, 20, 9,  46, 18, 17, 7,  8,  2,  -1, 53,
	-1,  24, -1, 14, -1, 24, -1,  12, -1, 5,  -1, 10, -1, 3,  -1, 1,
};

static double macro_score(int e1, int e2, int e3, int e4, int e5, int e6)
{
	int i;

	if (e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1)
		return NAN;
	i = ((((e1 * 2 + e2) * 3 + e3) * 3 + e4) * 3 + e5) * 2 + e6;
	return lookup4[i] < 0 ? NAN : lookup4[i] / 10.0;
}

/* The highest-severity vectors of each MacroVector class (max_composed.js). */
static const char *const max_eq1[3][4] = {
	{ "AV:N/PR:N/UI:N/" },
	{ "AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/" },
	{ "AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/" },
};
static const char *const max_eq2[2][3] = {
	{ "AC:L/AT:N/" },
	{ "AC:H/AT:N/", "AC:L/AT:P/" },
};
static const char *const max_eq3eq6[3][2][6] = {
	{ { "VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/" },
	  { "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/" } },
	{ { "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/" },
	  { "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
	    "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
	    "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/" } },
	{ { NULL }, { "VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/" } },
};
static const char *const max_eq4[3][2] = {
	{ "SC:H/SI:S/SA:S/" },
	{ "SC:H/SI:H/SA:H/" },
	{ "SC:L/SI:L/SA:L/" },
};
static const char *const max_eq5[3][2] = { { "E:A/" }, { "E:P/" }, { "E:U/" } };

/* Depth of each MacroVector class (max_severity.js), in steps of 0.1. */
static const int depth_eq1[3] = { 1, 4, 5 };
static const int depth_eq2[2] = { 1, 2 };
static const int depth_eq3eq6[3][2] = { { 7, 6 }, { 8, 8 }, { 0, 10 } };
static const int depth_eq4[3] = { 6, 5, 4 };

/* The metrics whose levels enter the severity distance, and their levels. */
enum {
	L_AV,
	L_PR,
	L_UI,
	L_AC,
	L_AT,
	L_VC,
	L_VI,
	L_VA,
	L_SC,
	L_SI,
	L_SA,
	L_CR,
	L_IR,
	L_AR,
	L_E,
	NL
};

static const char *const level_key[NL] = { "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA",
					   "SC", "SI", "SA", "CR", "IR", "AR", "E" };

static double level(int m, char v)
{
	switch (m) {
	case L_AV: return v == 'N' ? 0.0 : v == 'A' ? 0.1 : v == 'L' ? 0.2 : 0.3;
	case L_PR: return v == 'N' ? 0.0 : v == 'L' ? 0.1 : 0.2;
	case L_UI: return v == 'N' ? 0.0 : v == 'P' ? 0.1 : 0.2;
	case L_AC: return v == 'L' ? 0.0 : 0.1;
	case L_AT: return v == 'N' ? 0.0 : 0.1;
	case L_VC:
	case L_VI:
	case L_VA: return v == 'H' ? 0.0 : v == 'L' ? 0.1 : 0.2;
	case L_SC: return v == 'H' ? 0.1 : v == 'L' ? 0.2 : 0.3;
	case L_SI:
	case L_SA: return v == 'S' ? 0.0 : v == 'H' ? 0.1 : v == 'L' ? 0.2 : 0.3;
	case L_CR:
	case L_IR:
	case L_AR: return v == 'H' ? 0.0 : v == 'M' ? 0.1 : 0.2;
	case L_E: return v == 'U' ? 0.2 : v == 'P' ? 0.1 : 0;
	}
	return 0;
}

/* The value of key in a composed maximal vector ("AV:N/PR:N/..."). */
static char extract(const char *vec, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = vec; (p = strstr(p, key)); p++)
		if (p[k] == ':')
			return p[k + 1];
	return 0;
}

/* The effective value of base metric m: the modified metric when defined. */
static char eff(const char (*val)[8], int m)
{
	static const int modified[] = {
		[AV] = MAV, [AC] = MAC, [AT] = MAT, [PR] = MPR, [UI] = MUI, [VC] = MVC,
		[VI] = MVI, [VA] = MVA, [SC] = MSC, [SI] = MSI, [SA] = MSA
	};

	if (m <= SA && val[modified[m]][0] && val[modified[m]][0] != 'X')
		return val[modified[m]][0];
	return val[m][0];
}

static double score4(const char (*val)[8])
{
	char av = eff(val, AV), pr = eff(val, PR), ui = eff(val, UI), ac = eff(val, AC),
	     at = eff(val, AT), vc = eff(val, VC), vi = eff(val, VI), va = eff(val, VA),
	     sc = eff(val, SC), si = eff(val, SI), sa = eff(val, SA);
	char e = val[E][0] && val[E][0] != 'X' ? val[E][0] : 'A';
	char cr = val[CR][0] && val[CR][0] != 'X' ? val[CR][0] : 'H';
	char ir = val[IR][0] && val[IR][0] != 'X' ? val[IR][0] : 'H';
	char ar = val[AR][0] && val[AR][0] != 'X' ? val[AR][0] : 'H';
	char cur[NL];
	int e1, e2, e3, e4, e5, e6;
	double value, n1, n2, n36, n4, n5, d1, d2, d36, d4, d5, dist[NL] = { 0 }, sum = 0;
	int n = 0;
	const char *const *m1, *const *m2, *const *m36, *const *m4, *const *m5;

	if (vc == 'N' && vi == 'N' && va == 'N' && sc == 'N' && si == 'N' && sa == 'N')
		return 0.0;
	if (av == 'N' && pr == 'N' && ui == 'N')
		e1 = 0;
	else if ((av == 'N' || pr == 'N' || ui == 'N') && av != 'P')
		e1 = 1;
	else
		e1 = 2;
	e2 = ac == 'L' && at == 'N' ? 0 : 1;
	if (vc == 'H' && vi == 'H')
		e3 = 0;
	else if (vc == 'H' || vi == 'H' || va == 'H')
		e3 = 1;
	else
		e3 = 2;
	if (val[MSI][0] == 'S' || val[MSA][0] == 'S')
		e4 = 0;
	else if (sc == 'H' || si == 'H' || sa == 'H')
		e4 = 1;
	else
		e4 = 2;
	e5 = e == 'A' ? 0 : e == 'P' ? 1 : 2;
	e6 = (cr == 'H' && vc == 'H') || (ir == 'H' && vi == 'H') || (ar == 'H' && va == 'H') ? 0
											      : 1;

	value = macro_score(e1, e2, e3, e4, e5, e6);
	/* the next lower MacroVector of each class (NaN: none) */
	n1 = macro_score(e1 + 1, e2, e3, e4, e5, e6);
	n2 = macro_score(e1, e2 + 1, e3, e4, e5, e6);
	if (e3 == 0 && e6 == 0)
		n36 = max_(macro_score(e1, e2, e3, e4, e5, e6 + 1),
			   macro_score(e1, e2, e3 + 1, e4, e5, e6));
	else if (e3 == 1 && e6 == 0)
		n36 = macro_score(e1, e2, e3, e4, e5, e6 + 1);
	else if ((e3 == 0 || e3 == 1) && e6 == 1)
		n36 = macro_score(e1, e2, e3 + 1, e4, e5, e6);
	else
		n36 = macro_score(e1, e2, e3 + 1, e4, e5, e6 + 1);
	n4 = macro_score(e1, e2, e3, e4 + 1, e5, e6);
	n5 = macro_score(e1, e2, e3, e4, e5 + 1, e6);

	cur[L_AV] = av, cur[L_PR] = pr, cur[L_UI] = ui, cur[L_AC] = ac, cur[L_AT] = at;
	cur[L_VC] = vc, cur[L_VI] = vi, cur[L_VA] = va, cur[L_SC] = sc, cur[L_SI] = si;
	cur[L_SA] = sa, cur[L_CR] = cr, cur[L_IR] = ir, cur[L_AR] = ar, cur[L_E] = e;

	/* the first composed maximal vector that the vector does not exceed */
	m1 = max_eq1[e1], m2 = max_eq2[e2], m36 = max_eq3eq6[e3][e6], m4 = max_eq4[e4];
	m5 = max_eq5[e5];
	for (int a = 0; m1[a]; a++)
		for (int b = 0; m2[b]; b++)
			for (int c = 0; m36[c]; c++)
				for (int d = 0; m4[d]; d++)
					for (int f = 0; m5[f]; f++) {
						char vec[160];
						bool ok = true;

						snprintf(vec, sizeof(vec), "%s%s%s%s%s", m1[a],
							 m2[b], m36[c], m4[d], m5[f]);
						for (int l = 0; l < NL; l++) {
							dist[l] = level(l, cur[l]) -
								  level(l,
									extract(vec, level_key[l]));
							if (dist[l] < 0)
								ok = false;
						}
						if (ok)
							goto found;
					}
found:
	d1 = dist[L_AV] + dist[L_PR] + dist[L_UI];
	d2 = dist[L_AC] + dist[L_AT];
	d36 = dist[L_VC] + dist[L_VI] + dist[L_VA] + dist[L_CR] + dist[L_IR] + dist[L_AR];
	d4 = dist[L_SC] + dist[L_SI] + dist[L_SA];
	d5 = 0;

	if (!isnan(value - n1)) {
		n++;
		sum += (value - n1) * (d1 / (depth_eq1[e1] * 0.1));
	}
	if (!isnan(value - n2)) {
		n++;
		sum += (value - n2) * (d2 / (depth_eq2[e2] * 0.1));
	}
	if (!isnan(value - n36)) {
		n++;
		sum += (value - n36) * (d36 / (depth_eq3eq6[e3][e6] * 0.1));
	}
	if (!isnan(value - n4)) {
		n++;
		sum += (value - n4) * (d4 / (depth_eq4[e4] * 0.1));
	}
	if (!isnan(value - n5)) {
		n++;
		sum += (value - n5) * d5;
	}
	value = max_(0, min_(10, value - (n ? sum / n : 0)));
	/* the reference calculator's roundToDecimalPlaces(): half up, with
	 * ties that floating point left one ULP below lifted over (EPSILON) */
	return js_round((value + 1e-6) * 10) / 10;
}

int bh_cvss4_score(const char *vector, double *score, struct bh_error **err)
{
	char val[N4][8];
	size_t next = 0;
	const char *p;

	memset(val, 0, sizeof(val));
	if (!vector)
		return bad(err, "", "no vector");
	if (strnlen(vector, MAX_VECTOR + 1) > MAX_VECTOR)
		return bad(err, vector, "longer than 512 bytes");
	if (strncmp(vector, "CVSS:4.0/", 9))
		return bad(err, vector, "does not start with CVSS:4.0/");
	for (p = vector + 9;;) {
		const char *colon = strchr(p, ':'), *slash = strchr(p, '/');
		const char *end = slash ? slash : p + strlen(p);
		size_t k, vl;
		bool ok = false;

		if (!colon || colon > end || memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return bad(err, vector, "a metric is not KEY:VALUE");
		/* metrics in the specification's order, the base ones all present */
		for (k = next; k < N4; k++) {
			if (strlen(metrics4[k].key) == (size_t)(colon - p) &&
			    !memcmp(metrics4[k].key, p, (size_t)(colon - p)))
				break;
			if (k <= SA)
				return bad(err, vector, "base metrics missing or out of order");
		}
		if (k == N4)
			return bad(err, vector, "unknown, repeated or misplaced metric");
		vl = (size_t)(end - colon - 1);
		for (int j = 0; j < 6 && metrics4[k].values[j]; j++)
			if (strlen(metrics4[k].values[j]) == vl &&
			    !memcmp(metrics4[k].values[j], colon + 1, vl))
				ok = true;
		if (!ok || vl >= sizeof(val[0]))
			return bad(err, vector, "bad metric value");
		memcpy(val[k], colon + 1, vl);
		next = k + 1;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (next <= SA)
		return bad(err, vector, "a base metric is missing");
	/* the base score: threat and environmental metrics as Not Defined */
	for (int k = E; k < N4; k++)
		val[k][0] = 0;
	*score = score4((const char(*)[8])val);
	return 0;
}
