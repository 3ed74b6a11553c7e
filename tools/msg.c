/* SPDX-License-Identifier: MIT */
/*
 * msg.c - how the tool speaks: names made safe for a terminal, the one-line
 * error messages ("mmf: CMD NAME: reason") and the exit code each failure
 * gets, and the check at exit that stdout really received the output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "utf8.h"

const char *tool_cmd = "mmf";
const char *tool_obj;
int tool_global_default;

/* ------------------------------------------------------------------------ */
/* Names                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A name or path made safe for a terminal: control characters (C0, DEL,
 * C1) and bytes that are not UTF-8 become \xNN, so a hostile name cannot
 * send escape sequences. Returns buf.
 */
static const char *safe(const char *s, char *buf, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    while (*p != '\0' && o + 5 < cap) {
        uint32_t cp = 0;
        size_t n = mmf__utf8_decode(p, SIZE_MAX, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
            p++;
        } else {
            memcpy(buf + o, p, n);
            o += n;
            p += n;
        }
    }
    buf[o] = '\0';
    return buf;
}

const char *show(const char *s)
{
    static char bufs[4][4 * MMF_NAME_BYTES + 64];
    static int next;
    char *b = bufs[next++ % 4];
    return safe(s, b, sizeof bufs[0]);
}

const char *canon(const char *name)
{
    static char buf[4 * MMF_NAME_BYTES + 64];
    if (strncmp(name, "Local\\", 6) == 0 || strncmp(name, "Global\\", 7) == 0 ||
        name[0] == '\0')
        return name;
    snprintf(buf, sizeof buf, "%s%s", tool_global_default ? "Global\\" : "Local\\", name);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Messages and exits                                                        */
/* ------------------------------------------------------------------------ */

static void vmsg(const char *name, const char *fmt, va_list ap)
{
    fflush(stdout);
    if (name != NULL && name[0] != '\0')
        fprintf(stderr, "mmf: %s %s: ", tool_cmd, show(canon(name)));
    else
        fprintf(stderr, "mmf: %s: ", tool_cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void die(int code, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(name, fmt, ap);
    va_end(ap);
    exit(code);
}

void warn(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(name, fmt, ap);
    va_end(ap);
}

void usage_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (strcmp(tool_cmd, "mmf") == 0)
        fprintf(stderr, "mmf: ");
    else if (tool_obj != NULL)
        fprintf(stderr, "mmf: %s %s: ", tool_cmd, show(canon(tool_obj)));
    else
        fprintf(stderr, "mmf: %s: ", tool_cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (strcmp(tool_cmd, "mmf") == 0)
        fprintf(stderr, " (see 'mmf --help')\n");
    else
        fprintf(stderr, " (see 'mmf %s --help')\n", tool_cmd);
    exit(EX_USAGE);
}

int exit_code(int rc)
{
    switch (rc) {
    case MMF_ENOENT: return EX_NOTFOUND;
    case MMF_EINVAL: case MMF_EBADNAME: case MMF_ENAMETOOLONG:
    case MMF_ERANGE: case MMF_EALIGN: case MMF_EFILEEMPTY: case MMF_EFBIG:
        return EX_USAGE;
    case MMF_EACCES: return EX_DENIED;
    case MMF_EBUSY: return EX_BUSY;
    case MMF_ETIMEDOUT: return EX_TIMEOUT;
    case MMF_EEXIST: return EX_EXISTS;
    case MMF_ETYPE: return EX_TYPE;
    default: return EX_ERROR;
    }
}

void fail(const char *name, int rc)
{
    die(exit_code(rc), name, "%s", mmf_strerror(rc));
}

/* ------------------------------------------------------------------------ */
/* stdout                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * At exit, whatever the path to it: output that did not reach stdout (a
 * full disk, a closed pipe with SIGPIPE ignored) is an error, exit 6, as
 * cat and dump report it.
 */
static int stdout_reported; /* the failure was said already: once is enough */

void close_stdout(void)
{
    static int closed; /* `mmf help CMD` runs main twice: registered twice */
    int failed, e;
    if (closed++ || stdout_reported)
        return;
    errno = 0;
    failed = fflush(stdout) != 0 || ferror(stdout);
    e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed) {
        int top = strcmp(tool_cmd, "mmf") == 0;
        fprintf(stderr, "mmf: %s%scannot write to stdout: %s\n", top ? "" : tool_cmd,
                top ? "" : ": ", e != 0 ? strerror(e) : "write error");
        _exit(EX_ERROR);
    }
}

void stdout_failed(const char *name, const char *more)
{
    int e = errno;
    stdout_reported = 1;
    die(EX_ERROR, name, "cannot write to stdout: %s%s", strerror(e), more);
}
