/* SPDX-License-Identifier: MIT */
/*
 * stat.c - `mmf stat NAME`: one object in detail. It gathers everything
 * first (header, holders, then the state of a sync object or a channel),
 * then prints it as text, one part after the other, or as JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static void help_stat(void)
{
    puts("usage: mmf stat NAME [--json]\n"
         "\n"
         "Show one object in detail: its header (type, size, protection, flags,\n"
         "backing, owner, mode, creator, creation time), its state (live, stale or\n"
         "corrupt; live handles), the processes that hold handles or map views\n"
         "(pid, command, handles, view ranges), its allocated and resident bytes\n"
         "and, for a file-backed section, its dirty bytes (modified in memory, not\n"
         "yet written to the file), and the state of a mutex (owner, recursion,\n"
         "abandoned), event (signaled, waiters) or semaphore (count, maximum).\n"
         "Changes nothing: the header is read without a handle; a synchronization\n"
         "object's state is read through a handle held for that moment only.\n"
         "\n"
         "NAME is \"Local\\name\" (the default prefix) or \"Global\\name\".\n"
         "\n"
         "  --json   one JSON object (keys in docs/cli.md)");
}

/* What `mmf stat` learns about one object, before it prints anything. */
struct stat_view {
    mmf_object_info info;
    mmf_holder *hl;     /* processes that hold handles or map views */
    size_t nh;
    uint64_t hidden;    /* handles in processes we may not inspect */
    int is_sync;        /* a mutex, event or semaphore */
    int sync_rc;        /* 0: si is its state; else why not known */
    mmf_sync_info si;
    int chan_rc;        /* 0: ci is the channel's state */
    mmf_channel_info ci;
    int bridged;        /* 1: a live `mmf bridge` serves the channel (note) */
    struct bridge_note note;
};

/* The note a running `mmf bridge` keeps for its channel (tool.h), read
 * without a handle; only a live one counts. */
static void find_bridge(const char *channel, struct stat_view *v)
{
    char name[MMF_NAME_BYTES + 16];
    mmf_object_info ni;
    size_t done = 0;

    v->bridged = 0;
    snprintf(name, sizeof name, "%s" BRIDGE_NOTE_SUFFIX, channel);
    if (mmf_object_stat(name, 0, &ni) != 0 || ni.stale || ni.corrupt ||
        ni.type != MMF_TYPE_SECTION ||
        mmf_object_read(name, 0, &v->note, sizeof v->note, &done) != 0 ||
        done != sizeof v->note || memcmp(v->note.magic, BRIDGE_NOTE_MAGIC, 8) != 0)
        return;
    /* Written by another process: terminate its strings before use. */
    v->note.role[sizeof v->note.role - 1] = '\0';
    v->note.endpoint[sizeof v->note.endpoint - 1] = '\0';
    v->bridged = 1;
}

static void gather(const char *name, struct stat_view *v)
{
    const mmf_object_info *info = &v->info;
    int rc;

    stat_or_die(name, MMF_INFO_ALL, &v->info);
    v->hl = NULL;
    v->nh = 0;
    v->hidden = 0;
    rc = mmf_object_holders(name, &v->hl, &v->nh, &v->hidden);
    if (rc < 0 && rc != MMF_ENOENT)
        fail(name, rc);
    /* Last, so that its own brief handle is not counted above. */
    v->is_sync = info->type == MMF_TYPE_MUTEX || info->type == MMF_TYPE_EVENT ||
                 info->type == MMF_TYPE_SEMAPHORE;
    v->sync_rc = v->is_sync ? sync_state(info, &v->si) : MMF_ETYPE;
    v->chan_rc = info->type == MMF_TYPE_CHANNEL && info->readable && !info->corrupt
                     ? mmf_channel_stat(info->name, &v->ci) : MMF_ETYPE;
    if (v->chan_rc == 0)
        find_bridge(info->name, v);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

static void json_sync(struct json *j, const struct stat_view *v)
{
    const mmf_sync_info *si = &v->si;

    if (v->sync_rc < 0) {
        json_null(j, "sync");
        return;
    }
    json_object(j, "sync");
    if (si->type == MMF_TYPE_MUTEX) {
        json_num(j, "owner_pid", (uint64_t)si->owner_pid);
        json_num(j, "owner_tid", (uint64_t)si->owner_tid);
        json_num(j, "recursion", si->recursion);
        json_bool(j, "abandoned", si->abandoned);
    } else if (si->type == MMF_TYPE_EVENT) {
        json_bool(j, "manual_reset", si->manual_reset);
        json_bool(j, "signaled", si->signaled);
        json_num(j, "waiters", si->waiters);
    } else {
        json_num(j, "count", (uint64_t)si->count);
        json_num(j, "maximum", (uint64_t)si->maximum);
        json_num(j, "waiters", si->waiters);
    }
    json_end(j);
}

static void json_channel(struct json *j, const struct stat_view *v)
{
    const mmf_channel_info *ci = &v->ci;

    if (v->chan_rc < 0) {
        json_null(j, "channel");
        return;
    }
    json_object(j, "channel");
    json_string(j, "kind", mmf_channel_kind_name(ci->kind));
    json_bool(j, "persistent", ci->persistent);
    json_bool(j, "corrupt", ci->corrupt);
    json_num(j, "capacity", ci->capacity);
    json_num(j, "max_message", ci->max_message);
    json_num(j, "produced", ci->produced);
    json_num(j, "consumed", ci->consumed);
    json_num(j, "fill", ci->fill);
    json_num(j, "producers", ci->producers);
    json_num(j, "consumers", ci->consumers);
    json_num(j, "producers_ever", ci->producers_ever);
    json_num(j, "consumers_ever", ci->consumers_ever);
    json_string(j, "file", ci->file);
    if (v->bridged) {
        json_object(j, "bridge");
        json_string(j, "role", v->note.role);
        json_string(j, "endpoint", v->note.endpoint);
        json_uint(j, "pid", (uint64_t)v->note.pid);
        json_end(j);
    } else {
        json_null(j, "bridge");
    }
    json_end(j);
}

static void json_holders(struct json *j, const struct stat_view *v)
{
    char b[8];

    json_array(j, "holders");
    for (size_t i = 0; i < v->nh; i++) {
        const mmf_holder *h = &v->hl[i];
        json_object(j, NULL);
        json_num(j, "pid", (uint64_t)h->pid);
        json_string(j, "command", h->command);
        json_num(j, "handles", h->handles);
        json_array(j, "views");
        for (size_t k = 0; k < h->nviews; k++) {
            json_object(j, NULL);
            json_num(j, "offset", h->views[k].offset);
            json_num(j, "length", h->views[k].length);
            json_string(j, "access", map_string(h->views[k].map, b));
            json_end(j);
        }
        json_end(j);
        json_end(j);
    }
    json_end(j);
}

static void stat_json(const struct stat_view *v)
{
    const mmf_object_info *info = &v->info;
    struct json j;

    json_start(&j, stdout);
    json_object(&j, NULL);
    json_object_fields(&j, info);
    json_num(&j, "version", info->readable && !info->corrupt ? info->version : MMF_UNKNOWN);
    if (v->is_sync)
        json_sync(&j, v);
    if (info->type == MMF_TYPE_CHANNEL)
        json_channel(&j, v);
    json_holders(&j, v);
    json_end(&j);
}

/* ------------------------------------------------------------------------ */
/* Text                                                                      */
/* ------------------------------------------------------------------------ */

/* Type, size and what the header says. */
static void print_header(const mmf_object_info *info)
{
    static const char *prot_words[] = {"none", "read-only", "write", "read-write",
                                       "exec", "read-exec", "write-exec",
                                       "read-write-exec"};
    char b1[64];

    printf("%s%s%s\n", tint(C_BOLD), show(info->name), tint(C_OFF));
    printf("  type        %s\n", type_string(info));
    if (!info->readable)
        printf("  header      %sunreadable: you may not open this object%s\n",
               tint(C_YELLOW), tint(C_OFF));
    if (info->corrupt)
        printf("  header      %scorrupt: not a valid mmf object%s\n", tint(C_RED),
               tint(C_OFF));
    if (info->type == MMF_TYPE_SECTION || !info->readable)
        printf("  size        %s (%" PRIu64 " bytes)\n", human(info->size, b1, sizeof b1),
               info->size);
    if (!info->readable || info->corrupt)
        return;
    if (info->type == MMF_TYPE_SECTION)
        printf("  protection  %s\n", prot_words[info->prot & 7]);
    printf("  flags       %s%s%s%s\n",
           info->flags & MMF_SECTION_RESERVE ? "reserve " : "",
           info->flags & MMF_SECTION_LARGE_PAGES ? "large-pages " : "",
           info->flags & MMF_GLOBAL ? "global " : "",
           info->flags ? "" : "-");
    if (info->type == MMF_TYPE_SECTION)
        printf("  backing     %s%s\n",
               info->file_backed ? "file " : info->flags & MMF_SECTION_LARGE_PAGES
                                             ? "huge pages" : "memory",
               info->file_backed ? show(info->file) : "");
    printf("  header      version %u\n", info->version);
}

/* Store file, owner, mode, creation. */
static void print_ownership(const mmf_object_info *info)
{
    char b1[64], b2[64], b3[64];

    printf("  store file  %s\n", show(info->store_file));
    printf("  owner       %s (uid %" PRIu32 "), group %s (gid %" PRIu32 ")\n",
           user_name(info->uid, b1, sizeof b1), info->uid,
           group_name(info->gid, b2, sizeof b2), info->gid);
    printf("  mode        %04o (%s)\n", info->mode, mode_string(info->mode, b3));
    if (info->readable && !info->corrupt)
        printf("  created     %s by pid %" PRId64 "\n",
               time_string(info->create_ns, 0, b1, sizeof b1), info->creator_pid);
}

/* Live or stale, and how many handles. */
static void print_state(const mmf_object_info *info, uint64_t hidden)
{
    if (info->stale)
        printf("  state       %sstale%s: every holder died; the name is absent and "
               "`mmf gc` reclaims it\n", tint(C_RED), tint(C_OFF));
    else if (info->handles == MMF_UNKNOWN)
        printf("  state       %s%s%s: handles not countable here\n",
               tint(info->corrupt ? C_RED : C_GREEN), state_string(info), tint(C_OFF));
    else
        printf("  state       %s%s%s: %" PRIu64 " handle%s in %" PRIu64 " process%s%s\n",
               tint(info->corrupt ? C_RED : C_GREEN), state_string(info), tint(C_OFF),
               info->handles, info->handles == 1 ? "" : "s", info->processes,
               info->processes == 1 ? "" : "es",
               hidden ? " you may inspect, others hidden" : "");
}

/* A section's memory: allocated, resident and dirty bytes. */
static void print_memory(const mmf_object_info *info)
{
    uint64_t page = mmf_page_size();
    char b1[64];

    if (info->allocated != MMF_UNKNOWN && info->readable)
        printf("  allocated   %s%s\n", human(info->allocated, b1, sizeof b1),
               info->flags & MMF_SECTION_RESERVE ? " (committed)" : "");
    if (info->resident != MMF_UNKNOWN)
        printf("  resident    %s (%" PRIu64 " of %" PRIu64 " pages)\n",
               human(info->resident, b1, sizeof b1), info->resident / page,
               (info->size + page - 1) / page);
    else
        printf("  resident    unknown (the data cannot be read)\n");
    if (info->file_backed)
        printf("  dirty       %s\n", info->dirty == MMF_UNKNOWN
                                   ? "unknown (needs Linux 6.5 cachestat)"
                                   : human(info->dirty, b1, sizeof b1));
}

/* The state of a mutex, event or semaphore. */
static void print_sync(const struct stat_view *v)
{
    const mmf_sync_info *si = &v->si;

    if (v->sync_rc < 0)
        printf("  %-11s unknown (%s)\n", mmf_type_name(v->info.type),
               mmf_strerror(v->sync_rc));
    else if (si->type == MMF_TYPE_MUTEX && si->owner_pid == 0)
        printf("  mutex       free%s\n", si->abandoned ? ", abandoned" : "");
    else if (si->type == MMF_TYPE_MUTEX)
        printf("  mutex       owned by thread %" PRId64 " of pid %" PRId64 ", %lu deep%s\n",
               si->owner_tid, si->owner_pid, si->recursion,
               si->abandoned ? "; abandoned: its previous owner died" : "");
    else if (si->type == MMF_TYPE_EVENT)
        printf("  event       %s, %s, %lu waiter%s\n",
               si->manual_reset ? "manual-reset" : "auto-reset",
               si->signaled ? "signaled" : "not signaled", si->waiters,
               si->waiters == 1 ? "" : "s");
    else
        printf("  semaphore   count %ld of %ld, %lu waiter%s\n", si->count, si->maximum,
               si->waiters, si->waiters == 1 ? "" : "s");
}

/* The channel part of `mmf stat`. */
static void print_channel(const mmf_channel_info *ci)
{
    char b1[64], b2[64];
    int ring = ci->kind == MMF_KIND_RING;

    printf("  channel     %s%s\n", mmf_channel_kind_name(ci->kind),
           ci->persistent ? ", persistent" : "");
    if (ci->persistent)
        printf("  file        %s\n", show(ci->file));
    if (ring)
        printf("  capacity    %s, messages up to %s\n", human(ci->capacity, b1, sizeof b1),
               human(ci->max_message, b2, sizeof b2));
    else
        printf("  capacity    %" PRIu64 " slots of %s\n", ci->capacity,
               human(ci->max_message, b1, sizeof b1));
    if (ci->corrupt) {
        printf("  positions   %scorrupt: the control block is damaged%s\n", tint(C_RED),
               tint(C_OFF));
    } else if (ring) {
        printf("  fill        %s of %s (%.0f%%)\n", human(ci->fill, b1, sizeof b1),
               human(ci->capacity, b2, sizeof b2),
               ci->capacity ? 100.0 * (double)ci->fill / (double)ci->capacity : 0.0);
        printf("  positions   %" PRIu64 " bytes committed, %" PRIu64 " released\n",
               ci->produced, ci->consumed);
    } else {
        printf("  fill        %" PRIu64 " message%s of %" PRIu64 "\n", ci->fill,
               ci->fill == 1 ? "" : "s", ci->capacity);
        printf("  positions   %" PRIu64 " published, %" PRIu64 " %s\n", ci->produced,
               ci->consumed, ci->kind == MMF_KIND_QUEUE ? "taken" : "oldest held");
    }
    printf("  producers   %" PRIu64 " attached (%" PRIu64 " ever)\n", ci->producers,
           ci->producers_ever);
    if (ci->consumers == MMF_UNKNOWN)
        printf("  %-11s not tracked (%" PRIu64 " ever)\n",
               ci->kind == MMF_KIND_BCAST ? "readers" : "consumers", ci->consumers_ever);
    else
        printf("  %-11s %" PRIu64 " attached (%" PRIu64 " ever)\n",
               ci->kind == MMF_KIND_BCAST ? "readers" : "consumers", ci->consumers,
               ci->consumers_ever);
}

/* The views of one holder: "[0x0, +64.0 KiB) rw, ..." or "-". */
static const char *views_string(const mmf_holder *h, char *views, size_t cap)
{
    size_t o = 0;
    char b1[64];

    views[0] = '\0';
    for (size_t v = 0; v < h->nviews && o + 64 < cap; v++) {
        char m[8];
        o += (size_t)snprintf(views + o, cap - o, "%s[0x%" PRIx64 ", +%s) %s",
                              v ? ", " : "", h->views[v].offset,
                              human(h->views[v].length, b1, sizeof b1),
                              map_string(h->views[v].map, m));
    }
    if (h->nviews == 0)
        snprintf(views, cap, "-");
    return views;
}

/* The processes that hold handles or map views, and the hidden ones. */
static void print_holders(const struct stat_view *v)
{
    if (v->nh > 0) {
        struct table t = {4, {"PID", "COMMAND", "HANDLES", "VIEWS"}, {1, 0, 1, 0},
                          NULL, NULL, 0, 0};
        printf("\n");
        for (size_t i = 0; i < v->nh; i++) {
            char pid[32], handles[32], views[512];
            const char *cells[4];
            snprintf(pid, sizeof pid, "%" PRId64, v->hl[i].pid);
            snprintf(handles, sizeof handles, "%u", v->hl[i].handles);
            cells[0] = pid;
            cells[1] = v->hl[i].command[0] ? show(v->hl[i].command) : "?";
            cells[2] = handles;
            cells[3] = views_string(&v->hl[i], views, sizeof views);
            table_row(&t, cells, NULL);
        }
        table_print(&t, "  ");
    }
    if (v->hidden > 0)
        printf("  %s+ %" PRIu64 " handle%s in processes you may not inspect%s\n",
               tint(C_YELLOW), v->hidden, v->hidden == 1 ? "" : "s", tint(C_OFF));
}

static void stat_text(const struct stat_view *v)
{
    const mmf_object_info *info = &v->info;

    print_header(info);
    print_ownership(info);
    print_state(info, v->hidden);
    if (info->type == MMF_TYPE_SECTION)
        print_memory(info);
    if (v->is_sync)
        print_sync(v);
    if (info->type == MMF_TYPE_CHANNEL && v->chan_rc < 0)
        printf("  channel     unknown (%s)\n", mmf_strerror(v->chan_rc));
    else if (info->type == MMF_TYPE_CHANNEL)
        print_channel(&v->ci);
    if (v->bridged)
        printf("  bridge      %s %s (mmf bridge, pid %" PRId64 ")\n",
               strcmp(v->note.role, "send") == 0 ? "sends to" : "receives on",
               show(v->note.endpoint), v->note.pid);
    print_holders(v);
}

int cmd_stat(int argc, char **argv)
{
    struct opt opts[] = {{"--json", 0, NULL}, {NULL, 0, NULL}};
    struct stat_view v;
    char *pos[1];

    if (parse_opts(argc, argv, opts, pos, 1, help_stat, NULL) != 1)
        usage_error("give one object name");
    gather(pos[0], &v);
    if (opts[0].value != NULL)
        stat_json(&v);
    else
        stat_text(&v);
    mmf_object_holders_free(v.hl, v.nh);
    return EX_OK;
}
