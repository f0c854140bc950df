/* libcheck.h: refuse to run on libraries older than sluice relies on, checked at run time (the
 * shared libraries found at start-up may be older than the headers it was built with).
 * libcurl >= 7.88.0 (HTTP/2 multiplexing and multi-socket fixes), OpenSSL >= 3.0.0 (EVP/HMAC
 * API, TLS 1.3). Pure: the versions come in as numbers; any thread.
 */
#ifndef SL_LIBCHECK_H
#define SL_LIBCHECK_H

#include <stdbool.h>
#include <stddef.h>

#define SL_MIN_CURL_NUM 0x075800u         /* 7.88.0, as curl_version_info()->version_num */
#define SL_MIN_OPENSSL_NUM 0x30000000ul   /* 3.0.0, as OpenSSL_version_num() */

/* True if both versions are new enough; otherwise false and why says which is too old (with the
 * versions decoded), e.g. "libcurl 7.81.0 is older than 7.88.0, which sluice needs". */
bool sl_libs_ok(unsigned curl_num, unsigned long openssl_num, char *why, size_t cap);

/* True if the libraries this process runs on are new enough (curl_version_info and
 * OpenSSL_version_num). */
bool sl_libs_check_runtime(char *why, size_t cap);

#endif
