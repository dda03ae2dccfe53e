/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Debian versions (Debian Policy 5.6.12, dpkg's verrevcmp): ordering, epochs,
 * revisions, '~', what dpkg refuses, and what it warns about but compares.
 * Every expectation here was checked against `dpkg --compare-versions`
 * (dpkg 1.21.22 on Debian 12, amd64); the random pairs were generated and
 * decided by dpkg itself, and tests/e2e/version.test asks dpkg again live.
 */
#include "unit.h"
#include "bulkhead/vuln.h"

#define SCHEME BH_VS_DPKG
#define VALID  "1.0-1"

#include "version_check.h"

/* Strictly increasing; every pair is checked (n^2 comparisons). */
static const char *const ordered[] = {
	"0~",
	"0",
	"0.0.1",
	"0.1~~",
	"0.1~",
	"0.1",
	"0.1-0.1",
	"0.1-1~bpo1",
	"0.1-1",
	"0.1-1+b1",
	"0.1-1+deb12u1",
	"0.1-1.1",
	"0.1-2",
	"0.1a",
	"0.1+dfsg",
	"0.1.0",
	"0.9",
	"0.10",
	"1.0~~",
	"1.0~~a",
	"1.0~",
	"1.0~a",
	"1.0~alpha1",
	"1.0~beta1",
	"1.0~rc1",
	"1.0~rc1-1",
	"1.0~rc2",
	"1.0",
	"1.0-0.1",
	"1.0-1~",
	"1.0-1",
	"1.0-1ubuntu0.1",
	"1.0-1ubuntu1",
	"1.0-1.1",
	"1.0-2",
	"1.0-10",
	"1.0A",
	"1.0a",
	"1.0a1",
	"1.0b",
	"1.0+b1",
	"1.0+dfsg-1",
	"1.0+git20240101-1",
	"1.0.0",
	"1.0.1",
	"1.00.2",
	"1.1",
	"1.2",
	"1.10",
	"1.99999999999999999999",
	"2.0",
	"2.0-1",
	"2.0.0-1",
	"10",
	"20240101",
	"1:0",
	"1:0.1",
	"1:1.0~rc1",
	"1:1.0",
	"1:1.0-1",
	"1:2.0",
	"2:0",
	"10:0",
	"2147483647:0",
};

/* Debian Policy examples and real archive versions. */
static const struct pair policy_pairs[] = {
	{ "1.0", -1, "1.0-1" },
	{ "1.0~rc1", -1, "1.0" },
	{ "1.0~rc1-1", -1, "1.0-1" },
	{ "1:0.1", 1, "9.9" },
	{ "0:1.0", 0, "1.0" },
	{ "1.0-0", 0, "1.0" },
	{ "1.0a", -1, "1.0b" },
	{ "1.0a", -1, "1.0+" },
	{ "1.0", -1, "1.0a" },
	{ "1.0.1", 1, "1.0+" },
	{ "1.0~", -1, "1.0" },
	{ "1.0~~", -1, "1.0~" },
	{ "1.0~~a", -1, "1.0~" },
	{ "1.0~~", -1, "1.0~~a" },
	{ "1.2.3", -1, "1.2.10" },
	{ "1.2.3", 0, "1.2.03" },
	{ "1.2.3-1", -1, "1.2.3-1.1" },
	{ "1.2.3-1", -1, "1.2.3-1+b1" },
	{ "1.2.3-1+b1", -1, "1.2.3-2" },
	{ "1.2.3-1", 1, "1.2.3-1~bpo11+1" },
	{ "1.2.3-1~deb11u1", -1, "1.2.3-1" },
	{ "1.2.3-1+deb12u1", 1, "1.2.3-1" },
	{ "1.2.3-1+deb12u1", -1, "1.2.3-1+deb12u2" },
	{ "1.2.3-1+deb12u10", 1, "1.2.3-1+deb12u9" },
	{ "2.36-9+deb12u4", -1, "2.36-9+deb12u10" },
	{ "3.0.11-1~deb12u2", -1, "3.0.11-1~deb12u3" },
	{ "3.0.15-1~deb12u1", 1, "3.0.11-1~deb12u2" },
	{ "7.88.1-10+deb12u5", -1, "7.88.1-10+deb12u8" },
	{ "1:2.38.1-5+deb12u1", 1, "2.39.2-1" },
	{ "2.6.1-2ubuntu0.1", -1, "2.6.1-2ubuntu0.2" },
	{ "2.6.1-2ubuntu0.1", 1, "2.6.1-2build1" },
	{ "1.0+dfsg-1", 1, "1.0-1" },
	{ "1.0+dfsg-1", -1, "1.0.1-1" },
	{ "1.0-1ubuntu1", 1, "1.0-1" },
	{ "1.0-1ubuntu1", -1, "1.0-1ubuntu1.1" },
	{ "0.0", -1, "0.0.0" },
	{ "0", 0, "00" },
	{ "10", 1, "9" },
	{ "100", 1, "99" },
	{ "1.0A", -1, "1.0a" },
	{ "1.0Z", -1, "1.0a" },
	{ "1.0z", 1, "1.0A" },
	{ "1.0-a", -1, "1.0-b" },
	{ "1.0-A", -1, "1.0-a" },
	{ "1:1.0", -1, "2:0.1" },
	{ "2147483647:0", 1, "2147483646:99" },
	{ "1.0-1", -1, "1.0-1.0" },
	{ "1.0-1.0", -1, "1.0-1.1" },
	{ "1.0.0", 1, "1.0" },
	{ "1.0-+", -1, "1.0-." },
	{ "1.0-~", -1, "1.0-0" },
};

static const struct pair equal_pairs[] = {
	{ "1.0", 0, "1.0-0" },	   { "1.0", 0, "0:1.0" },      { "1.0-0", 0, "0:1.0-0" },
	{ "1.0", 0, "1.00" },	   { "1.0", 0, "01.0" },       { "1.0-1", 0, "1.0-01" },
	{ "1:1.0", 0, "01:1.0" },  { "2.0.0", 0, "2.00.00" },  { "1.0+b1", 0, "1.0+b01" },
	{ "0", 0, "00" },	   { " 1.0 ", 0, "1.0" },      { "\t1.0", 0, "1.0 " },
	{ "1.0-1", 0, "0:1.0-1" }, { "1.0", 0, "0000:1.0-0" },
};

/* Random versions, ordered by dpkg --compare-versions. */
static const struct pair dpkg_decided[] = {
	{ "2:5", 1, "9z+a-8~1100" },
	{ "70.9-5000100+", 1, "5~~1A0-1.20a~2" },
	{ "10:300-6910", 1, "2:42+~00.9-4~a+ab" },
	{ "8Z2109.", 1, "6+ZA.2-1" },
	{ "7a109bb.-49", -1, "80+a~z" },
	{ "1:990A", 0, "1:990A" },
	{ "10:21", 1, "6100a-22" },
	{ "1-5ba9", -1, "10b.00ab-1~+2024." },
	{ "0:1Z++-9010b", -1, "4Z100" },
	{ "5..2-1+2024", -1, "7Z-700ab" },
	{ "40100a~", 1, "4Z202420..-." },
	{ "2~aAz0-1~++b~1", -1, "0:609" },
	{ "7Z-700ab", 1, "1.-4++2024+-91009" },
	{ "3a0-610010Zb~", -1, "5-89+10b" },
	{ "21b1100", 0, "21b1100" },
	{ "9A.-10~000b00", 1, "2-9+09000-3b" },
	{ "8-8~0+.100", -1, "51z+-.2bZ2Z" },
	{ "0.-~00b", -1, "7Z000." },
	{ "5~..100+2024", -1, "10:8-3b" },
	{ "10:8.100.", 1, "10:1A.A~a.-51" },
	{ "2~z", 1, "0:1Z++-9010b" },
	{ "8-92+b000", -1, "10:79-92+b9" },
	{ "1:8Z~.-9", 0, "1:8Z~.-9" },
	{ "9-1010+0", 1, "4-12" },
	{ "92000b.-7100a", 0, "92000b.-7100a" },
	{ "10:8.100.", 0, "10:8.100." },
	{ "1:990A", 1, "9~-4Z2024Z000Zb" },
	{ "1:8Z~.-9", -1, "10:3Zzaa-50Zba~~" },
	{ "7Z000.", 0, "7Z000." },
	{ "5~~1A0-1.20a~2", -1, "8" },
	{ "9~-4Z2024Z000Zb", -1, "10-7100002" },
	{ "2~z", -1, "8+z22A~-20" },
	{ "5~.100z0z", -1, "6~.000" },
	{ "1b0100", -1, "800-4." },
	{ "7-8-89Zb109b", 1, "4a20-3100~b100100" },
	{ "3.-.99+0~", 1, "2-19a.~0" },
	{ "7Z-5babb", 1, "1~.b+-+" },
	{ "1.Z.~-9-9b.92024", -1, "4-." },
	{ "3a-4bb-5a0001000", 1, "2++A" },
	{ "92000b.-7100a", -1, "1:7~9A" },
	{ "80.-6", -1, "90bA" },
	{ "9-7Z", -1, "2:5" },
	{ "9zA11002", -1, "42102024~~1-1a1-00" },
	{ "90bA", 1, "1bA.~aA" },
	{ "6~100~10-9", 0, "6~100~10-9" },
	{ "6+ZA.2-1", -1, "9-8.+Z10.0" },
	{ "5-89+10b", 1, "1~.1-5.9.ZaZ" },
	{ "200b0102", 0, "200b0102" },
	{ "2:0-60.~00Z", 1, "2~A+-11~10+102" },
	{ "8bA9+-110.9bb", 1, "7-72202410" },
	{ "6b10~b100-7", -1, "1:69~zA~-0~a0" },
	{ "0:609", 1, "7Z-700ab" },
	{ "4~.21-6", -1, "10:5~-6b.000" },
	{ "00010Zb9-700~0~00", 0, "00010Zb9-700~0~00" },
	{ "8Z+-2000~9910a", 1, "2~z" },
	{ "510-20a-4+0~b", 0, "510-20a-4+0~b" },
	{ "9~.-1.Z0.", -1, "1002024a000~-4Z" },
	{ "1:990A", 1, "89-1+000" },
	{ "1.-4++2024+-91009", -1, "80.-6" },
	{ "6Zz.-4.0000Z2024.", 0, "6Zz.-4.0000Z2024." },
	{ "20~.0000+-100Z.9", 1, "8-92+b000" },
	{ "10:3Zzaa-50Zba~~", 1, "8" },
	{ "9-1010+0", -1, "50000.-6Z000b" },
	{ "8+9AA~z-1", 1, "4z" },
	{ "1:2", 1, "2~aAz0-1~++b~1" },
	{ "0:61000-2a~", 0, "0:61000-2a~" },
	{ "70.9-9.b0~000", 1, "2~A+-11~10+102" },
	{ "0:8b0", 1, "2-0++0099" },
	{ "1", -1, "10:0" },
	{ "1.+Z-bZ", -1, "210.z.-8bb.~" },
	{ "60202410z.+-0+Z0", 1, "12a0.20" },
	{ "6AAz22-0Z9+ab", -1, "0:609" },
	{ "41000+0", 1, "2.~Z10" },
	{ "7z0010aA10-+000ba0+", -1, "0:6000-8.-2b~Z12024" },
	{ "9~-4Z2024Z000Zb", -1, "1002024a000~-4Z" },
	{ "7aAa+", 1, "2a.+." },
	{ "2:8~.-521a", 1, "2.Z.0-4" },
	{ "4a20-3100~b100100", -1, "30b~" },
	{ "2.-60", 0, "2.-60" },
	{ "2:4", 1, "3.AA+-5000002024" },
	{ "1.", -1, "7~.100~-910" },
	{ "0+b0.20", -1, "610z1.~~" },
	{ "9-8b2024910", -1, "70210~z-b" },
	{ "410.A.-3+1", -1, "52024900~0-30aZ" },
	{ "0.-~00b", 1, "0" },
	{ "3100.-3ZZ.b.", 1, "7-72202410" },
	{ "0:8b0", 1, "0:7-500~+20240" },
	{ "109-3b", -1, "2:42+~00.9-4~a+ab" },
	{ "2.Z.0-4", -1, "0:300ZZa100." },
	{ "1:61009~a.-900-80", 1, "5-700a-0~~2" },
	{ "9~-4Z2024Z000Zb", 1, "0:7-32.9Zab" },
	{ "2-9+09000-3b", -1, "8-92+b000" },
	{ "4-5b", -1, "4Z202420..-." },
	{ "700000z", -1, "10:79-92+b9" },
	{ "2~", -1, "6+ZA.2-1" },
	{ "0:110Aa", 1, "4z" },
	{ "1:4.-60a0a01", 1, "0.-20++1000+" },
	{ "420240-620249", 1, "9-3b10100" },
	{ "0:609", 0, "0:609" },
	{ "8a10100", 0, "8a10100" },
	{ "0A0Z", -1, "9-8.+Z10.0" },
	{ "1:2~.a-~+~", 1, "5..2-1+2024" },
	{ "6+0000100-2", -1, "41000000Z100-0" },
	{ "9000.1-b+", 1, "2-9+09000-3b" },
	{ "9.202420240", -1, "11.aAA-1.~" },
	{ "8000-0010", -1, "300000-4b~" },
	{ "4A-4", -1, "6b10~b100-7" },
	{ "7A9zb~-2+", -1, "51z+-.2bZ2Z" },
	{ "1.0b1-92024100~b", 0, "1.0b1-92024100~b" },
	{ "1020249.", 1, "4Z202420..-." },
	{ "1:720240-0Z.Za", 1, "3" },
	{ "50000.-6Z000b", -1, "1:2" },
	{ "8", -1, "80.-6" },
	{ "0:3b-5a0a9Z10", -1, "9~.-1.Z0." },
	{ "30b~", -1, "7000100" },
	{ "0.-~00b", -1, "2~A+-11~10+102" },
	{ "800-4.", 1, "4A-4" },
	{ "31~+0Z", 1, "5~0~.ZA" },
	{ "10:8-3b", 1, "9210100-1b+~Z" },
	{ "6", -1, "8AA" },
	{ "2.-60", -1, "12a0.20" },
	{ "1:720240-0Z.Za", 1, "0A~-3202410.~~Z" },
	{ "10:79-92+b9", 1, "1:990A" },
	{ "2.-60", -1, "6Zz.-4.0000Z2024." },
	{ "0:61000-2a~", -1, "10:79-92+b9" },
	{ "9+z-6.+", 0, "9+z-6.+" },
	{ "7Z-700ab", 1, "7Z-5babb" },
	{ "8-8~0+.100", -1, "6100a-22" },
	{ "9ZA000", -1, "2:2bzA000202410" },
	{ "1~.1-5.9.ZaZ", -1, "7" },
	{ "9Z-7012Z~+", -1, "21b1100" },
	{ "1", -1, "3020242024b-0bb0" },
	{ "8", -1, "0:8b0" },
	{ "7100", 1, "8bA9+-110.9bb" },
	{ "0:4babz9-5a2024~-9a", -1, "70.9-5000100+" },
	{ "9ZA000", -1, "2:8~.-521a" },
	{ "6100a-22", 1, "70.9-5000100+" },
	{ "3.AA+-5000002024", -1, "8" },
	{ "9.100.-6b100a", -1, "2:1" },
	{ "8-~+00ZZ", 1, "6z0000za2-0" },
	{ "1:990A", 1, "1ZZ0Z9-51~" },
	{ "1:4000-72024Z+", 1, "1092024Z" },
	{ "0:609", 1, "020A10A1-2+Z+b." },
	{ "710~10010", 0, "710~10010" },
	{ "5+-6", -1, "41000+0" },
	{ "6+0000100-2", -1, "0:300ZZa100." },
	{ "0:609", -1, "710~10010" },
	{ "9-1010+0", -1, "30b~" },
	{ "2A0-5~2024~9+0", -1, "9" },
	{ "8Z+-2000~9910a", 0, "8Z+-2000~9910a" },
	{ "4~.21-6", -1, "5-2+a+" },
	{ "9Z.220a", -1, "2:5" },
	{ "109-3b", 1, "5b1.-4~" },
	{ "2:42+~00.9-4~a+ab", 1, "3zZ" },
	{ "1~.b+-+", -1, "49.Z0000-50" },
	{ "4a20-3100~b100100", 0, "4a20-3100~b100100" },
	{ "1", -1, "2:4" },
	{ "4~.21-6", -1, "8+z22A~-20" },
	{ "3zZ", -1, "1002024a000~-4Z" },
	{ "3z20240.10000-500", -1, "10.b110a" },
	{ "0-810Z0.02024", -1, "1:829+a1" },
	{ "72000Z1020240-5Z0", 1, "9+0a.b0-20" },
	{ "8000b9-1", 1, "32-4.0" },
	{ "2:4.", 1, "0.-20++1000+" },
	{ "69", 1, "0-810Z0.02024" },
	{ "9a+", 1, "0A~-3202410.~~Z" },
	{ "20~.0000+-100Z.9", 1, "8bA9+-110.9bb" },
	{ "9Z-7012Z~+", 1, "8+9AA~z-1" },
	{ "8000-0010", 1, "0+b0.20" },
	{ "4~.21-6", -1, "82024-5Z00009" },
	{ "0:80-1.+", 1, "2b~A202410~" },
	{ "92000b.-7100a", -1, "1:4.-60a0a01" },
	{ "9Z-7012Z~+", -1, "32-4.0" },
	{ "2.", -1, "80+a~z" },
	{ "3.AA+-5000002024", 0, "3.AA+-5000002024" },
	{ "9~.-1.Z0.", -1, "9-3b10100" },
	{ "700000z", -1, "1:4+10b100100~" },
	{ "31~+0Z", -1, "2:10.10~-7~b" },
	{ "10:5+100900b-0a0+a", 1, "5-89+10b" },
	{ "0~.100.-722.+90", -1, "2z.~" },
	{ "10:3Zzaa-50Zba~~", 1, "80A~.+" },
	{ "1:20-70Z", 1, "200b0102" },
	{ "200b0102", 0, "200b0102" },
	{ "1:2~.a-~+~", 1, "8-2." },
	{ "8-8~0+.100", 1, "02~0-3" },
	{ "20~.0000+-100Z.9", -1, "80A~.+" },
	{ "0b0~+-2Zba10", 0, "0b0~+-2Zba10" },
	{ "3ab~Z1-60", 0, "3ab~Z1-60" },
	{ "1:00~9.", 0, "1:00~9." },
	{ "120240b", 1, "8.2-01+0a" },
	{ "1:50a~00-800b0b", 1, "9+100bbz-22024a01" },
	{ "1:1A~Zz-9~a", -1, "10:5.aA-60001000+" },
	{ "1:6", 0, "1:6" },
	{ "5-210-90~0", -1, "9ZZ01ZZ-+a" },
	{ "210.z.-8bb.~", 0, "210.z.-8bb.~" },
	{ "0-51-4Z", -1, "70b" },
	{ "00.~000", -1, "5+-6" },
	{ "6Z-1~ZZ+", 1, "0~.100.-722.+90" },
	{ "8-4002024", 1, "4z-40.~0" },
	{ "10:60Zz-319a01", 1, "8bA9+-110.9bb" },
};

/* dpkg --compare-versions refuses these (exit 2, "dpkg: error: ... bad syntax: <reason>"). */
static const struct odd dpkg_errors[] = {
	{ " ", "version string is empty" },
	{ ":1.0", "epoch in version is empty" },
	{ "1:", "nothing after colon in version number" },
	{ "1.0-", "revision number is empty" },
	{ "-1", "version number is empty" },
	{ "1.0 2", "version string has embedded spaces" },
	{ "x:1.0", "epoch in version is empty" },
	{ "-1:1.0", "epoch in version is negative" },
	{ "1.0-1-", "revision number is empty" },
	{ "2147483648:1", "epoch in version is too big" },
	{ "99999999999:1", "epoch in version is too big" },
	{ "1.0-1:2", "epoch in version is not number" },
	{ "1:-1", "version number is empty" },
	{ "1:1.0-", "revision number is empty" },
	{ "1.0:1", "epoch in version is not number" },
	{ "1.0 -1", "version string has embedded spaces" },
	{ "1.0- 1", "version string has embedded spaces" },
	{ "1.0\t2", "version string has embedded spaces" },
	{ "-:1", "epoch in version is empty" },
	{ "+:1", "epoch in version is empty" },
	{ "1a:1", "epoch in version is not number" },
	{ "0x1:1", "epoch in version is not number" },
	{ "1.0-a b", "version string has embedded spaces" },
	{ "1.0--", "revision number is empty" },
	{ "9999999999999999999999:1", "epoch in version is too big" },
	{ "-9999999999999999999999:1", "epoch in version is negative" },
};

/* dpkg warns about these ("dpkg: warning: ... bad syntax: <reason>") and compares them. */
static const struct odd dpkg_warnings[] = {
	{ "a1.0", "version number does not start with digit" },
	{ "1.0_1", "invalid character in version number" },
	{ "1.0-1_2", "invalid character in revision number" },
	{ "1:1.0-a:b", "invalid character in revision number" },
	{ "~1", "version number does not start with digit" },
	{ "+1", "version number does not start with digit" },
	{ ".1", "version number does not start with digit" },
	{ "1.0/2", "invalid character in version number" },
	{ "1.0@", "invalid character in version number" },
	{ "1.0-1,2", "invalid character in revision number" },
	{ "1:a", "version number does not start with digit" },
	{ "1.0!", "invalid character in version number" },
	{ "1.0-\xc3\xa9", "invalid character in revision number" },
	{ "1#2", "invalid character in version number" },
	{ "1\x01", "invalid character in version number" },
	{ "1.0-a\x7f", "invalid character in revision number" },
	{ "\n1.0", "version number does not start with digit" },
	{ "1.0-1\n", "invalid character in revision number" },
	{ "1\xc3\xa9", "invalid character in version number" },
	{ "\xc3\xa9"
	  "1",
	  "version number does not start with digit" },
	{ "A", "version number does not start with digit" },
	{ "Z9", "version number does not start with digit" },
	{ "1.0-a_b", "invalid character in revision number" },
	{ "1_0", "invalid character in version number" },
	{ "1.0~rc1-1_2", "invalid character in revision number" },
	/* no version: dpkg --compare-versions takes "" and "<unknown>" as none */
	{ "", "no version" },
	{ "<unknown>", "no version" },
};

/* dpkg reads these without a word. */
static const char *const valid[] = {
	"+1:2",
	"-0:1",
	"\n1:2",
	"\x0b+0:3",
	"1.0--1",
	"1:2:3",
	"1.0-1-2",
	"1.0~",
	"1.0-~",
	"00000000000000000000000000001:1",
	"2147483647:1",
	" 1.0 ",
	"1.0\t",
	"\t1.0",
	"0",
	"1..0",
	"1:1.0-a.b+c~d",
	"0:0",
	"9:9.9-9",
	"1.0+",
	"1.0-+",
	"1-1-1-1",
	"1A",
	"1.2.3.4.5.6.7.8.9",
	"1.0-1.",
};

/* Odd versions compared, each decided by dpkg --compare-versions (amd64:
 * bytes above 0x7f sort after letters, before ASCII punctuation). */
static const struct pair dpkg_odd_pairs[] = {
	{ "", -1, "0~" },
	{ "", 0, "<unknown>" },
	{ "<unknown>", -1, "0" },
	{ "", 0, "" },
	{ "1.0-a_b", 1, "1.0-a" },
	{ "1.0-a_b", 1, "1.0-a.b" },
	{ "1.0-a_b", 1, "1.0-a~b" },
	{ "1\xc3\xa9", -1, "1+" },
	{ "1\xc3\xa9", 1, "1Z" },
	{ "1\xc3\xa9", 1, "1z" },
	{ "1\x7f", 1, "1\xc3\xa9" },
	{ "1\x01", 1, "1" },
	{ "1\x01", 1, "1~" },
	{ "a1.0", 1, "1.0" },
	{ "a1.0", -1, "b1.0" },
	{ "~1", -1, "0" },
	{ "1.0_1", 1, "1.0.1" },
	{ "1.0_1", 1, "1.0+1" },
	{ "1.0#1", -1, "1.0_1" },
	{ "+1:2", 0, "1:2" },
	{ "-0:1", 0, "1" },
	{ "\n1:2", 0, "1:2" },
	{ "1_0", 1, "1a0" },
	{ "1.0-1_2", 1, "1.0-1.2" },
	{ ".1", 1, "0.1" },
	{ "1:a", 1, "1:0" },
	{ "1:a", 1, "0:9" },
	{ "1.0-\xc3\xa9", 1, "1.0-z" },
	{ "1.0-\xc3\xa9", -1, "1.0-." },
	{ "1.0@", 1, "1.0~" },
	{ "1.0@", 1, "1.0" },
};

static const char *const hostile[] = { "1\n", "1\x01", "\xff\xfe", "1.0\x7f", "\xc3\xa9" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_dpkg_order(void **state)
{
	check_ordered(ordered, N(ordered));
}

static void test_dpkg_pairs(void **state)
{
	check_pairs(policy_pairs, N(policy_pairs));
	check_pairs(equal_pairs, N(equal_pairs));
}

static void test_dpkg_random_pairs_decided_by_dpkg(void **state)
{
	check_pairs(dpkg_decided, N(dpkg_decided));
}

/* Refused where dpkg refuses, with dpkg's words. */
static void test_dpkg_refuses_what_dpkg_refuses(void **state)
{
	for (size_t i = 0; i < N(dpkg_errors); i++) {
		struct bh_error *err = NULL;
		const char *const one[] = { dpkg_errors[i].v };

		check_invalid(one, 1);
		assert_int_equal(bh_version_validate(SCHEME, dpkg_errors[i].v, &err), -1);
		assert_error(err, BH_ERR_INVALID, dpkg_errors[i].why);
		bh_error_clear(&err);
	}
}

/* Compared, with dpkg's warning as the reason, where dpkg warns and compares. */
static void test_dpkg_compares_what_dpkg_warns_about(void **state)
{
	check_odd(dpkg_warnings, N(dpkg_warnings));
	check_pairs(dpkg_odd_pairs, N(dpkg_odd_pairs));
}

static void test_dpkg_valid(void **state)
{
	check_valid(valid, N(valid));
}

static void test_dpkg_error_messages(void **state)
{
	struct bh_error *err = NULL;
	char *why = NULL;
	int cmp;

	assert_int_equal(bh_version_compare(SCHEME, "1.0", "1:", &cmp, &err), -1);
	assert_error(err, BH_ERR_INVALID, "invalid dpkg version '1:': nothing after colon");
	bh_error_clear(&err);
	assert_int_equal(bh_version_validate(SCHEME, "2147483648:1", &err), -1);
	assert_error(err, BH_ERR_INVALID, "epoch in version is too big");
	bh_error_clear(&err);
	assert_int_equal(bh_version_check(SCHEME, "1.0-a_b", &why, &err), BH_VERSION_ODD);
	assert_string_equal(why, "dpkg version '1.0-a_b' is not well formed (invalid character in "
				 "revision number); read as dpkg --compare-versions reads it");
	free(why);
	assert_int_equal(bh_version_check(SCHEME, "1\x1b[2J", &why, &err), BH_VERSION_ODD);
	assert_non_null(strstr(why, "'1\\x1b[2J'"));
	free(why);
	assert_int_equal(bh_version_validate(SCHEME, "1 \x1b[2J", &err), -1);
	assert_error(err, BH_ERR_INVALID, "'1 \\x1b[2J'");
	bh_error_clear(&err);
}

static void test_dpkg_hostile(void **state)
{
	check_hostile(hostile, N(hostile), false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpkg_order),
		cmocka_unit_test(test_dpkg_pairs),
		cmocka_unit_test(test_dpkg_random_pairs_decided_by_dpkg),
		cmocka_unit_test(test_dpkg_refuses_what_dpkg_refuses),
		cmocka_unit_test(test_dpkg_compares_what_dpkg_warns_about),
		cmocka_unit_test(test_dpkg_valid),
		cmocka_unit_test(test_dpkg_error_messages),
		cmocka_unit_test(test_dpkg_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
