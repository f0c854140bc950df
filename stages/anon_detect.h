/* anon_detect.h: internal to the anonymize stage (not a public header).
 *
 * The Vectorscan database holds "trigger" patterns only: each reports the END of a short, cheap
 * shape (a digit after a non-word byte, an '@' between word bytes, a key prefix such as "ghp_", a
 * context cue such as "date of birth"). anon_dispatch() then runs the C detector for that trigger,
 * which parses the candidate in both directions with full bounds checks, validates it (Luhn, mod-97,
 * numbering plans, IPv6 grammar, ...) and records accepted spans in the context. The context lives in
 * the caller's scratch: one per thread, no globals.
 */
#ifndef SL_ANON_DETECT_H
#define SL_ANON_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct anon_span {
    size_t start;
    size_t end;
    int type; /* enum sl_pii_type */
};

#define ANON_MAX_NAMES 64

struct anon_name {
    size_t off; /* a person-name token seen in this text, for co-reference */
    size_t len;
};

struct anon_ctx {
    const unsigned char *p;
    size_t n;
    uint32_t types; /* enabled types, never 0 */
    struct anon_span *sp;
    size_t nsp;
    size_t capsp;
    int oom;
    size_t digit_skip; /* digit triggers before this lie inside an accepted number */
    size_t ipv6_done;
    size_t dscan; /* anon_scan_triggers has looked at the bytes before this */
    size_t table_done; /* det_table has read the table rows before this */
    size_t json_brace; /* the '{' of the JSON object json_thing_name judged last (SIZE_MAX: none) */
    bool json_thing;   /* its verdict */
    size_t wstart; /* start of the window being scanned: Vectorscan's \b and ^ hold there */
    uint64_t *tbits; /* anon_triggers: bit i for a trigger byte at i (owned, kept between texts) */
    size_t tcap;     /* its words */
    struct anon_name names[ANON_MAX_NAMES];
    size_t nnames;
};

struct anon_pattern {
    const char *re;
    unsigned flags;
    unsigned char handler;
    unsigned char arg;
};

extern const struct anon_pattern anon_patterns[];
extern const size_t anon_npatterns;

/* Build the detectors' read-only tables; once per process (any thread, idempotent). */
void anon_detect_init(void);
/* Run the detector for pattern id whose match ended at end. Returns 0 (always continue). */
void anon_dispatch(struct anon_ctx *c, unsigned id, size_t end);
/* Run the digit, IBAN and form-label detectors for every trigger ending at or before upto not yet
 * seen (c->dscan, 0 at the start; the bits anon_triggers found), in text order; the scan callback
 * calls it before each dispatch so the detectors see their triggers in the same order as when they
 * were patterns. */
void anon_scan_triggers(struct anon_ctx *c, size_t upto);
/* Before scanning p[ws, we): find the bytes anon_scan_triggers dispatches (first digits of runs,
 * label end bytes, line ends) in one SIMD pass. 0 or -ENOMEM. */
int anon_triggers(struct anon_ctx *c, size_t ws, size_t we);
/* After the scan: every other whole-word occurrence of a detected name token becomes PERSON. */
void anon_corefer_persons(struct anon_ctx *c);

#endif
