/* error.c - descriptions and names of the MMF_E* codes. */
#include "mmf.h"

const char *mmf_strerror(int err)
{
    switch (err) {
#define MMF_ERR_TEXT_(name, value, text) case MMF_##name: return text;
        MMF_ERRNO_MAP(MMF_ERR_TEXT_)
#undef MMF_ERR_TEXT_
    case 0:
        return "success";
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
    case 0:
        return "MMF_OK";
    default:
        return "MMF_UNKNOWN";
    }
}
