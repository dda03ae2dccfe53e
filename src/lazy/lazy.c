/* SPDX-License-Identifier: Apache-2.0 */
/* Libraries loaded on first use: see lazy.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bulkhead/base.h"
#include "lazy/lazy.h"
#include "lazy/sonames.h" /* generated at build time: BH_SONAME_<LIB> */
#include "banned.h"

/* dlopen() lib: RTLD_NOW so that a broken install fails here, not in the middle
 * of a scan; RTLD_LOCAL so that nothing of it joins the global scope. */
static void load(struct bh_lazy_lib *lib)
{
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle) {
		const char *e = dlerror();

		snprintf(lib->error, sizeof(lib->error), "%s", e ? e : "dlopen failed");
	}
}

/* pthread_once() takes no argument: one small loader per library. */
#define LIB(var, soname, package)                                                                  \
	static void load_##var(void);                                                              \
	struct bh_lazy_lib bh_lazy_##var = { soname, package, load_##var, PTHREAD_ONCE_INIT,       \
					     NULL,   "" };                                         \
	static void load_##var(void)                                                               \
	{                                                                                          \
		load(&bh_lazy_##var);                                                              \
	}

LIB(archive, BH_SONAME_ARCHIVE, "libarchive13")
LIB(crypto, BH_SONAME_CRYPTO, "libssl3")
LIB(sqlite3, BH_SONAME_SQLITE3, "libsqlite3-0")
LIB(hs, BH_SONAME_HS, "libvectorscan5")
LIB(pcre2, BH_SONAME_PCRE2, "libpcre2-8-0")
LIB(yara, BH_SONAME_YARA, "libyara9")
LIB(zstd, BH_SONAME_ZSTD, "libzstd1")
LIB(isal, BH_SONAME_ISAL, "libisal2")
LIB(yaml, BH_SONAME_YAML, "libyaml-0-2")
LIB(curl, BH_SONAME_CURL, "libcurl4")
LIB(sodium, BH_SONAME_SODIUM, "libsodium23")
LIB(event_core, BH_SONAME_EVENT_CORE, "libevent-core-2.1-7")
LIB(event_extra, BH_SONAME_EVENT_EXTRA, "libevent-extra-2.1-7")
LIB(event_openssl, BH_SONAME_EVENT_OPENSSL, "libevent-openssl-2.1-7")
LIB(ssl, BH_SONAME_SSL, "libssl3")
LIB(bpf, BH_SONAME_BPF, "libbpf1")
LIB(mnl, BH_SONAME_MNL, "libmnl0")
LIB(pq, BH_SONAME_PQ, "libpq5")
LIB(esys, BH_SONAME_ESYS, "libtss2-esys-3.0.2-0")
LIB(tctildr, BH_SONAME_TCTILDR, "libtss2-tctildr0")
LIB(mu, BH_SONAME_MU, "libtss2-mu0")
LIB(rc, BH_SONAME_RC, "libtss2-rc0")

int bh_lazy_require(struct bh_lazy_lib *lib, struct bh_error **err)
{
	pthread_once(&lib->once, lib->init);
	if (!lib->handle)
		return bh_error_set(err, BH_ERR_IO, "cannot load %s (install Debian's %s): %s",
				    lib->soname, lib->package, lib->error);
	return 0;
}

void *bh_lazy_sym(struct bh_lazy_lib *lib, const char *name)
{
	struct bh_error *err = NULL;
	void *p;

	if (bh_lazy_require(lib, &err) < 0) {
		/* No error channel at a call site: say what is missing and stop, rather
		 * than crash. Entry points call bh_lazy_require() first, so this is a
		 * library removed under a running process or a broken install. */
		char *msg = bh_error_message(err);

		fprintf(stderr, "bulkhead: %s\n", msg);
		_exit(3);
	}
	p = dlsym(lib->handle, name);
	if (!p) {
		fprintf(stderr, "bulkhead: %s has no function %s (a different version?)\n",
			lib->soname, name);
		_exit(3);
	}
	return p;
}
