/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Libraries loaded on first use.
 *
 * The runtime commands start the binary twice per container (the sealed
 * re-exec of CVE-2019-5736), and on a machine where page faults are dear
 * every library mapped at start costs about a millisecond. So only libc,
 * jansson and libseccomp are linked; the libraries of the image, scanning
 * and database code (libarchive, libcrypto, sqlite3, vectorscan, pcre2,
 * yara, zstd, isa-l, libyaml; libcurl for `db update` and registries;
 * libsodium for key files; libevent and libssl for the commands that serve;
 * libbpf for syscall learning;
 * libmnl for the NFQUEUE live path; libpq for the controller's PostgreSQL store) are dlopen()ed
 * when their first function is called.
 *
 * A file that calls such a library includes "lazy/<lib>.h" instead of the
 * library's header. It defines each function the code uses as a macro,
 *
 *   #define archive_read_new BH_LAZY(archive, archive_read_new)
 *
 * that calls through a pointer of the declared type (__typeof__ of the
 * library's own prototype, so calls stay type-checked), resolved once per
 * call site. A function missing from the list is a link error, never a
 * silent direct call. If the library cannot be loaded, the first call ends
 * the process with a message naming the library and its package; entry
 * points with an error channel call bh_lazy_require() first to fail cleanly.
 */
#ifndef BULKHEAD_LAZY_H
#define BULKHEAD_LAZY_H

#include <pthread.h>
#include <stdbool.h>

#include "bulkhead/base.h"

struct bh_lazy_lib {
	const char *soname;  /* e.g. "libarchive.so.13", taken from the build machine */
	const char *package; /* Debian package that ships it, for the error message */
	void (*init)(void);  /* loads it; run once through `once` */
	pthread_once_t once;
	void *handle;
	char error[256]; /* why it did not load */
};

extern struct bh_lazy_lib bh_lazy_archive, bh_lazy_crypto, bh_lazy_sqlite3, bh_lazy_hs,
	bh_lazy_pcre2, bh_lazy_yara, bh_lazy_zstd, bh_lazy_isal, bh_lazy_yaml, bh_lazy_curl,
	bh_lazy_sodium, bh_lazy_event_core, bh_lazy_event_extra, bh_lazy_event_openssl, bh_lazy_ssl,
	bh_lazy_bpf, bh_lazy_mnl, bh_lazy_pq, bh_lazy_esys, bh_lazy_tctildr, bh_lazy_mu, bh_lazy_rc;

/* Load lib now; an error (naming the library and its package) if it cannot be. */
int bh_lazy_require(struct bh_lazy_lib *lib, struct bh_error **err);

/* The address of symbol name in lib; ends the process if it cannot be had. */
void *bh_lazy_sym(struct bh_lazy_lib *lib, const char *name);

/* The library function fn of lib, as a callable of fn's own type. */
#define BH_LAZY(lib, fn)                                                                           \
	(*({                                                                                       \
		static void *bh_lazy_p_;                                                           \
		void *bh_lazy_q_ = __atomic_load_n(&bh_lazy_p_, __ATOMIC_ACQUIRE);                 \
		if (__builtin_expect(!bh_lazy_q_, 0)) {                                            \
			bh_lazy_q_ = bh_lazy_sym(&bh_lazy_##lib, #fn);                             \
			__atomic_store_n(&bh_lazy_p_, bh_lazy_q_, __ATOMIC_RELEASE);               \
		}                                                                                  \
		(__typeof__(&fn))bh_lazy_q_;                                                       \
	}))

#endif
