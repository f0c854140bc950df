/* work.h: what the worker threads do to a job: prepare it (parse -> sanitize -> anonymize -> encode)
 * and finish it (check the response, restore tokens, build the output line, hand it to the writer).
 * The context is read-only while workers run; each worker has its own struct sl_work_tls.
 */
#ifndef SL_WORK_H
#define SL_WORK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>

#include "anonymize.h"
#include "config.h"
#include "idset.h"
#include "inorder.h"
#include "jarena.h"
#include "job.h"
#include "price.h"
#include "sanitize.h"
#include "strcache.h"
#include "writer.h"

#define SL_WORK_MAX_REASONS 64

typedef void (*sl_work_deliver_fn)(void *ud, struct sl_job *j);

struct sl_work_ctx {
    const struct sl_config *cfg;
    const struct sl_policy *policy;
    const struct sl_anon *anon;      /* NULL when anonymize is off */
    const struct sl_anon *id_anon;   /* redact-all database, to keep PII out of audit custom_ids */
    struct sl_writer *writer;        /* NULL in dry-run (records go to dry_sink) */
    struct sl_idset *ids;
    unsigned char audit_key[32];
    /* Counters for the summary (relaxed atomics, read at the end). */
    pthread_mutex_t reasons_mu;      /* rejects by reason code ("size.message", "parse.json"...) */
    size_t n_reasons;
    char reason_name[SL_WORK_MAX_REASONS][40];
    uint64_t reason_count[SL_WORK_MAX_REASONS];
    _Atomic uint64_t redactions[SL_PII__COUNT];
    _Atomic uint64_t sanitized[SL_SAN__COUNT];
    _Atomic uint64_t injection_flagged;
    _Atomic uint64_t prompt_tokens, completion_tokens, est_tokens;
    _Atomic int writer_error;        /* sticky error from sl_writer_push */
    /* Cost: NULL prices = spend unknown. Sums in nano-USD; *_unknown count jobs whose model the
     * table does not price. */
    const struct sl_prices *prices;
    /* --template: the template's text (checked by run.c); each worker parses its own copy. */
    const char *template_text;
    size_t template_len;
    _Atomic uint64_t est_cost_nusd, est_cost_unknown;
    _Atomic uint64_t spend_nusd, spend_unknown;
    /* Admission in input order (work.c): prepared jobs wait here, not their workers. */
    sl_work_deliver_fn deliver; /* hands a prepared (admitted) job back; any worker thread */
    void *deliver_ud;
    struct sl_inorder admission; /* seq order for the id set, without waiting */
};

struct sl_work_tls {
    struct sl_anon_scratch *scratch;
    struct sl_anon_scratch *id_scratch;
    struct sl_buf tmp;
    EVP_MAC_CTX *hmac; /* HMAC-SHA256 keyed once with ctx->audit_key (NULL: one-shot HMAC()) */
    json_t *tmpl; /* this worker's parsed template, NULL without --template */
    struct sl_jarena arena; /* jansson's allocations during one prepare or finish (jarena.h) */
    size_t body_off, body_len; /* during prepare: the record's "body" bytes in j->raw (0, 0: none) */
    struct sl_strcache clean;  /* strings the anonymizer left unchanged (repeated prompts) */
    struct sl_strcache san_clean[2]; /* strings sanitize left alone, [0] unscanned for injection,
                                      * [1] scanned (sanitize.h, struct sl_san_memo) */
    struct sl_san_memo san_memo;
};

int sl_work_tls_init(struct sl_work_ctx *c, struct sl_work_tls *t);
void sl_work_tls_close(struct sl_work_tls *t);

/* Set up / tear down admission; deliver gets every prepared job exactly once, in input order when
 * duplicate detection is on, on whichever worker admits it. 0 or -ENOMEM. */
int sl_work_admit_init(struct sl_work_ctx *c, sl_work_deliver_fn deliver, void *ud);
void sl_work_admit_free(struct sl_work_ctx *c);
/* NEW -> READY (outcome OK), or REJECTED/SKIPPED (record already handed to the writer); the job
 * (and maybe jobs parked by other workers) then goes to deliver, possibly later from another
 * worker. */
void sl_work_prepare(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j);
/* RESPONDED -> FINISHED (result or error record handed over), or outcome RETRY. */
void sl_work_finish(struct sl_work_ctx *c, struct sl_work_tls *t, struct sl_job *j);

/* Source text of a job for reject records: "jobs.jsonl:812" or "jobs.msgpack#811". */
void sl_work_source(const struct sl_work_ctx *c, const struct sl_job *j, char *out, size_t cap);

void sl_job_free(struct sl_job *j);
/* Make j like a fresh calloc'd job for the loop's spare list (run.c): everything per job is freed
 * or zeroed; the raw, body and response buffers are wiped and kept, unless larger than keep bytes
 * (then freed; keep 0 frees them all). Callers pass SL_JOB_KEEP_BYTES or 0. */
#define SL_JOB_KEEP_BYTES (16 * 1024)
void sl_job_recycle(struct sl_job *j, size_t keep);

#endif
