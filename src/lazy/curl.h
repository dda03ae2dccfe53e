/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_CURL_H
#define BULKHEAD_LAZY_CURL_H

/* curl's type-checking wrappers are macros named like the functions; the
 * calls below go through pointers of the functions' declared types. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "lazy/lazy.h"

/* <curl/curl.h> keeps these as argument-counting macros */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_share_setopt
#undef curl_multi_setopt

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
/* the registry client (src/registry) */
#define curl_easy_escape	 BH_LAZY(curl, curl_easy_escape)
#define curl_easy_pause		 BH_LAZY(curl, curl_easy_pause)
#define curl_easy_reset		 BH_LAZY(curl, curl_easy_reset)
#define curl_free		 BH_LAZY(curl, curl_free)
#define curl_multi_add_handle	 BH_LAZY(curl, curl_multi_add_handle)
#define curl_multi_cleanup	 BH_LAZY(curl, curl_multi_cleanup)
#define curl_multi_info_read	 BH_LAZY(curl, curl_multi_info_read)
#define curl_multi_init		 BH_LAZY(curl, curl_multi_init)
#define curl_multi_perform	 BH_LAZY(curl, curl_multi_perform)
#define curl_multi_poll		 BH_LAZY(curl, curl_multi_poll)
#define curl_multi_remove_handle BH_LAZY(curl, curl_multi_remove_handle)
#define curl_multi_strerror	 BH_LAZY(curl, curl_multi_strerror)
#define curl_multi_wakeup	 BH_LAZY(curl, curl_multi_wakeup)
#define curl_share_cleanup	 BH_LAZY(curl, curl_share_cleanup)
#define curl_share_init		 BH_LAZY(curl, curl_share_init)
#define curl_share_setopt	 BH_LAZY(curl, curl_share_setopt)
#define curl_url		 BH_LAZY(curl, curl_url)
#define curl_url_cleanup	 BH_LAZY(curl, curl_url_cleanup)
#define curl_url_get		 BH_LAZY(curl, curl_url_get)
#define curl_url_set		 BH_LAZY(curl, curl_url_set)

#endif
