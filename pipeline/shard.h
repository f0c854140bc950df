/* shard.h: which of N cooperating processes owns a job (`--shard I/N`). Pure; any thread.
 *
 * The owner of a job is FNV-1a 64 of its custom_id bytes (UTF-8 as in the input, no terminator)
 * modulo N: offset basis 0xcbf29ce484222325, prime 0x100000001b3, for each byte
 * h = (h ^ byte) * prime. Other tools compute the same split with those three lines. A record
 * without a usable custom_id (unparseable, or custom_id missing, empty, not a string, over 512
 * bytes or holding NUL) belongs to shard 0, so the shards together account for every line once.
 */
#ifndef SL_SHARD_H
#define SL_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t sl_shard_hash(const char *p, size_t n);

/* true when shard `index` of `count` owns a record with this custom_id (NULL: no custom_id).
 * count 0 or 1 means no sharding: every record is owned. */
bool sl_shard_owns(unsigned index, unsigned count, const char *custom_id);

#endif
