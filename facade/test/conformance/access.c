/* SPDX-License-Identifier: MIT */
/*
 * access.c - MapViewOfFile: desired access against the section's
 * protection and the handle's rights; section H of
 * docs/win32-behaviour.md.
 *
 * Windows states a view's protection as VirtualQuery reports it. The
 * façade has no VirtualQuery, so the suite observes the protection instead:
 * a view is PAGE_NOACCESS if a read faults, PAGE_READONLY if a write faults,
 * PAGE_READWRITE if a write shows through another view of the section, and
 * PAGE_WRITECOPY if it does not. Execute rights are not probed: an
 * execute view is checked as its non-execute counterpart.
 */
#include "w32t.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *prot_name(DWORD p)
{
    switch (p) {
    case PAGE_NOACCESS: return "PAGE_NOACCESS";
    case PAGE_READONLY: return "PAGE_READONLY";
    case PAGE_READWRITE: return "PAGE_READWRITE";
    case PAGE_WRITECOPY: return "PAGE_WRITECOPY";
    default: return "?";
    }
}

/* The observed protection of view `p`; `ref` is a view of the same pages
 * that can be read. The probed byte is put back as it was. */
static DWORD observed(unsigned char *p, const volatile unsigned char *ref)
{
    unsigned char old;
    int shared;
    if (!w32t_readable(p + 8))
        return PAGE_NOACCESS;
    if (!w32t_writable(p + 8))
        return PAGE_READONLY;
    old = p[8];
    p[8] = (unsigned char)(old ^ 0x5a);
    shared = ref[8] == p[8];
    p[8] = old;
    return shared ? PAGE_READWRITE : PAGE_WRITECOPY;
}

/* Without execute: what a view protection looks like to the probes. */
static DWORD plain(DWORD prot)
{
    switch (prot) {
    case PAGE_EXECUTE_READ: return PAGE_READONLY;
    case PAGE_EXECUTE_READWRITE: return PAGE_READWRITE;
    case PAGE_EXECUTE_WRITECOPY: return PAGE_WRITECOPY;
    default: return prot;
    }
}

/* A section over a scratch file (file != NULL) or the pagefile. */
static HANDLE make_section(DWORD prot, int file_backed, HANDLE *file)
{
    HANDLE h;
    *file = INVALID_HANDLE_VALUE;
    if (file_backed)
        *file = w32t_file(w32t_num(prot), GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE,
                          0x2000, NULL);
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(*file, NULL, prot, 0, 0x2000, NULL);
    if (h == NULL)
        w32t_fail(__FILE__, __LINE__, "CreateFileMappingA(0x%lx) failed: %lu",
                  (unsigned long)prot, (unsigned long)GetLastError());
    return h;
}

static void drop_section(HANDLE h, HANDLE file)
{
    CLOSE(h);
    if (file != INVALID_HANDLE_VALUE)
        CLOSE(file);
}

/* MapViewOfFile(h, access) must give a view observed as `want` (a PAGE_*
 * value), with the last error untouched; `ref` is a readable handle to the
 * same section. */
static void check_view(HANDLE h, HANDLE ref_h, DWORD access, DWORD want, int line)
{
    unsigned char *p, *ref;
    DWORD got;

    SetLastError(0xdeadbeef);
    p = MapViewOfFile(h, access, 0, 0, 0);
    if (p == NULL) {
        w32t_fail(__FILE__, line, "access 0x%lx: MapViewOfFile failed with %lu (%s), "
                  "expected a %s view", (unsigned long)access, (unsigned long)GetLastError(),
                  w32t_err_name(GetLastError()), prot_name(plain(want)));
        return;
    }
    if (GetLastError() != 0xdeadbeef)
        w32t_fail(__FILE__, line, "access 0x%lx: success changed the last error to %lu",
                  (unsigned long)access, (unsigned long)GetLastError());
    ref = w32t_map(ref_h, FILE_MAP_READ, 0);
    got = observed(p, ref);
    if (got != plain(want))
        w32t_fail(__FILE__, line, "access 0x%lx: the view is %s, expected %s",
                  (unsigned long)access, prot_name(got), prot_name(plain(want)));
    UNMAP(ref);
    UNMAP(p);
}

static void check_denied(HANDLE h, DWORD access, int line)
{
    void *p;
    SetLastError(0xdeadbeef);
    p = MapViewOfFile(h, access, 0, 0, 0);
    if (p != NULL) {
        UnmapViewOfFile(p);
        w32t_fail(__FILE__, line, "access 0x%lx: MapViewOfFile succeeded, expected "
                  "ERROR_ACCESS_DENIED", (unsigned long)access);
    } else if (GetLastError() != ERROR_ACCESS_DENIED) {
        w32t_fail(__FILE__, line, "access 0x%lx: GLE %lu (%s), expected ERROR_ACCESS_DENIED",
                  (unsigned long)access, (unsigned long)GetLastError(),
                  w32t_err_name(GetLastError()));
    }
}

#define VIEW(h, ref, access, want) check_view(h, ref, access, want, __LINE__)
#define DENIED(h, access) check_denied(h, access, __LINE__)

W32T(H01)
{
    for (int fb = 0; fb < 2; fb++) {
        HANDLE f, h = make_section(PAGE_READWRITE, fb, &f);
        VIEW(h, h, FILE_MAP_READ, PAGE_READONLY);
        VIEW(h, h, FILE_MAP_WRITE, PAGE_READWRITE);
        VIEW(h, h, FILE_MAP_COPY, PAGE_WRITECOPY);
        VIEW(h, h, 0, PAGE_NOACCESS);
        drop_section(h, f);
    }
}

W32T(H02)
{
    for (int fb = 0; fb < 2; fb++) {
        HANDLE f, h = make_section(PAGE_READONLY, fb, &f);
        VIEW(h, h, FILE_MAP_READ, PAGE_READONLY);
        VIEW(h, h, FILE_MAP_COPY, PAGE_WRITECOPY);
        VIEW(h, h, 0, PAGE_NOACCESS);
        DENIED(h, FILE_MAP_WRITE);
        drop_section(h, f);
    }
}

W32T(H03)
{
    for (int fb = 0; fb < 2; fb++) {
        HANDLE f, h = make_section(PAGE_WRITECOPY, fb, &f);
        VIEW(h, h, FILE_MAP_READ, PAGE_READONLY);
        VIEW(h, h, FILE_MAP_COPY, PAGE_WRITECOPY);
        VIEW(h, h, 0, PAGE_NOACCESS);
        DENIED(h, FILE_MAP_WRITE);
        drop_section(h, f);
    }
}

W32T(H04)
{
    static const DWORD prots[] = {PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY};
    for (size_t i = 0; i < COUNT(prots); i++) {
        for (int fb = 0; fb < 2; fb++) {
            HANDLE f, h = make_section(prots[i], fb, &f);
            VIEW(h, h, FILE_MAP_READ, PAGE_READONLY);
            VIEW(h, h, FILE_MAP_COPY, PAGE_WRITECOPY);
            VIEW(h, h, FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ);
            VIEW(h, h, FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY);
            DENIED(h, FILE_MAP_WRITE);
            DENIED(h, FILE_MAP_WRITE | FILE_MAP_READ);
            DENIED(h, FILE_MAP_EXECUTE | FILE_MAP_WRITE);
            DENIED(h, FILE_MAP_ALL_ACCESS);
            drop_section(h, f);
        }
    }
}

W32T(H05)
{
    for (int fb = 0; fb < 2; fb++) {
        HANDLE f, h = make_section(PAGE_EXECUTE_READWRITE, fb, &f);
        VIEW(h, h, FILE_MAP_READ, PAGE_READONLY);
        VIEW(h, h, FILE_MAP_WRITE, PAGE_READWRITE);
        VIEW(h, h, FILE_MAP_COPY, PAGE_WRITECOPY);
        VIEW(h, h, 0, PAGE_NOACCESS);
        VIEW(h, h, FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ);
        VIEW(h, h, FILE_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE);
        VIEW(h, h, FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY);
        VIEW(h, h, FILE_MAP_ALL_ACCESS, PAGE_READWRITE);
        drop_section(h, f);
    }
}

W32T(H06)
{
    static const DWORD prots[] = {PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY};
    for (size_t i = 0; i < COUNT(prots); i++) {
        for (int fb = 0; fb < 2; fb++) {
            HANDLE f, h = make_section(prots[i], fb, &f);
            DENIED(h, FILE_MAP_EXECUTE | FILE_MAP_READ);
            DENIED(h, FILE_MAP_EXECUTE | FILE_MAP_COPY);
            if (prots[i] == PAGE_READWRITE)
                DENIED(h, FILE_MAP_EXECUTE | FILE_MAP_WRITE);
            drop_section(h, f);
        }
    }
}

W32T(H07)
{
    static const struct { DWORD access, prot; } table[] = {
        {FILE_MAP_COPY, PAGE_WRITECOPY},
        {FILE_MAP_WRITE, PAGE_READWRITE},
        {FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE},
        {FILE_MAP_READ | FILE_MAP_WRITE, PAGE_READWRITE},
        {FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY, PAGE_READWRITE},
        {FILE_MAP_ALL_ACCESS, PAGE_READWRITE},
        {FILE_MAP_READ, PAGE_READONLY},
        {FILE_MAP_READ | FILE_MAP_COPY, PAGE_READONLY},
        {0, PAGE_NOACCESS},
        {FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ},
        {FILE_MAP_EXECUTE | FILE_MAP_WRITE, PAGE_EXECUTE_READWRITE},
        {FILE_MAP_EXECUTE | FILE_MAP_COPY, PAGE_EXECUTE_WRITECOPY},
        {SECTION_MAP_EXECUTE | FILE_MAP_READ, PAGE_READONLY},
    };
    for (int fb = 0; fb < 2; fb++) {
        HANDLE f, h = make_section(PAGE_EXECUTE_READWRITE, fb, &f);
        for (size_t i = 0; i < COUNT(table); i++)
            VIEW(h, h, table[i].access, table[i].prot);
        drop_section(h, f);
    }
}

/* A duplicate of h with exactly `access`. */
static HANDLE dup_with(HANDLE h, DWORD access)
{
    HANDLE d = NULL;
    if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, access, FALSE, 0))
        w32t_fail(__FILE__, __LINE__, "DuplicateHandle(0x%lx) failed: %lu",
                  (unsigned long)access, (unsigned long)GetLastError());
    return d;
}

W32T(H08)
{
    HANDLE f, h = make_section(PAGE_EXECUTE_READWRITE, 0, &f);
    HANDLE r = dup_with(h, FILE_MAP_READ);
    HANDLE w = dup_with(h, FILE_MAP_WRITE);
    HANDLE rx = dup_with(h, FILE_MAP_READ | SECTION_MAP_EXECUTE);
    HANDLE q = dup_with(h, SECTION_QUERY);

    /* Read-only, copy-on-write and no-access views need SECTION_MAP_READ. */
    VIEW(r, h, FILE_MAP_READ, PAGE_READONLY);
    VIEW(r, h, FILE_MAP_COPY, PAGE_WRITECOPY);
    VIEW(r, h, 0, PAGE_NOACCESS);
    DENIED(q, FILE_MAP_COPY);
    DENIED(q, 0);
    DENIED(w, FILE_MAP_READ);
    DENIED(w, FILE_MAP_COPY);
    DENIED(w, 0);
    /* Read/write views need SECTION_MAP_WRITE (E06: that right alone does). */
    VIEW(w, h, FILE_MAP_WRITE, PAGE_READWRITE);
    DENIED(r, FILE_MAP_WRITE);
    /* Execute views need SECTION_MAP_EXECUTE as well. */
    DENIED(r, FILE_MAP_EXECUTE | FILE_MAP_READ);
    DENIED(w, FILE_MAP_EXECUTE | FILE_MAP_WRITE);
    VIEW(rx, h, FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ);
    CLOSE(q);
    CLOSE(rx);
    CLOSE(w);
    CLOSE(r);
    drop_section(h, f);
}

W32T(H09)
{
    /* The section allows everything; the handles CreateFileMapping returns
     * for it under other protections carry only what those grant. */
    const char *name = w32t_name("x");
    HANDLE h = w32t_section(name, PAGE_EXECUTE_READWRITE, 0x2000);
    static const struct { DWORD prot; int read, write, exec; } table[] = {
        {PAGE_READONLY, 1, 0, 0},
        {PAGE_WRITECOPY, 1, 0, 0},
        {PAGE_READWRITE, 1, 1, 0},
        {PAGE_EXECUTE_READ, 1, 0, 1},
        {PAGE_EXECUTE_WRITECOPY, 1, 0, 1},
        {PAGE_EXECUTE_READWRITE, 1, 1, 1},
    };
    for (size_t i = 0; i < COUNT(table); i++) {
        HANDLE o;
        SetLastError(0xdeadbeef);
        o = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, table[i].prot, 0, 0x2000, name);
        CHECK(o != NULL);
        CHECK_GLE(ERROR_ALREADY_EXISTS);
        VIEW(o, h, FILE_MAP_READ, PAGE_READONLY);
        VIEW(o, h, FILE_MAP_COPY, PAGE_WRITECOPY);
        if (table[i].write)
            VIEW(o, h, FILE_MAP_WRITE, PAGE_READWRITE);
        else
            DENIED(o, FILE_MAP_WRITE);
        if (table[i].exec)
            VIEW(o, h, FILE_MAP_EXECUTE | FILE_MAP_READ, PAGE_EXECUTE_READ);
        else
            DENIED(o, FILE_MAP_EXECUTE | FILE_MAP_READ);
        CLOSE(o);
    }
    CLOSE(h);
}

W32T(H10)
{
    HANDLE f, h = make_section(PAGE_READWRITE, 0, &f);
    HANDLE d = dup_with(h, 0);
    CHECK_FAILS(MapViewOfFile(d, 0, 0, 0, 4096), NULL, ERROR_ACCESS_DENIED);
    CLOSE(d);
    drop_section(h, f);
}

W32T(H11)
{
    HANDLE f, h = make_section(PAGE_READWRITE, 0, &f);
    HANDLE d = dup_with(h, FILE_MAP_READ);
    void *p;
    CHECK_FAILS(MapViewOfFile(d, FILE_MAP_WRITE, 0, 0, 4096), NULL, ERROR_ACCESS_DENIED);
    p = MapViewOfFile(d, 0, 0, 0, 4096);
    CHECK(p != NULL);
    UNMAP(p);
    CLOSE(d);
    drop_section(h, f);
}

W32T(H12)
{
    HANDLE f, h = make_section(PAGE_READWRITE, 0, &f);
    HANDLE d = dup_with(h, FILE_MAP_READ | FILE_MAP_WRITE);
    VIEW(d, h, FILE_MAP_WRITE, PAGE_READWRITE);
    VIEW(d, h, FILE_MAP_READ, PAGE_READONLY);
    CLOSE(d);
    drop_section(h, f);
}
