/* SPDX-License-Identifier: MIT */
/*
 * describe.c - an object as the tool shows it: owner and group names,
 * permission and access strings, its state and type in words, times,
 * handle counts; the same fields as JSON members for --json; and the
 * lookup that every command naming an object starts with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "port.h"
#include "tool.h"

const char *user_name(uint32_t uid, char *buf, size_t cap)
{
    if (!account_name(uid, 0, buf, cap))
        snprintf(buf, cap, "%" PRIu32, uid);
    return buf;
}

const char *group_name(uint32_t gid, char *buf, size_t cap)
{
    if (!account_name(gid, 1, buf, cap))
        snprintf(buf, cap, "%" PRIu32, gid);
    return buf;
}

const char *mode_string(unsigned mode, char *buf)
{
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        buf[i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    buf[9] = '\0';
    return buf;
}

static const char *prot_string(unsigned prot, char *buf)
{
    snprintf(buf, 4, "%s%s%s", (prot & MMF_PROT_READ) ? "r" : "",
             (prot & MMF_PROT_WRITE) ? "w" : "", (prot & MMF_PROT_EXEC) ? "x" : "");
    return buf;
}

const char *map_string(unsigned map, char *buf)
{
    if (map == MMF_MAP_NONE)
        snprintf(buf, 8, "none");
    else
        snprintf(buf, 8, "%s%s", (map & MMF_MAP_WRITE) ? "rw" : (map & MMF_MAP_COPY) ? "copy" : "r",
                 (map & MMF_MAP_EXEC) ? "x" : "");
    return buf;
}

const char *state_string(const mmf_object_info *o)
{
    if (o->corrupt)
        return "corrupt";
    if (o->stale)
        return "stale";
    return "live";
}

const char *type_string(const mmf_object_info *o)
{
    return o->readable || o->type != MMF_TYPE_UNKNOWN ? mmf_type_name(o->type) : "?";
}

const char *time_string(uint64_t ns, int iso, char *buf, size_t cap)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (ns == 0) {
        snprintf(buf, cap, "-");
        return buf;
    }
    if (iso) {
        utc_tm(t, &tm);
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + strlen(buf), cap - strlen(buf), ".%03uZ",
                 (unsigned)(ns / 1000000u % 1000u));
    } else {
        local_tm(t, &tm);
        strftime(buf, cap, "%Y-%m-%d %H:%M:%S %Z", &tm);
    }
    return buf;
}

void json_num(struct json *j, const char *key, uint64_t v)
{
    if (v == MMF_UNKNOWN)
        json_null(j, key);
    else
        json_uint(j, key, v);
}

void json_object_fields(struct json *j, const mmf_object_info *o)
{
    char b[64];
    json_string(j, "name", o->name);
    json_string(j, "type", o->readable || o->type ? mmf_type_name(o->type) : NULL);
    json_string(j, "state", state_string(o));
    json_bool(j, "stale", o->stale);
    json_bool(j, "corrupt", o->corrupt);
    json_bool(j, "readable", o->readable);
    json_num(j, "size", o->size);
    json_string(j, "prot", o->type == MMF_TYPE_SECTION ? prot_string(o->prot, b) : NULL);
    json_array(j, "flags");
    if (o->flags & MMF_SECTION_RESERVE)
        json_string(j, NULL, "reserve");
    if (o->flags & MMF_SECTION_LARGE_PAGES)
        json_string(j, NULL, "large_pages");
    if (o->flags & MMF_GLOBAL)
        json_string(j, NULL, "global");
    json_end(j);
    json_bool(j, "file_backed", o->file_backed);
    json_string(j, "file", o->file_backed ? o->file : NULL);
    json_string(j, "store_file", o->store_file);
    json_num(j, "uid", o->uid);
    json_string(j, "owner", user_name(o->uid, b, sizeof b));
    json_num(j, "gid", o->gid);
    json_string(j, "group", group_name(o->gid, b, sizeof b));
    snprintf(b, sizeof b, "%04o", o->mode);
    json_string(j, "mode", b);
    json_num(j, "creator_pid", o->readable && !o->corrupt ? (uint64_t)o->creator_pid : MMF_UNKNOWN);
    json_string(j, "created", o->create_ns ? time_string(o->create_ns, 1, b, sizeof b) : NULL);
    json_num(j, "handles", o->handles);
    json_num(j, "processes", o->processes);
    json_num(j, "mappers", o->mappers);
    json_num(j, "hidden_handles", o->hidden);
    json_num(j, "allocated", o->readable ? o->allocated : MMF_UNKNOWN);
    json_num(j, "resident", o->resident);
    json_num(j, "dirty", o->dirty);
}

const char *count_string(uint64_t n, uint64_t hidden, char *buf, size_t cap)
{
    if (n == MMF_UNKNOWN)
        snprintf(buf, cap, "?");
    else
        snprintf(buf, cap, "%" PRIu64 "%s", n, hidden != MMF_UNKNOWN && hidden > 0 ? "+" : "");
    return buf;
}

int has_data(const mmf_object_info *o)
{
    return o->type == MMF_TYPE_SECTION || o->type == MMF_TYPE_CHANNEL || !o->readable;
}

void stat_or_die(const char *name, unsigned what, mmf_object_info *info)
{
    int rc = mmf_object_stat(name, what, info);
    if (rc == MMF_EINVAL || rc == MMF_EBADNAME || rc == MMF_ENAMETOOLONG)
        die(EX_USAGE, name, "%s", rc == MMF_EINVAL ? "an object name cannot be empty"
                                                   : mmf_strerror(rc));
    if (rc < 0)
        fail(name, rc);
}

void live_or_die(const char *name, mmf_object_info *info)
{
    stat_or_die(name, 0, info);
    if (info->stale)
        die(EX_NOTFOUND, name, "no object with that name exists (a stale entry is left "
                               "by processes that died; `mmf gc` reclaims it)");
    if (info->corrupt)
        die(EX_ERROR, name, "%s", mmf_strerror(MMF_ECORRUPT));
}
