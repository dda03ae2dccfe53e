/* SPDX-License-Identifier: Apache-2.0 */
/* libcrypto, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_CRYPTO_H
#define BULKHEAD_LAZY_CRYPTO_H

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lazy/lazy.h"

#define EVP_DigestFinal_ex BH_LAZY(crypto, EVP_DigestFinal_ex)
#define EVP_DigestInit_ex  BH_LAZY(crypto, EVP_DigestInit_ex)
#define EVP_DigestUpdate   BH_LAZY(crypto, EVP_DigestUpdate)
#define EVP_MD_CTX_free	   BH_LAZY(crypto, EVP_MD_CTX_free)
#define EVP_MD_CTX_new	   BH_LAZY(crypto, EVP_MD_CTX_new)
#define EVP_sha256	   BH_LAZY(crypto, EVP_sha256)
#define EVP_sha512	   BH_LAZY(crypto, EVP_sha512)
#define OpenSSL_version	   BH_LAZY(crypto, OpenSSL_version)

#endif
