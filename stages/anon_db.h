/* anon_db.h: the anonymizer's Vectorscan database, built once at build time.
 *
 * Compiling the trigger patterns takes about half a second of CPU, far too long for a tool whose
 * start-up to first request should be a few milliseconds. The build therefore compiles them once
 * (stages/tools/anon_dbgen.c), serializes the database and links the bytes into the sluice binary;
 * at start-up main() registers them and sl_anon_db_build() deserializes them (milliseconds). The
 * bytes carry a fingerprint of the pattern table and of the Vectorscan version: on any mismatch, or
 * if this CPU cannot run the serialized database, it compiles the patterns as before. Programs that
 * register nothing (unit tests) always compile.
 */
#ifndef SL_ANON_DB_H
#define SL_ANON_DB_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Fingerprint of the pattern table (expressions, flags, ids) and the Vectorscan version. */
uint64_t sl_anon_db_fingerprint(void);

/* Register serialized bytes made by sl_anon_db_serialize (not copied; must outlive every call). */
void sl_anon_db_set_embedded(const void *bytes, size_t len, uint64_t fingerprint);

/* The database: from the registered bytes when they fit, else compiled. *db freed by hs_free_database. */
SL_MUST_CHECK int sl_anon_db_build(hs_database_t **db);

/* Compile and serialize (for the build-time generator). *bytes freed with free(). */
SL_MUST_CHECK int sl_anon_db_serialize(char **bytes, size_t *len);

#endif
