/* SPDX-License-Identifier: MIT */
/*
 * sddl.h - the SDDL conversion of Windows' <sddl.h>, which the façade
 * declares in mmf/win32.h (ConvertStringSecurityDescriptorToSecurityDescriptor).
 */
#ifndef MMF_COMPAT_SDDL_H
#define MMF_COMPAT_SDDL_H
#include <mmf/win32.h>
#endif
