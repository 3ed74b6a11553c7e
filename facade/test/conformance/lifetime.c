/* SPDX-License-Identifier: MIT */
/* lifetime.c - lifetime of sections and named objects: section N of
 * docs/win32-behaviour.md. */
#include "w32t.h"

#define MB 0x100000

W32T(N01)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x2000);
    unsigned char *p = w32t_map(h, FILE_MAP_WRITE, 0);

    SetLastError(0xdeadbeef);
    CHECK(CloseHandle(h));
    /* The view outlives the handle, readable and writable. */
    CHECK(w32t_readable(p));
    CHECK(w32t_writable(p + 0x1fff));
    p[0x1fff] = 3;
    CHECK_EQ(p[0x1fff], 3);
    UNMAP(p);
}

/* N02 and N03 on the section `h` named "Foo", of which `p` is a view. */
static void name_goes_with_last_handle(HANDLE h, DWORD *p)
{
    HANDLE o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("Foo"));
    HANDLE n;
    DWORD *q;

    CHECK(o != NULL);
    CLOSE(h);
    CLOSE(o);
    /* N02: the view still works; the name is gone. */
    p[0] = 0x02020202;
    CHECK_EQ(p[0], 0x02020202);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("Foo")), NULL,
                ERROR_FILE_NOT_FOUND);
    /* N03: creating the name makes a new object, GLE 0; N05: zero-filled
     * and unrelated to the old view. */
    SetLastError(0xdeadbeef);
    n = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, MB,
                           w32t_name("Foo"));
    CHECK(n != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    q = w32t_map(n, FILE_MAP_WRITE, 0);
    CHECK_EQ(q[0], 0);
    q[1] = 0x03030303;
    CHECK_EQ(p[1], 0);
    UNMAP(q);
    CLOSE(n);
}

W32T(N02)
{
    HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, MB);
    DWORD *p = w32t_map(h, FILE_MAP_WRITE, 0);
    name_goes_with_last_handle(h, p);
    UNMAP(p);
}

W32T(N03)
{
    /* The recreate half of N02's sequence, on a section of another size:
     * the new object has the size now asked for. */
    HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x10000);
    DWORD *p = w32t_map(h, FILE_MAP_WRITE, 0);
    HANDLE n;

    CLOSE(h);
    SetLastError(0xdeadbeef);
    n = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x20000,
                           w32t_name("Foo"));
    CHECK(n != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CHECK_EQ(w32t_section_size(n, 0x40000), 0x20000);
    UNMAP(p);
    CLOSE(n);
}

W32T(N04)
{
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 4096, NULL);
    HANDLE h;
    DWORD *p;

    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, MB, w32t_name("Foo"));
    CHECK(h != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    name_goes_with_last_handle(h, p);
    UNMAP(p);
    CLOSE(f);
}

W32T(N05)
{
    HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x10000);
    unsigned char *p = w32t_map(h, FILE_MAP_WRITE, 0), *q;
    size_t nonzero = 0;

    memset(p, 0xee, 0x10000);
    CLOSE(h);
    h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x10000);
    q = w32t_map(h, FILE_MAP_WRITE, 0);
    for (size_t i = 0; i < 0x10000; i++)
        nonzero += q[i] != 0;
    CHECK_EQ(nonzero, 0);
    q[0] = 1;
    CHECK_EQ(p[0], 0xee);
    UNMAP(q);
    UNMAP(p);
    CLOSE(h);
}

W32T(N06)
{
    for (int order = 0; order < 2; order++) {
        HANDLE h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x10000);
        unsigned char *p = w32t_map(h, FILE_MAP_WRITE, 0), *q;
        p[0] = 0x66;
        if (order == 0) {
            CLOSE(h);
            CHECK_EQ(p[0], 0x66);
            UNMAP(p);
        } else {
            UNMAP(p);
            CLOSE(h);
        }
        /* Either way the object is gone: a create starts afresh. */
        CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("Foo")), NULL,
                    ERROR_FILE_NOT_FOUND);
        h = w32t_section(w32t_name("Foo"), PAGE_READWRITE, 0x10000);
        q = w32t_map(h, FILE_MAP_READ, 0);
        CHECK_EQ(q[0], 0);
        UNMAP(q);
        CLOSE(h);
    }
}

W32T(N07)
{
    HANDLE h;

    h = CreateMutexA(NULL, FALSE, w32t_name("WineTestMutex2"));
    CHECK(h != NULL);
    CLOSE(h);
    CHECK_FAILS(OpenMutexA(READ_CONTROL, FALSE, w32t_name("WineTestMutex2")), NULL,
                ERROR_FILE_NOT_FOUND);

    h = CreateSemaphoreA(NULL, 0, 1, w32t_name("WineTestSemaphore2"));
    CHECK(h != NULL);
    CLOSE(h);
    CHECK_FAILS(OpenSemaphoreA(READ_CONTROL, FALSE, w32t_name("WineTestSemaphore2")), NULL,
                ERROR_FILE_NOT_FOUND);

    h = CreateEventA(NULL, FALSE, FALSE, w32t_name("WineTestEvent2"));
    CHECK(h != NULL);
    CLOSE(h);
    CHECK_FAILS(OpenEventA(READ_CONTROL, FALSE, w32t_name("WineTestEvent2")), NULL,
                ERROR_FILE_NOT_FOUND);
}

/* A named event made by the test for talking to its child. */
static HANDLE sync_event(const char *tag)
{
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, w32t_name(tag));
    CHECK(e != NULL);
    return e;
}

W32T_CHILD(n08_holder)
{
    /* Opens the parent's three objects, says "ready", holds them until
     * "go". */
    HANDLE s, m, e, ready, go;
    (void)argc;
    (void)argv;
    s = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("section"));
    m = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex"));
    e = OpenEventA(SYNCHRONIZE, FALSE, w32t_name("event"));
    ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    go = OpenEventA(SYNCHRONIZE, FALSE, w32t_name("go"));
    CHECK(s != NULL && m != NULL && e != NULL && ready != NULL && go != NULL);
    CHECK_TRUE(SetEvent(ready));
    CHECK(WaitForSingleObject(go, 30000) == WAIT_OBJECT_0);
    CHECK(CloseHandle(s));
    CHECK(CloseHandle(m));
    CHECK(CloseHandle(e));
    CHECK(CloseHandle(ready));
    CHECK(CloseHandle(go));
    return 0;
}

W32T(N08)
{
    HANDLE ready = sync_event("ready"), go = sync_event("go");
    HANDLE s = w32t_section(w32t_name("section"), PAGE_READWRITE, 0x1000);
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("mutex"));
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, w32t_name("event"));
    HANDLE o;
    int child;

    CHECK(m != NULL && e != NULL);
    child = w32t_spawn("n08_holder", NULL);
    CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
    /* The creator lets go; the other process's handles keep the names. */
    CLOSE(s);
    CLOSE(m);
    CLOSE(e);
    o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("section"));
    CHECK(o != NULL);
    CLOSE(o);
    o = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex"));
    CHECK(o != NULL);
    CLOSE(o);
    o = OpenEventA(SYNCHRONIZE, FALSE, w32t_name("event"));
    CHECK(o != NULL);
    CLOSE(o);
    /* The holder closes its handles: the names go. */
    CHECK_TRUE(SetEvent(go));
    CHECK_CHILD(child, 30000);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("section")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, w32t_name("event")), NULL,
                ERROR_FILE_NOT_FOUND);
    CLOSE(go);
    CLOSE(ready);
}

W32T(N09)
{
    const char *path;
    HANDLE f = w32t_file("f", GENERIC_READ | GENERIC_WRITE, 0x10000, &path);
    HANDLE h;
    unsigned char *p;
    char buf[8] = {0};
    DWORD got = 0;

    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, w32t_name("m"));
    CHECK(h != NULL);
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    memcpy(p + 0x4321, "kept", 5);
    UNMAP(p);
    CLOSE(h);
    CLOSE(f);
    /* Reopen the file: the data is in it. */
    f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    CHECK(f != INVALID_HANDLE_VALUE);
    CHECK_EQ(SetFilePointer(f, 0x4321, NULL, FILE_BEGIN), 0x4321);
    CHECK_TRUE(ReadFile(f, buf, 5, &got, NULL));
    CHECK_EQ(got, 5);
    CHECK(strcmp(buf, "kept") == 0);
    CLOSE(f);
}

W32T_CHILD(n10_leaver)
{
    /* argv: "exit" or "hang". Creates objects, maps a view, says "ready";
     * then leaves without closing anything, or waits to be killed. */
    HANDLE s, m, e, ready;
    DWORD *p;
    (void)argc;
    s = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x1000,
                           w32t_name("section"));
    m = CreateMutexA(NULL, FALSE, w32t_name("mutex"));
    e = CreateEventA(NULL, TRUE, FALSE, w32t_name("event"));
    CHECK(s != NULL && m != NULL && e != NULL);
    p = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(p != NULL);
    p[0] = 10;
    ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, w32t_name("ready"));
    CHECK(ready != NULL);
    CHECK_TRUE(SetEvent(ready));
    if (strcmp(argv[0], "hang") == 0)
        Sleep(INFINITE);
    return 0;
}

W32T(N10)
{
    static const char *const how[] = {"exit", "hang"};
    for (int i = 0; i < 2; i++) {
        HANDLE ready = sync_event("ready");
        int child = w32t_spawn("n10_leaver", how[i], NULL);
        CHECK_WAIT(WaitForSingleObject(ready, 30000), WAIT_OBJECT_0);
        if (i == 0)
            CHECK_CHILD(child, 30000);
        else
            w32t_child_kill(child);
        /* The dead process's handles are closed: the names are gone. */
        CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("section")), NULL,
                    ERROR_FILE_NOT_FOUND);
        CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex")), NULL,
                    ERROR_FILE_NOT_FOUND);
        CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, w32t_name("event")), NULL,
                    ERROR_FILE_NOT_FOUND);
        CLOSE(ready);
    }
}
