/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared by the portable core's files. */
#ifndef MMF_INTERNAL_H
#define MMF_INTERNAL_H

#include <stdlib.h>

#include "mmf.h"
#include "object.h"
#include "os.h"

/* Misuse (a NULL or freed handle) is a bug in the caller: stop at once,
 * also in release builds, rather than corrupt shared state. */
#define MMF__CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

/* The store reference behind a section handle (aborts on a bad handle). */
mmf__obj *mmf__section_obj(const mmf_section *s);

#endif
