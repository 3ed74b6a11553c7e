/* SPDX-License-Identifier: MIT */
/* names.c - the object namespace and names: section P of
 * docs/win32-behaviour.md. */
#include "w32t.h"

enum kind { SECTION, MUTEX, EVENT, SEMAPHORE, NKINDS };
static const char *const kind_names[] = {"section", "mutex", "event", "semaphore"};

/* Create an object of kind k under `name`; SetLastError first. */
static HANDLE create_kind(enum kind k, const char *name)
{
    SetLastError(0xdeadbeef);
    switch (k) {
    case SECTION:
        return CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    case MUTEX:
        return CreateMutexA(NULL, FALSE, name);
    case EVENT:
        return CreateEventA(NULL, TRUE, FALSE, name);
    default:
        return CreateSemaphoreA(NULL, 0, 1, name);
    }
}

static HANDLE open_kind(enum kind k, const char *name)
{
    SetLastError(0xdeadbeef);
    switch (k) {
    case SECTION:
        return OpenFileMappingA(FILE_MAP_READ, FALSE, name);
    case MUTEX:
        return OpenMutexA(SYNCHRONIZE, FALSE, name);
    case EVENT:
        return OpenEventA(SYNCHRONIZE, FALSE, name);
    default:
        return OpenSemaphoreA(SYNCHRONIZE, FALSE, name);
    }
}

/* Creating kind `b` under the name of an existing `a` must fail with
 * ERROR_INVALID_HANDLE. */
static void check_collision(enum kind a, enum kind b, int line)
{
    const char *name = w32t_name(kind_names[a]);
    HANDLE ha = create_kind(a, name), hb;

    if (ha == NULL)
        w32t_fail(__FILE__, line, "creating the %s failed: %lu", kind_names[a],
                  (unsigned long)GetLastError());
    hb = create_kind(b, name);
    if (hb != NULL) {
        CloseHandle(hb);
        w32t_fail(__FILE__, line, "a %s was created under a %s's name", kind_names[b],
                  kind_names[a]);
    } else if (GetLastError() != ERROR_INVALID_HANDLE) {
        w32t_fail(__FILE__, line, "%s under a %s's name: GLE %lu (%s), expected "
                  "ERROR_INVALID_HANDLE", kind_names[b], kind_names[a],
                  (unsigned long)GetLastError(), w32t_err_name(GetLastError()));
    }
    CLOSE(ha);
}

W32T(P01)
{
    for (int a = 0; a < NKINDS; a++)
        for (int b = 0; b < NKINDS; b++)
            if (a != b)
                check_collision((enum kind)a, (enum kind)b, __LINE__);
}

W32T(P02)
{
    check_collision(SECTION, MUTEX, __LINE__);
    /* The W form too. */
    HANDLE s = create_kind(SECTION, w32t_name("section"));
    CHECK(s != NULL);
    CHECK_FAILS(CreateMutexW(NULL, FALSE, w32t_wname("section")), NULL, ERROR_INVALID_HANDLE);
    CLOSE(s);
}

W32T(P03)
{
    check_collision(MUTEX, SECTION, __LINE__);
    check_collision(EVENT, SECTION, __LINE__);
    check_collision(SEMAPHORE, SECTION, __LINE__);
}

W32T(P04)
{
    check_collision(MUTEX, EVENT, __LINE__);
    check_collision(SECTION, EVENT, __LINE__);
    check_collision(MUTEX, SEMAPHORE, __LINE__);
    check_collision(EVENT, SEMAPHORE, __LINE__);
    {
        HANDLE m = create_kind(MUTEX, w32t_name("w"));
        CHECK(m != NULL);
        CHECK_FAILS(CreateEventW(NULL, FALSE, FALSE, w32t_wname("w")), NULL,
                    ERROR_INVALID_HANDLE);
        CHECK_FAILS(CreateSemaphoreW(NULL, 0, 1, w32t_wname("w")), NULL,
                    ERROR_INVALID_HANDLE);
        CLOSE(m);
    }
}

W32T(P05)
{
    HANDLE s = create_kind(SEMAPHORE, w32t_name("sem"));
    HANDLE m = create_kind(MUTEX, w32t_name("mutex"));
    HANDLE e = create_kind(EVENT, w32t_name("event"));
    CHECK(s != NULL && m != NULL && e != NULL);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("sem")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenMutexW(SYNCHRONIZE, FALSE, w32t_wname("event")), NULL,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, w32t_name("mutex")), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, w32t_name("event")), NULL,
                ERROR_INVALID_HANDLE);
    CLOSE(e);
    CLOSE(m);
    CLOSE(s);
}

W32T(P06)
{
    for (int k = 0; k < NKINDS; k++) {
        HANDLE h = create_kind((enum kind)k, w32t_name("WineTestObject")), u, l;
        CHECK(h != NULL);
        CHECK(open_kind((enum kind)k, w32t_name("WINETESTOBJECT")) == NULL);
        CHECK_GLE(ERROR_FILE_NOT_FOUND);
        CHECK(open_kind((enum kind)k, w32t_name("winetestobject")) == NULL);
        CHECK_GLE(ERROR_FILE_NOT_FOUND);
        u = create_kind((enum kind)k, w32t_name("WINETESTOBJECT"));
        CHECK(u != NULL);
        CHECK_GLE(ERROR_SUCCESS);
        l = create_kind((enum kind)k, w32t_name("winetestobject"));
        CHECK(l != NULL);
        CHECK_GLE(ERROR_SUCCESS);
        CLOSE(l);
        CLOSE(u);
        CLOSE(h);
    }
}

W32T(P07)
{
    for (int k = 0; k < NKINDS; k++) {
        HANDLE h = create_kind((enum kind)k, w32t_name("same"));
        HANDLE again;
        CHECK(h != NULL);
        CHECK_GLE(ERROR_SUCCESS);
        again = create_kind((enum kind)k, w32t_name("same"));
        CHECK(again != NULL);
        CHECK_GLE(ERROR_ALREADY_EXISTS);
        CLOSE(again);
        CLOSE(h);
    }
}

W32T(P08)
{
    HANDLE a = create_kind(MUTEX, NULL), b = create_kind(MUTEX, NULL);

    /* Unnamed objects are distinct, and never "already exist". */
    CHECK(a != NULL && b != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(a);
    CLOSE(b);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenMutexW(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenEventW(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenSemaphoreW(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
}

W32T(P09)
{
    HANDLE a, b;

    /* "" is no name: two creates give two objects, GLE 0 both times. */
    SetLastError(0xdeadbeef);
    a = CreateMutexA(NULL, TRUE, "");
    CHECK(a != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    SetLastError(0xdeadbeef);
    b = CreateMutexA(NULL, FALSE, "");
    CHECK(b != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    /* b is not a: releasing b, which nobody owns, fails. */
    CHECK_FAILS(ReleaseMutex(b), FALSE, ERROR_NOT_OWNER);
    CHECK_TRUE(ReleaseMutex(a));
    CLOSE(b);
    CLOSE(a);
}

W32T(P10)
{
    char local[256], global[256], lower[256];
    HANDLE h, l, g;

    snprintf(local, sizeof local, "Local\\%s", w32t_name("X"));
    snprintf(global, sizeof global, "Global\\%s", w32t_name("X"));
    snprintf(lower, sizeof lower, "local\\%s", w32t_name("X"));
    /* In a user session, "X" is "Local\X"... */
    h = create_kind(MUTEX, w32t_name("X"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    l = create_kind(MUTEX, local);
    CHECK(l != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    CLOSE(l);
    l = open_kind(MUTEX, local);
    CHECK(l != NULL);
    CLOSE(l);
    /* ...and "Global\X" is another object. */
    g = create_kind(MUTEX, global);
    CHECK(g != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    /* The prefixes are case-sensitive: "local" is no prefix, so the
     * backslash makes it a path through a directory that does not exist
     * (P12). */
    CHECK(create_kind(MUTEX, lower) == NULL);
    CHECK_GLE(ERROR_PATH_NOT_FOUND);
    CLOSE(g);
    CLOSE(h);
}

W32T(P11)
{
    char name[256];
    HANDLE x, h;
    DWORD e;

    /* "Session\" is reserved for the system (it leads to other sessions'
     * namespaces): it is not a prefix that can be dropped, so
     * "Session\X" never names this session's "X". Whether creating there
     * fails depends on the caller's rights, so only that is asserted. */
    snprintf(name, sizeof name, "Session\\%s", w32t_name("X"));
    x = create_kind(MUTEX, w32t_name("X"));
    CHECK(x != NULL);
    h = create_kind(MUTEX, name);
    e = GetLastError();
    if (h != NULL)
        CloseHandle(h);
    printf("  P11: CreateMutex(\"Session\\\\...\") gives %s, GLE %lu (%s)\n",
           h != NULL ? "a handle" : "NULL", (unsigned long)e, w32t_err_name(e));
    CHECK(h == NULL || e == ERROR_SUCCESS);
    CLOSE(x);
}

W32T(P12)
{
    char name[256];
    HANDLE h;

    /* A backslash after the prefix is a path separator: "a\b" where "a" is
     * no directory. */
    snprintf(name, sizeof name, "%s\\b", w32t_name("a"));
    for (int k = 0; k < NKINDS; k++) {
        h = create_kind((enum kind)k, name);
        if (h != NULL) {
            CloseHandle(h);
            w32t_fail(__FILE__, __LINE__, "a %s named with a backslash was created",
                      kind_names[k]);
        }
        CHECK_GLE(ERROR_PATH_NOT_FOUND);
    }
    snprintf(name, sizeof name, "Local\\%s\\b", w32t_name("a"));
    CHECK(create_kind(SECTION, name) == NULL);
    CHECK_GLE(ERROR_PATH_NOT_FOUND);
    /* Any other character is allowed. */
    snprintf(name, sizeof name, "%s-/:*?\"<>|. ~", w32t_name("odd"));
    h = create_kind(EVENT, name);
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);
}

/* A name of exactly `len` characters: the test's unique name, padded. */
static const char *long_name(const char *tag, size_t len)
{
    static char buf[2][1100];
    static int next;
    char *b = buf[next++ % 2];
    size_t n;

    snprintf(b, sizeof buf[0], "%s-", w32t_name(tag));
    for (n = strlen(b); n < len; n++)
        b[n] = 'x';
    if (len > 0)
        b[len] = '\0';
    return b;
}

static const wchar_t *long_wname(const char *tag, size_t len)
{
    static wchar_t buf[1100];
    const char *a = long_name(tag, len);
    size_t i;

    for (i = 0; a[i] != '\0'; i++)
        buf[i] = (wchar_t)(unsigned char)a[i];
    buf[i] = 0;
    return buf;
}

W32T(P16)
{
    HANDLE h;

    /* The A functions convert a name in a buffer of MAX_PATH + 1
     * characters: 260 fit, 261 do not. */
    SetLastError(0xdeadbeef);
    h = CreateMutexA(NULL, FALSE, long_name("m", MAX_PATH));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);
    WINE_DIFFERS_BEGIN("P16", "Wine's CreateFileMappingA has no room for 260 characters");
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                           long_name("s", MAX_PATH));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    if (h != NULL)
        CloseHandle(h);
    WINE_DIFFERS_END();
    CHECK_FAILS(CreateMutexA(NULL, FALSE, long_name("m", MAX_PATH + 1)), NULL,
                ERROR_FILENAME_EXCED_RANGE);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                   long_name("s", MAX_PATH + 1)),
                NULL, ERROR_FILENAME_EXCED_RANGE);
    /* The W functions within the documented limit. */
    SetLastError(0xdeadbeef);
    h = CreateEventW(NULL, TRUE, FALSE, long_wname("e", MAX_PATH));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(h);
    /* Past it, Windows' W functions go on (NT's limit is far higher): P17. */
    SetLastError(0xdeadbeef);
    h = CreateEventW(NULL, TRUE, FALSE, long_wname("e", 1040));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    if (h != NULL)
        CloseHandle(h);
}

/* A wide name: w32t_name(tag) and "-", padded to `units` UTF-16 units
 * with the character cp (U+1F600 and the like are two units, written as
 * a surrogate pair where wchar_t has 16 bits). A static buffer. */
static const wchar_t *wide_name(const char *tag, uint32_t cp, size_t units)
{
    static wchar_t buf[2][1100];
    static int next;
    wchar_t *b = buf[next++ % 2];
    const char *a = long_name(tag, 0);
    size_t n = 0, u; /* wchar_t written, UTF-16 units they make */

    for (; a[n] != '\0'; n++)
        b[n] = (wchar_t)(unsigned char)a[n];
    b[n++] = L'-';
    for (u = n; u < units;) {
        if (cp < 0x10000) {
            b[n++] = (wchar_t)cp;
            u++;
        } else if (u + 2 > units) {
            b[n++] = L'z';
            u++;
        } else if (sizeof(wchar_t) == 2) {
            b[n++] = (wchar_t)(0xD800 + ((cp - 0x10000) >> 10));
            b[n++] = (wchar_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
            u += 2;
        } else {
            b[n++] = (wchar_t)cp; /* UTF-32: one wchar_t, two UTF-16 units */
            u += 2;
        }
    }
    b[n] = L'\0';
    return b;
}

W32T(P17)
{
    static const size_t lengths[] = {300, 1040};
    static const uint32_t chars[] = {'a', 0xE9, 0x1F600};

    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 3; j++) {
            const wchar_t *name = wide_name("w", chars[j], lengths[i]);
            HANDLE h, o, m;
            DWORD *p;

            SetLastError(0xdeadbeef);
            h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
            if (h == NULL)
                w32t_fail(__FILE__, __LINE__, "%lu units of U+%04lX: CreateFileMappingW "
                          "failed, GLE %lu", (unsigned long)lengths[i],
                          (unsigned long)chars[j], (unsigned long)GetLastError());
            CHECK_GLE(ERROR_SUCCESS);
            p = w32t_map(h, FILE_MAP_WRITE, 0);
            p[0] = 0x1040;
            /* The same name opens the same section. */
            o = OpenFileMappingW(FILE_MAP_READ, FALSE, name);
            CHECK(o != NULL);
            UNMAP(p);
            p = w32t_map(o, FILE_MAP_READ, 0);
            CHECK_EQ(p[0], 0x1040);
            UNMAP(p);
            /* It is in the one namespace: a mutex cannot take it. */
            CHECK_FAILS(CreateMutexW(NULL, FALSE, name), NULL, ERROR_INVALID_HANDLE);
            CLOSE(o);
            CLOSE(h);
            CHECK_FAILS(OpenFileMappingW(FILE_MAP_READ, FALSE, name), NULL,
                        ERROR_FILE_NOT_FOUND);
            /* A mutex of that name. */
            m = CreateMutexW(NULL, FALSE, name);
            CHECK(m != NULL);
            CLOSE(m);
        }
    }
}

W32T(P21)
{
    /* A name that starts with a backslash is a path from the root inside
     * the object directory: STATUS_OBJECT_PATH_SYNTAX_BAD, which is
     * ERROR_BAD_PATHNAME (161), for sections and the other types. */
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                   "\\mmf-test-root"),
                NULL, ERROR_BAD_PATHNAME);
    CHECK_FAILS(CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                   L"\\mmf-test-root"),
                NULL, ERROR_BAD_PATHNAME);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "\\mmf-test-root"), NULL,
                ERROR_BAD_PATHNAME);
    CHECK_FAILS(CreateMutexA(NULL, FALSE, "\\mmf-test-root"), NULL, ERROR_BAD_PATHNAME);
    CHECK_FAILS(CreateEventA(NULL, FALSE, FALSE, "\\mmf-test-root"), NULL,
                ERROR_BAD_PATHNAME);
}
