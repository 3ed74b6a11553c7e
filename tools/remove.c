/* SPDX-License-Identifier: MIT */
/*
 * remove.c - `mmf rm NAME` and `mmf gc`: dropping names nobody holds (stale
 * objects, corrupt entries). With Windows semantics a live object cannot
 * be removed: its name goes when its last handle closes.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tool.h"

static void help_rm(void)
{
    puts("usage: mmf rm NAME\n"
         "\n"
         "Remove the name NAME from the store. With Windows semantics this is only\n"
         "possible when no process holds a handle to it: a stale object (every\n"
         "holder died) or a corrupt entry. A live object cannot be removed (exit 4):\n"
         "its name goes by itself when its last handle closes.");
}

/* rm of an object that is held: say how many handles are open and by
 * which processes (the first few), and exit 4. */
static void __attribute__((noreturn)) refuse_busy(const char *name)
{
    mmf_holder *hl = NULL;
    size_t nh = 0, o = 0;
    char pids[256] = "";
    uint64_t hidden = 0;
    mmf_object_info now;
    uint64_t handles = mmf_object_stat(name, 0, &now) == 0 ? now.handles : MMF_UNKNOWN;

    if (mmf_object_holders(name, &hl, &nh, &hidden) == 0) {
        for (size_t i = 0; i < nh && i < 8; i++)
            if (hl[i].handles > 0)
                o += (size_t)snprintf(pids + o, sizeof pids - o, "%s%" PRId64,
                                      o ? ", " : "", hl[i].pid);
        mmf_object_holders_free(hl, nh);
    }
    if (handles != MMF_UNKNOWN)
        die(EX_BUSY, name, "%" PRIu64 " handle%s open%s%s%s; as on Windows, the "
            "name goes when the last handle closes", handles,
            handles == 1 ? " is" : "s are", pids[0] ? " (pid " : "", pids,
            pids[0] ? ")" : "");
    die(EX_BUSY, name, "it is held open; as on Windows, the name goes when the "
        "last handle closes");
}

int cmd_rm(int argc, char **argv)
{
    mmf_object_info info;
    char *pos[1];
    int rc;

    if (parse_opts(argc, argv, NULL, pos, 1, help_rm, NULL) != 1)
        usage_error("give one object name");
    stat_or_die(pos[0], 0, &info);
    rc = mmf_object_remove(pos[0]);
    if (rc == MMF_EBUSY)
        refuse_busy(pos[0]);
    if (rc == MMF_EACCES)
        die(EX_DENIED, pos[0], "access denied: the entry belongs to uid %" PRIu32, info.uid);
    if (rc < 0)
        fail(pos[0], rc);
    printf("removed %s (%s %s)\n", show(info.name), info.corrupt ? "corrupt" : "stale",
           type_string(&info));
    return EX_OK;
}

static void help_gc(void)
{
    puts("usage: mmf gc\n"
         "\n"
         "Reclaim every stale object (all its holders died without closing) and\n"
         "every corrupt entry nobody holds, in your view of the store, and print\n"
         "what was removed. Live objects are never touched. Exit 3 if some stale\n"
         "entries belong to other users and could not be removed.");
}

int cmd_gc(int argc, char **argv)
{
    mmf_object_info *list;
    size_t n;
    char b[32];
    int rc;

    parse_opts(argc, argv, NULL, NULL, 0, help_gc, NULL);
    rc = mmf_store_gc(&list, &n);
    if (rc < 0)
        die(exit_code(rc), NULL, "%s", mmf_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        printf("removed %s (%s %s", show(list[i].name), list[i].corrupt ? "corrupt" : "stale",
               type_string(&list[i]));
        if (list[i].type == MMF_TYPE_SECTION || !list[i].readable)
            printf(", %s", human(list[i].size, b, sizeof b));
        printf(")\n");
    }
    if (n == 0)
        printf("nothing to reclaim\n");
    else
        printf("reclaimed %zu object%s\n", n, n == 1 ? "" : "s");
    mmf_store_list_free(list);
    if (rc > 0)
        die(EX_DENIED, NULL, "%d stale entr%s belong%s to other users and could not be "
            "removed (run as root)", rc, rc == 1 ? "y" : "ies", rc == 1 ? "s" : "");
    return EX_OK;
}
