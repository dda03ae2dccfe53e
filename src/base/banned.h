/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Functions that are easy to misuse with untrusted input. Include this header
 * LAST in every source file (after all system headers), so a use anywhere
 * below it is a compile error. Use bh_buf, snprintf, strtok_r, bh_parse_u64.
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

#endif /* BULKHEAD_BANNED_H */
