/* job.h: one input record on its way through the pipeline.
 *
 * A job has one owner at a time: the loop thread creates it from a framed record, a worker prepares
 * it (parse, sanitize, anonymize, encode), the loop schedules and sends it, a worker finishes it
 * (checks the response, restores tokens, builds the output line and hands the record to the writer),
 * and the loop frees it. Ownership moves with the queue push; nothing else touches it meanwhile.
 */
#ifndef SL_JOB_H
#define SL_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "anonymize.h"
#include "buf.h"
#include "ratelimit.h"
#include "sanitize.h"
#include "writer.h"

enum sl_job_state {
    SL_JOB_NEW,       /* framed, waiting for a worker */
    SL_JOB_READY,     /* prepared, waiting for the scheduler */
    SL_JOB_SENDING,   /* transfer in flight */
    SL_JOB_RETRYWAIT, /* waiting for its retry time */
    SL_JOB_RESPONDED, /* response (or final failure) in, waiting for a worker to finish it */
    SL_JOB_FINISHED,  /* output record handed to the writer (or skipped): back to the loop */
};

enum sl_job_outcome {
    SL_JOB_OK,       /* a response to record */
    SL_JOB_REJECTED, /* refused by parse/sanitize */
    SL_JOB_FAILED,   /* error record */
    SL_JOB_SKIPPED,  /* done by an earlier run (resume) */
    SL_JOB_RETRY,    /* finish found the response unusable: send again */
    SL_JOB_ABANDON,  /* run is stopping: not recorded, redone on resume */
    SL_JOB_OTHER_SHARD, /* --shard: another process's job; no record here */
};

struct sl_job {
    struct sl_job *next;   /* intrusive link for the loop's lists */
    uint64_t seq;          /* input position across all inputs */
    uint32_t input_idx;    /* which input */
    uint64_t rec_no;       /* line number (JSONL, from 1) or record index (msgpack, from 0) */
    bool is_msgpack;
    int frame_err;         /* framing failure from the reader (SL_ETOOBIG, SL_EPARSE), 0 if none */
    const char *frame_why; /* static text for frame_err */
    char *raw;             /* the record's bytes; wiped after prepare (raw_len 0), buffer reused */
    size_t raw_len;
    size_t raw_cap;        /* bytes allocated at raw (run.c recycles jobs with their buffers) */
    void *mp_zone;         /* msgpack: the unpacked object's zone (struct msgpack_zone*) */
    void *mp_obj;          /* msgpack: msgpack_object* inside mp_zone */

    enum sl_job_state state;
    enum sl_job_outcome outcome;

    /* Prepared by a worker. */
    char *custom_id;
    char *method;
    char *path;            /* url of the job, e.g. /v1/chat/completions (may have ?query) */
    char *model;
    char *strs;            /* work.c: one block holding method, path and model (one malloc) */
    struct sl_buf body;    /* the request body to send */
    uint64_t est_tokens;
    unsigned char input_digest[32];
    char idem_key[40];
    struct sl_anon_counts redactions;
    struct sl_san_stats sanitized;
    struct sl_anon_vault *vault;

    /* Sending (loop thread). */
    void *easy;            /* CURL* while in flight */
    size_t http_slot;      /* index in the http module's in-flight table */
    struct curl_slist idem_node; /* Idempotency-Key node chained to the shared header list */
    char idem_header[64];
    unsigned attempts;
    uint64_t reserved_tokens;
    uint64_t due_ms;       /* retry time */
    uint64_t sent_ms;
    uint64_t first_sent_ms; /* first attempt */
    uint32_t latency_ms;
    long status;           /* HTTP status of the last attempt, 0 if none */
    int curl_code;         /* CURLcode of the last attempt */
    struct sl_buf resp;    /* body of the last attempt */
    struct sl_ratelimit_view rl;
    char err_code[64];     /* final error code for an error record */
    char err_msg[200];     /* final error message (never content) */

    /* Finished by a worker. */
    uint64_t prompt_tokens, completion_tokens;
    uint64_t used_tokens;  /* for settling the bucket; 0 = unknown */
    bool unwritten;        /* the writer refused the record (sticky disk error) */
    bool admit;            /* prepared and checked: admission decides on its custom_id (work.c) */
    bool remember_id;      /* done by an earlier run: admission only records its custom_id */

    /* Cost (price.h), nano-USD. */
    uint64_t est_cost_nusd;  /* estimate from est_tokens, set by prepare (0 if unknown) */
    uint8_t est_cost_state;  /* 0 no price table, 1 est_cost_nusd priced, 2 model not priced */
    uint64_t cost_nusd;      /* from usage, set by finish */
    bool cost_known;         /* the price table knows j->model */
    uint64_t held_nusd;      /* loop thread: estimate counted against the budget while in flight */
};

#endif
