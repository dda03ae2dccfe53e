/* SPDX-License-Identifier: Apache-2.0 */
/* libcrypto, loaded on first use (see lazy.h): include this, not its headers. */
#ifndef BULKHEAD_LAZY_CRYPTO_H
#define BULKHEAD_LAZY_CRYPTO_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lazy/lazy.h"

#define EVP_Digest	   BH_LAZY(crypto, EVP_Digest)
#define EVP_DigestFinal_ex BH_LAZY(crypto, EVP_DigestFinal_ex)
#define EVP_DigestInit_ex  BH_LAZY(crypto, EVP_DigestInit_ex)
#define EVP_DigestUpdate   BH_LAZY(crypto, EVP_DigestUpdate)
#define EVP_MD_CTX_free	   BH_LAZY(crypto, EVP_MD_CTX_free)
#define EVP_MD_CTX_new	   BH_LAZY(crypto, EVP_MD_CTX_new)
#define EVP_md5		   BH_LAZY(crypto, EVP_md5)
#define EVP_sha1	   BH_LAZY(crypto, EVP_sha1)
#define EVP_sha256	   BH_LAZY(crypto, EVP_sha256)
#define EVP_sha512	   BH_LAZY(crypto, EVP_sha512)
#define OpenSSL_version	   BH_LAZY(crypto, OpenSSL_version)

/* keys and signatures (src/trust) */
#define EVP_DigestSign		      BH_LAZY(crypto, EVP_DigestSign)
#define EVP_DigestSignInit	      BH_LAZY(crypto, EVP_DigestSignInit)
#define EVP_DigestVerify	      BH_LAZY(crypto, EVP_DigestVerify)
#define EVP_DigestVerifyInit	      BH_LAZY(crypto, EVP_DigestVerifyInit)
#define EVP_PKCS82PKEY		      BH_LAZY(crypto, EVP_PKCS82PKEY)
#define EVP_PKEY2PKCS8		      BH_LAZY(crypto, EVP_PKEY2PKCS8)
#define EVP_PKEY_CTX_free	      BH_LAZY(crypto, EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new	      BH_LAZY(crypto, EVP_PKEY_CTX_new)
#define EVP_PKEY_CTX_new_from_name    BH_LAZY(crypto, EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_set_group_name   BH_LAZY(crypto, EVP_PKEY_CTX_set_group_name)
#define EVP_PKEY_CTX_set_signature_md BH_LAZY(crypto, EVP_PKEY_CTX_set_signature_md)
#define EVP_PKEY_check		      BH_LAZY(crypto, EVP_PKEY_check)
#define EVP_PKEY_free		      BH_LAZY(crypto, EVP_PKEY_free)
#define EVP_PKEY_generate	      BH_LAZY(crypto, EVP_PKEY_generate)
#define EVP_PKEY_get_base_id	      BH_LAZY(crypto, EVP_PKEY_get_base_id)
#define EVP_PKEY_get_group_name	      BH_LAZY(crypto, EVP_PKEY_get_group_name)
#define EVP_PKEY_keygen_init	      BH_LAZY(crypto, EVP_PKEY_keygen_init)
#define EVP_PKEY_verify		      BH_LAZY(crypto, EVP_PKEY_verify)
#define EVP_PKEY_verify_init	      BH_LAZY(crypto, EVP_PKEY_verify_init)
#define OPENSSL_cleanse		      BH_LAZY(crypto, OPENSSL_cleanse)
#define PKCS8_PRIV_KEY_INFO_free      BH_LAZY(crypto, PKCS8_PRIV_KEY_INFO_free)
#define d2i_PKCS8_PRIV_KEY_INFO	      BH_LAZY(crypto, d2i_PKCS8_PRIV_KEY_INFO)
#define d2i_PUBKEY		      BH_LAZY(crypto, d2i_PUBKEY)
#define d2i_PrivateKey		      BH_LAZY(crypto, d2i_PrivateKey)
#define i2d_PKCS8_PRIV_KEY_INFO	      BH_LAZY(crypto, i2d_PKCS8_PRIV_KEY_INFO)
#define i2d_PUBKEY		      BH_LAZY(crypto, i2d_PUBKEY)

#endif
