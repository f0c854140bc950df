/* anonymize.h: find PII and secrets in text and replace them (the anonymize stage).
 *
 * One compiled database (struct sl_anon) is built once from the options and shared read-only by all
 * threads; each thread owns a struct sl_anon_scratch. sl_anon_text() scans a buffer in one Vectorscan
 * pass, lets C validators and context checks decide, and writes the text with every accepted value
 * replaced by the operator's output. It is correct on any bytes, including invalid UTF-8 and NULs.
 *
 * Operators:  redact   [REDACTED_EMAIL]
 *             mask     keep a hint (e.g. the last 4 digits), the rest as '*'
 *             hash     <EMAIL_9f2c41d0>: HMAC-SHA256(key, type|value), same value -> same pseudonym
 *             tokenize <EMAIL_1> numbered per job; the value is kept in a struct sl_anon_vault (memory
 *                      only) so sl_anon_restore() can put it back into the response locally.
 * No operator output matches a detector again.
 */
#ifndef SL_ANONYMIZE_H
#define SL_ANONYMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum sl_pii_type {
    SL_PII_EMAIL,
    SL_PII_PHONE,
    SL_PII_CREDIT_CARD,
    SL_PII_IBAN,
    SL_PII_US_SSN,
    SL_PII_IP,
    SL_PII_URL_CREDENTIALS,
    SL_PII_SECRET,
    SL_PII_PERSON,
    SL_PII_ADDRESS,
    SL_PII_DATE_OF_BIRTH,
    SL_PII__COUNT
};

enum sl_anon_mode {
    SL_ANON_OFF,
    SL_ANON_REDACT,
    SL_ANON_MASK,
    SL_ANON_HASH,
    SL_ANON_TOKENIZE,
};

struct sl_anon_opts {
    enum sl_anon_mode mode;
    uint32_t types;              /* bit (1u << SL_PII_x) per enabled type; 0 means all */
    const unsigned char *hmac_key; /* for SL_ANON_HASH; copied by sl_anon_create */
    size_t hmac_key_len;
};

struct sl_anon_counts {
    uint32_t n[SL_PII__COUNT];
};

/* The number of values counted in c, all types together. */
uint32_t sl_anon_counts_total(const struct sl_anon_counts *c);

struct sl_anon;
struct sl_anon_scratch;
struct sl_anon_vault;

/* Name as used on the command line and in reports: "EMAIL", "PHONE", ..., NULL if out of range. */
const char *sl_pii_type_name(enum sl_pii_type t);
/* Parse "EMAIL,PHONE,secret" (case-insensitive) into a type mask; SL_ECONFIG on an unknown name. */
SL_MUST_CHECK int sl_pii_types_parse(const char *list, uint32_t *mask);
/* Parse "redact" | "mask" | "hash" | "tokenize" | "off". */
SL_MUST_CHECK int sl_anon_mode_parse(const char *s, enum sl_anon_mode *mode);

/* Build the database (compiles the Vectorscan patterns). Any thread; *out freed by destroy. */
SL_MUST_CHECK int sl_anon_create(const struct sl_anon_opts *o, struct sl_anon **out);
void sl_anon_destroy(struct sl_anon *a); /* wipes the HMAC key */

/* One scratch per thread using the database. */
SL_MUST_CHECK int sl_anon_scratch_create(const struct sl_anon *a, struct sl_anon_scratch **out);
void sl_anon_scratch_destroy(struct sl_anon_scratch *s);

/* Per-job tokenize vault. Memory only; destroy wipes it. */
SL_MUST_CHECK int sl_anon_vault_create(struct sl_anon_vault **out);
void sl_anon_vault_destroy(struct sl_anon_vault *v);

/* Anonymize src[0..len) and APPEND the result to dst. counts (may be NULL) is incremented per type.
 * vault is required for SL_ANON_TOKENIZE and ignored otherwise. Returns 0, or SL_ENOSPACE/-ENOMEM
 * from dst. With mode SL_ANON_OFF it copies src unchanged. */
SL_MUST_CHECK int sl_anon_text(const struct sl_anon *a, struct sl_anon_scratch *s, const char *src,
                               size_t len, struct sl_buf *dst, struct sl_anon_counts *counts,
                               struct sl_anon_vault *vault);

/* Put tokenized values back: every placeholder of this vault in src is replaced by its original
 * value; APPENDS to dst. Placeholders may appear JSON-escaped-free since they are plain ASCII. */
SL_MUST_CHECK int sl_anon_restore(const struct sl_anon_vault *v, const char *src, size_t len,
                                  struct sl_buf *dst);

#endif
