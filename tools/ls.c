/* SPDX-License-Identifier: MIT */
/*
 * ls.c - `mmf ls`: every object in your view of the store, as a table for
 * people or one JSON document for scripts. Listing takes no handle.
 */
#include <stdio.h>
#include <stdlib.h>

#include "port.h"
#include "tool.h"

static void help_ls(void)
{
    puts("usage: mmf ls [--json | --names]\n"
         "\n"
         "List every named object in your view of the store: your Local\\ objects\n"
         "and all Global\\ ones. Columns: name, type, size, owner, permissions,\n"
         "live handles in the whole system, processes holding a handle, processes\n"
         "mapping a view, resident bytes, and the state: live, stale (every holder\n"
         "died; `mmf gc` reclaims it) or corrupt.\n"
         "\n"
         "A count ending in '+' means some handles are in processes you may not\n"
         "inspect (other users'; run as root to see them). Listing takes no handle:\n"
         "it neither keeps an object alive nor revives a stale one.\n"
         "\n"
         "  --json   one JSON document: {\"store\": DIR, \"objects\": [...]}\n"
         "           (keys in docs/cli.md)\n"
         "  --names  the names alone, one a line, with their prefix (control\n"
         "           characters as \\xNN); quick: it counts no holders\n"
         "           (shell completion uses it)");
}

/* One full name a line, as show() makes it printable. */
static void ls_names(const mmf_object_info *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        puts(show(list[i].name));
}

/* {"store": DIR, "objects": [...]} */
static void ls_json(const mmf_object_info *list, size_t n)
{
    char where[1024];
    struct json j;

    json_start(&j, stdout);
    json_object(&j, NULL);
    json_string(&j, "store", store_location(where, sizeof where));
    json_array(&j, "objects");
    for (size_t i = 0; i < n; i++) {
        json_object(&j, NULL);
        json_object_fields(&j, &list[i]);
        json_end(&j);
    }
    json_end(&j);
    json_end(&j);
}

/* One object's row of the table; returns whether some of its handles are
 * hidden (in processes we may not inspect). */
static int ls_row(struct table *t, const mmf_object_info *o)
{
    char size[32], owner[64], mode[16], handles[32], procs[32], maps[32], res[32];
    const char *cells[10], *paint[10] = {0};
    int hidden = o->hidden != MMF_UNKNOWN && o->hidden > 0;

    cells[0] = show(o->name);
    cells[1] = type_string(o);
    cells[2] = has_data(o) ? human(o->size, size, sizeof size) : "-";
    cells[3] = user_name(o->uid, owner, sizeof owner);
    cells[4] = mode_string(o->mode, mode);
    cells[5] = count_string(o->handles, 0, handles, sizeof handles);
    cells[6] = count_string(o->processes, o->hidden, procs, sizeof procs);
    cells[7] = count_string(o->mappers, o->hidden, maps, sizeof maps);
    cells[8] = !has_data(o) ? "-"
               : o->resident == MMF_UNKNOWN ? "?" : human(o->resident, res, sizeof res);
    cells[9] = state_string(o);
    paint[9] = o->corrupt || o->stale ? C_RED : C_GREEN;
    if (hidden)
        paint[6] = paint[7] = C_YELLOW;
    if (o->stale || o->corrupt)
        paint[0] = C_DIM;
    table_row(t, cells, paint);
    return hidden;
}

static void ls_table(const mmf_object_info *list, size_t n)
{
    struct table t = {10, {"NAME", "TYPE", "SIZE", "OWNER", "MODE", "HANDLES",
                           "PROCS", "MAPS", "RESIDENT", "STATE"},
                      {0, 0, 1, 0, 0, 1, 1, 1, 1, 0}, NULL, NULL, 0, 0};
    int any_hidden = 0;

    if (n == 0) {
        printf("No objects in the store (your Local\\ names and all Global\\ names).\n");
        return;
    }
    for (size_t i = 0; i < n; i++)
        any_hidden |= ls_row(&t, &list[i]);
    table_print(&t, "");
    if (any_hidden)
        printf("%s+ some handles are in processes you may not inspect%s\n",
               tint(C_DIM), tint(C_OFF));
}

int cmd_ls(int argc, char **argv)
{
    struct opt opts[] = {{"--json", 0, NULL}, {"--names", 0, NULL}, {NULL, 0, NULL}};
    mmf_object_info *list;
    size_t n;
    int rc, names;

    parse_opts(argc, argv, opts, NULL, 0, help_ls, NULL);
    names = opts[1].value != NULL;
    if (names && opts[0].value != NULL)
        usage_error("--json and --names exclude each other");
    /* Names alone need none of the costly parts (holders, residency). */
    rc = mmf_store_list(names ? 0 : MMF_INFO_ALL, &list, &n);
    if (rc < 0)
        die(exit_code(rc), NULL, "cannot read the store: %s", mmf_strerror(rc));
    if (names)
        ls_names(list, n);
    else if (opts[0].value != NULL)
        ls_json(list, n);
    else
        ls_table(list, n);
    mmf_store_list_free(list);
    return EX_OK;
}
