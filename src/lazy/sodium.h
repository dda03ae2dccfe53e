/* SPDX-License-Identifier: Apache-2.0 */
/* libsodium, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_SODIUM_H
#define BULKHEAD_LAZY_SODIUM_H

#include <sodium.h>

#include "lazy/lazy.h"

#define crypto_pwhash_scryptsalsa208sha256_ll BH_LAZY(sodium, crypto_pwhash_scryptsalsa208sha256_ll)
#define crypto_generichash		      BH_LAZY(sodium, crypto_generichash)
#define crypto_pwhash_str		      BH_LAZY(sodium, crypto_pwhash_str)
#define crypto_pwhash_str_verify	      BH_LAZY(sodium, crypto_pwhash_str_verify)
#define crypto_secretbox_easy		      BH_LAZY(sodium, crypto_secretbox_easy)
#define crypto_secretbox_open_easy	      BH_LAZY(sodium, crypto_secretbox_open_easy)
#define sodium_init			      BH_LAZY(sodium, sodium_init)
#define randombytes_buf			      BH_LAZY(sodium, randombytes_buf)
#define sodium_memcmp			      BH_LAZY(sodium, sodium_memcmp)
#define sodium_memzero			      BH_LAZY(sodium, sodium_memzero)
#define sodium_version_string		      BH_LAZY(sodium, sodium_version_string)

#endif
