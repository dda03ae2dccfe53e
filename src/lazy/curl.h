/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_CURL_H
#define BULKHEAD_LAZY_CURL_H

/* curl's type-checking wrappers are macros named like the functions; the
 * calls below go through pointers of the functions' declared types. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "lazy/lazy.h"

/* <curl/curl.h> keeps these two as argument-counting macros */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#define curl_easy_cleanup   BH_LAZY(curl, curl_easy_cleanup)
#define curl_easy_getinfo   BH_LAZY(curl, curl_easy_getinfo)
#define curl_easy_init	    BH_LAZY(curl, curl_easy_init)
#define curl_easy_perform   BH_LAZY(curl, curl_easy_perform)
#define curl_easy_setopt    BH_LAZY(curl, curl_easy_setopt)
#define curl_easy_strerror  BH_LAZY(curl, curl_easy_strerror)
#define curl_global_cleanup BH_LAZY(curl, curl_global_cleanup)
#define curl_global_init    BH_LAZY(curl, curl_global_init)
#define curl_slist_append   BH_LAZY(curl, curl_slist_append)
#define curl_slist_free_all BH_LAZY(curl, curl_slist_free_all)

#endif
