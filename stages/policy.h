/* policy.h: the sanitize policy's representation (private to stages/policy.c and sanitize.c).
 *
 * The public surface (create, load, destroy, accessors) is in sanitize.h; this header only lets
 * sanitize.c read the fields. A policy is built once and is read-only afterwards, so any number of
 * threads may share it. Keys, defaults and meaning: docs/policy.md.
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitize.h"

struct sl_strlist {
    char **v;
    size_t n;
};

enum sl_san_action { SL_SAN_STRIP, SL_SAN_ESCAPE, SL_SAN_REJECT, SL_SAN_KEEP };
enum sl_san_injection { SL_INJ_OFF, SL_INJ_FLAG, SL_INJ_REJECT };

#define SL_POLICY_FIRST_SLOTS 2048

struct sl_policy {
    struct sl_strlist methods, endpoints, extra_endpoints, models, roles, drop_fields,
        refuse_fields;
    bool azure, allow_unknown_keys, allow_image_parts, allow_tools, utf8_replace;
    bool nfc; /* normalize every body string to Unicode NFC (utf8proc) */
    enum sl_san_action action[SL_SAN__COUNT]; /* SL_SAN_INJECTION's slot is unused */
    enum sl_san_injection injection;
    uint64_t max_job_bytes, max_custom_id_bytes, max_messages, max_message_chars, max_depth;
    uint64_t max_est_tokens, max_output_tokens, max_n, default_max_tokens;
    /* Hash of a word -> bitmask of the injection phrases whose first word may be that word
     * (sanitize.c fills it; a zero entry lets the scan skip a word with one load). */
    uint64_t inj_first[SL_POLICY_FIRST_SLOTS];
    /* One bit per folded two-byte prefix of those first words: most words skip the hash. */
    uint8_t inj_prefix[65536 / 8];
};

bool sl_strlist_has(const struct sl_strlist *l, const char *s, size_t n);

/* Defined in sanitize.c: fills p->inj_first from the phrase table. */
void sl_sanitize_policy_prepare(struct sl_policy *p);

#endif
