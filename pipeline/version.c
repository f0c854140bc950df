/* version.c: sluice's version and the versions of the libraries it is linked with. */
#include "version.h"

const char *sl_version(void)
{
    return SL_VERSION;
}
