#ifndef SWITCHBOARD_CLIBPQ_SHIM_H
#define SWITCHBOARD_CLIBPQ_SHIM_H
// The include path comes from pkg-config (libpq.pc), never from an absolute path here.
#include <libpq-fe.h>
#endif
