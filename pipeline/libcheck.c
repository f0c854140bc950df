/* libcheck.c: run-time library version floor (see libcheck.h). */
#include "libcheck.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>

bool sl_libs_ok(unsigned curl_num, unsigned long openssl_num, char *why, size_t cap)
{
    if (curl_num < SL_MIN_CURL_NUM) {
        snprintf(why, cap, "libcurl %u.%u.%u is older than 7.88.0, which sluice needs; install a "
                 "newer libcurl", (curl_num >> 16) & 0xff, (curl_num >> 8) & 0xff, curl_num & 0xff);
        return false;
    }
    if (openssl_num < SL_MIN_OPENSSL_NUM) {
        /* 1.x numbers are 0xMNNFFPPSL: major, minor, fix. */
        snprintf(why, cap, "OpenSSL %lu.%lu.%lu is older than 3.0.0, which sluice needs; install "
                 "OpenSSL 3", (openssl_num >> 28) & 0xf, (openssl_num >> 20) & 0xff,
                 (openssl_num >> 12) & 0xff);
        return false;
    }
    return true;
}

bool sl_libs_check_runtime(char *why, size_t cap)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    return sl_libs_ok(cv ? cv->version_num : 0, OpenSSL_version_num(), why, cap);
}
