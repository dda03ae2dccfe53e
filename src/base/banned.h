/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Functions that are easy to misuse with untrusted input. Include this header
 * LAST in every source file (after all system headers), so a use anywhere
 * below it is a compile error. Use bh_buf, snprintf, strtok_r, bh_parse_u64;
 * bh_isdigit() and the other ASCII classes of base.h for <ctype.h> (locale
 * dependent, undefined for a negative char); bh_time_rfc3339, bh_time_short
 * and bh_time_parse for the gmtime/localtime family (time-zone state, static
 * buffers).
 */
#ifndef BULKHEAD_BANNED_H
#define BULKHEAD_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_bulkhead

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef atoll
#define atoll(x) BANNED(atoll)
#undef gets
#define gets(x) BANNED(gets)
#undef tmpnam
#define tmpnam(x) BANNED(tmpnam)
#undef mktemp
#define mktemp(x) BANNED(mktemp)

#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef gmtime_r
#define gmtime_r(x, y) BANNED(gmtime_r)
#undef localtime
#define localtime(x) BANNED(localtime)
#undef localtime_r
#define localtime_r(x, y) BANNED(localtime_r)
#undef ctime
#define ctime(x) BANNED(ctime)
#undef ctime_r
#define ctime_r(x, y) BANNED(ctime_r)
#undef asctime
#define asctime(x) BANNED(asctime)
#undef asctime_r
#define asctime_r(x, y) BANNED(asctime_r)
#undef mktime
#define mktime(x) BANNED(mktime)
#undef timegm
#define timegm(x) BANNED(timegm)
#undef strptime
#define strptime(x, y, z) BANNED(strptime)
#undef strftime
#define strftime(a, b, c, d) BANNED(strftime)

#undef isalpha
#define isalpha(c) BANNED(isalpha)
#undef isdigit
#define isdigit(c) BANNED(isdigit)
#undef isalnum
#define isalnum(c) BANNED(isalnum)
#undef isspace
#define isspace(c) BANNED(isspace)
#undef isxdigit
#define isxdigit(c) BANNED(isxdigit)
#undef isupper
#define isupper(c) BANNED(isupper)
#undef islower
#define islower(c) BANNED(islower)
#undef isprint
#define isprint(c) BANNED(isprint)
#undef ispunct
#define ispunct(c) BANNED(ispunct)
#undef iscntrl
#define iscntrl(c) BANNED(iscntrl)
#undef isgraph
#define isgraph(c) BANNED(isgraph)
#undef isblank
#define isblank(c) BANNED(isblank)
#undef tolower
#define tolower(c) BANNED(tolower)
#undef toupper
#define toupper(c) BANNED(toupper)

#endif /* BULKHEAD_BANNED_H */
