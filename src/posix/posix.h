/* posix.h - helpers shared by the Linux backend files. */
#ifndef MMF_POSIX_H
#define MMF_POSIX_H

#include "../os.h"

/* errno value → MMF_E* code, folding errnos without an MMF_E* equivalent
 * into the nearest one. */
int mmf__posix_err(int errnum);

#endif
