/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared by the portable core's files. */
#ifndef MMF_INTERNAL_H
#define MMF_INTERNAL_H

#include <stdlib.h>

#include "mmf.h"
#include "object.h"
#include "backend.h"

/* The store reference behind a section handle, in *obj: 0, or MMF_EBADF
 * for NULL or a closed handle (see MISUSE in mmf.h). */
int mmf__section_obj(const mmf_section *s, mmf__obj **obj);

#endif
