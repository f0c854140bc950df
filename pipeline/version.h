#ifndef SL_VERSION_H
#define SL_VERSION_H
const char *sl_version(void);
#endif
