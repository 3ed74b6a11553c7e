/* SPDX-License-Identifier: MIT */
/*
 * args.c - reading the command line: each command's options and
 * positional arguments, byte counts ("4096", "0x1000", "1M") and
 * timeouts, each refused with a usage error (exit 2) when it is wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The option of `opts` that argument `a` names (up to '='), or NULL. */
static struct opt *find_opt(struct opt *opts, const char *a, size_t len)
{
    struct opt *o = NULL;
    for (struct opt *p = opts; p != NULL && p->name != NULL; p++) {
        if (strlen(p->name) == len && strncmp(a, p->name, len) == 0)
            o = p;
    }
    return o;
}

/* Take the option in argv[*i] (and its value, maybe the next argument). */
static void take_opt(struct opt *opts, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    struct opt *o = find_opt(opts, a, len);

    if (o == NULL)
        usage_error("unknown option '%s'", show(a));
    if (o->has_value) {
        if (eq != NULL)
            o->value = eq + 1;
        else if (*i + 1 < argc)
            o->value = argv[++*i];
        else
            usage_error("option %s needs a value", o->name);
    } else {
        if (eq != NULL)
            usage_error("option %s takes no value", o->name);
        o->value = "";
    }
}

int parse_opts(int argc, char **argv, struct opt *opts, char **pos, int maxpos,
               void (*help)(void), int *dashdash)
{
    int npos = 0, only_pos = 0;
    if (dashdash != NULL)
        *dashdash = -1;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            if (dashdash != NULL) {
                *dashdash = i + 1;
                return npos;
            }
            continue;
        }
        if (!only_pos && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            help();
            exit(EX_OK);
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            take_opt(opts, argc, argv, &i);
            continue;
        }
        if (npos >= maxpos)
            usage_error("unexpected argument '%s'", show(a));
        /* Every command's first argument is an object name; an empty one
         * would make an unnamed section nobody can reach. */
        if (npos == 0 && a[0] == '\0')
            usage_error("an object name cannot be empty");
        pos[npos++] = a;
        if (npos == 1 && a[0] != '\0')
            tool_obj = a;
    }
    return npos;
}

/*
 * Parse a byte count: decimal or 0x hex, with an optional binary suffix
 * K, M, G, T, P, E (or KiB, MiB...; case-insensitive). Refuses signs,
 * spaces, fractions, exponents and anything that overflows 64 bits.
 */
int parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0, mul = 1;
    int base = 10, digits = 0;
    const char *p = s;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
        digits++;
    }
    if (digits == 0)
        return -1;
    if (*p != '\0') {
        static const char units[] = "kmgtpe";
        const char *u = strchr(units, *p | 0x20);
        if (base == 16 || u == NULL)
            return -1;
        for (long i = 0; i <= u - units; i++)
            mul *= 1024;
        p++;
        if (strcmp(p, "iB") == 0 || strcmp(p, "ib") == 0 || strcmp(p, "IB") == 0)
            p += 2;
        if (*p != '\0')
            return -1;
        if (v > UINT64_MAX / mul)
            return -1;
        v *= mul;
    }
    *out = v;
    return 0;
}

uint64_t size_opt(const struct opt *o, const char *what)
{
    uint64_t v;
    if (parse_size(o->value, &v) != 0)
        usage_error("bad %s '%s': give a whole number of bytes, e.g. 4096, 0x1000 "
                    "or 1M", what, show(o->value));
    return v;
}

long long timeout_opt(const struct opt *o)
{
    uint64_t v;
    if (o->value == NULL)
        return MMF_INFINITE;
    if (parse_size(o->value, &v) != 0 || strpbrk(o->value, "kKmMgGtTpPeE") != NULL ||
        v > (uint64_t)MMF_TIMEOUT_MAX)
        usage_error("bad timeout '%s': give milliseconds, 0 to %lld", show(o->value),
                    (long long)MMF_TIMEOUT_MAX);
    return (long long)v;
}
