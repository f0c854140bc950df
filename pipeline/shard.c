/* shard.c: job ownership by FNV-1a 64 of the custom_id (see shard.h). Pure; any thread.
 * FNV-1a rather than a keyed hash: the split must be computable by other tools and stable across
 * versions and machines; it only needs to spread ids evenly, not to resist chosen inputs. */
#include "shard.h"

#include <string.h>

uint64_t sl_shard_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

bool sl_shard_owns(unsigned index, unsigned count, const char *custom_id)
{
    if (count <= 1)
        return true;
    if (!custom_id)
        return index == 0;
    return sl_shard_hash(custom_id, strlen(custom_id)) % count == index;
}
