/* SPDX-License-Identifier: MIT */
/* error.c - descriptions and names of the MMF_E* codes and the statuses. */
#include "mmf.h"

/* Every code is negative, and mmf's own lie in their range. (That no two
 * codes share a value is checked by the switches below: a duplicate case
 * does not compile.) */
#define MMF_ERR_NEGATIVE_(name, value, text)                                   \
    _Static_assert((value) < 0 && (value) > -5000, "MMF_" #name " is out of range");
MMF_ERRNO_MAP(MMF_ERR_NEGATIVE_)
#undef MMF_ERR_NEGATIVE_
_Static_assert(MMF_ETYPE <= -4001 && MMF_ENOTOWNER >= -4099, "mmf's own codes");
_Static_assert(MMF_OK == 0 && MMF_EXISTED > 0 && MMF_ABANDONED > 0,
               "a status is no error");
_Static_assert(MMF_ABANDONED >= MMF_WAIT_MAX && MMF_ABANDONED + MMF_WAIT_MAX <= 0xff,
               "MMF_ABANDONED + index is neither an index nor another status");

const char *mmf_strerror(int err)
{
    switch (err) {
#define MMF_ERR_TEXT_(name, value, text) case MMF_##name: return text;
        MMF_ERRNO_MAP(MMF_ERR_TEXT_)
#undef MMF_ERR_TEXT_
    case MMF_OK:
        return "success";
    case MMF_EXISTED:
        return "opened an object that already existed";
    case MMF_ABANDONED:
        return "acquired a mutex whose previous owner died holding it";
    default:
        return "unknown error";
    }
}

const char *mmf_err_name(int err)
{
    switch (err) {
#define MMF_ERR_NAME_(name, value, text) case MMF_##name: return "MMF_" #name;
        MMF_ERRNO_MAP(MMF_ERR_NAME_)
#undef MMF_ERR_NAME_
    case MMF_OK:
        return "MMF_OK";
    case MMF_EXISTED:
        return "MMF_EXISTED";
    case MMF_ABANDONED:
        return "MMF_ABANDONED";
    default:
        return "MMF_UNKNOWN";
    }
}
