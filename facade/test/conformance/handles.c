/* SPDX-License-Identifier: MIT */
/* handles.c - CloseHandle, DuplicateHandle, inheritance: section O of
 * docs/win32-behaviour.md. */
#include "w32t.h"

W32T(O01)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x1000);
    HANDLE m = CreateMutexA(NULL, FALSE, NULL);
    HANDLE e = CreateEventA(NULL, FALSE, FALSE, NULL);
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, NULL);

    CHECK(m != NULL && e != NULL && s != NULL);
    SetLastError(0xdeadbeef);
    CHECK(CloseHandle(h));
    CHECK(CloseHandle(m));
    CHECK(CloseHandle(e));
    CHECK(CloseHandle(s));
    /* Closed already: FALSE, ERROR_INVALID_HANDLE. */
    CHECK_FAILS(CloseHandle(h), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle(m), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle(e), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle(s), FALSE, ERROR_INVALID_HANDLE);
    /* Never a handle at all. */
    CHECK_FAILS(CloseHandle(NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle((HANDLE)(uintptr_t)0xdeadbee0), FALSE, ERROR_INVALID_HANDLE);
}

W32T(O02)
{
    HANDLE h = w32t_section(w32t_name("m"), PAGE_READWRITE, 0x20000);
    unsigned char *a = w32t_map(h, FILE_MAP_WRITE, 0);
    unsigned char *b = MapViewOfFile(h, FILE_MAP_READ, 0, 0x10000, 0);

    CHECK(b != NULL);
    SetLastError(0xdeadbeef);
    CHECK(CloseHandle(h));
    a[0x10001] = 0x22;
    CHECK_EQ(b[1], 0x22);
    UNMAP(b);
    UNMAP(a);
}

W32T(O03)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x1000);
    HANDLE d = NULL;
    void *p;

    /* The requested access, exactly. */
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, FILE_MAP_READ,
                          FALSE, 0));
    CHECK(d != NULL && d != h);
    CHECK_FAILS(MapViewOfFile(d, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    UNMAP(w32t_map(d, FILE_MAP_READ, 0));
    CLOSE(d);
    /* DUPLICATE_SAME_ACCESS: the access argument is ignored. */
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, FILE_MAP_READ,
                          FALSE, DUPLICATE_SAME_ACCESS));
    p = w32t_map(d, FILE_MAP_WRITE, 0);
    UNMAP(p);
    CLOSE(d);
    CLOSE(h);

    /* DUPLICATE_CLOSE_SOURCE closes the source: with the duplicate closed
     * too, no handle is left and the name is gone. (Handle values are
     * reused, so the source's value proves nothing.) */
    h = w32t_section(w32t_name("src"), PAGE_READWRITE, 0x1000);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0, FALSE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    UNMAP(w32t_map(d, FILE_MAP_WRITE, 0));
    CLOSE(d);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("src")), NULL,
                ERROR_FILE_NOT_FOUND);

    /* ...even when the call fails (a target process handle that is no
     * handle; MS-DH: "regardless of any error status"). */
    h = w32t_section(w32t_name("src"), PAGE_READWRITE, 0x1000);
    d = NULL;
    CHECK_FAILS(DuplicateHandle(GetCurrentProcess(), h, (HANDLE)(uintptr_t)0xdeadbee0, &d, 0,
                                FALSE, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
                FALSE, ERROR_INVALID_HANDLE);
    {
        HANDLE o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("src"));
        if (o != NULL) {
            w32t_fail(__FILE__, __LINE__, "the source handle survived a failed "
                      "DUPLICATE_CLOSE_SOURCE");
            CloseHandle(o);
            CloseHandle(h);
        }
    }
}

W32T(O04)
{
    HANDLE h = w32t_section(w32t_name("dup"), PAGE_READWRITE, 0x1000);
    HANDLE m = CreateMutexA(NULL, FALSE, w32t_name("mutex"));
    HANDLE hd, md, o;
    DWORD *p, *q;

    CHECK(m != NULL);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &hd, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), m, GetCurrentProcess(), &md, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    /* The same object... */
    p = w32t_map(h, FILE_MAP_WRITE, 0);
    q = w32t_map(hd, FILE_MAP_READ, 0);
    p[0] = 0x04040404;
    CHECK_EQ(q[0], 0x04040404);
    UNMAP(q);
    UNMAP(p);
    CHECK_WAIT(WaitForSingleObject(m, 0), WAIT_OBJECT_0);
    CHECK_TRUE(ReleaseMutex(md));
    /* ...alive while any of its handles is. */
    CLOSE(h);
    CLOSE(m);
    o = OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("dup"));
    CHECK(o != NULL);
    CLOSE(o);
    o = OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex"));
    CHECK(o != NULL);
    CLOSE(o);
    CLOSE(hd);
    CLOSE(md);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, w32t_name("dup")), NULL,
                ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, w32t_name("mutex")), NULL,
                ERROR_FILE_NOT_FOUND);
}

W32T(O05)
{
    HANDLE h = w32t_section(NULL, PAGE_READWRITE, 0x1000);
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE d;

    /* Narrowed: what the duplicate lacks is refused. */
    CHECK(e != NULL);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, FILE_MAP_READ,
                          FALSE, 0));
    CHECK_FAILS(MapViewOfFile(d, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CLOSE(d);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &d, SYNCHRONIZE,
                          FALSE, 0));
    CHECK_FAILS(SetEvent(d), FALSE, ERROR_ACCESS_DENIED);
    CHECK_WAIT(WaitForSingleObject(d, 0), WAIT_TIMEOUT);
    CLOSE(d);
    CHECK_TRUE(DuplicateHandle(GetCurrentProcess(), e, GetCurrentProcess(), &d,
                          EVENT_MODIFY_STATE, FALSE, 0));
    CHECK_TRUE(SetEvent(d));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CLOSE(d);
    CHECK_WAIT(WaitForSingleObject(e, 0), WAIT_OBJECT_0);
    CLOSE(e);
    CLOSE(h);
}

W32T_CHILD(o06_check)
{
    /* argv: pairs of (handle value, 1 if it must work / 0 if not); each
     * handle is a signaled manual-reset event or a section. argv[0] says
     * which: "event" or "section". */
    for (int i = 1; i + 1 < argc; i += 2) {
        HANDLE h = (HANDLE)(uintptr_t)w32t_arg(argv[i]);
        int works = (int)w32t_arg(argv[i + 1]);
        if (strcmp(argv[0], "event") == 0) {
            SetLastError(0xdeadbeef);
            DWORD r = WaitForSingleObject(h, 0);
            if (works) {
                CHECK_WAIT(r, WAIT_OBJECT_0);
            } else {
                CHECK_EQ(r, WAIT_FAILED);
                CHECK_GLE(ERROR_INVALID_HANDLE);
            }
        } else {
            SetLastError(0xdeadbeef);
            void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
            if (works) {
                CHECK(p != NULL);
                CHECK(UnmapViewOfFile(p));
            } else {
                CHECK(p == NULL);
                CHECK_GLE(ERROR_INVALID_HANDLE);
            }
        }
    }
    return 0;
}

W32T(O06)
{
    SECURITY_ATTRIBUTES sa;
    HANDLE plain, inh, again, s_plain, s_inh;

    memset(&sa, 0, sizeof sa);
    sa.nLength = sizeof sa;
    sa.lpSecurityDescriptor = NULL;
    sa.bInheritHandle = TRUE;
    plain = CreateEventA(NULL, TRUE, TRUE, w32t_name("event"));
    CHECK(plain != NULL);
    /* Opening an existing name through Create* with attributes works: the
     * attributes' inherit flag applies to the new handle. */
    SetLastError(0xdeadbeef);
    inh = CreateEventA(&sa, TRUE, TRUE, w32t_name("event"));
    CHECK(inh != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    SetLastError(0xdeadbeef);
    s_plain = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0x1000, NULL);
    CHECK(s_plain != NULL);
    s_inh = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 0x1000, NULL);
    CHECK(s_inh != NULL);
    again = CreateMutexA(&sa, FALSE, w32t_name("mutex"));
    CHECK(again != NULL);
    CLOSE(again);
    again = CreateSemaphoreA(&sa, 0, 1, w32t_name("sem"));
    CHECK(again != NULL);
    CLOSE(again);
    CHECK_CHILD(w32t_spawn_inherit("o06_check", "event", w32t_num((uintptr_t)plain), "0",
                                   w32t_num((uintptr_t)inh), "1", NULL),
                30000);
    CHECK_CHILD(w32t_spawn_inherit("o06_check", "section", w32t_num((uintptr_t)s_plain), "0",
                                   w32t_num((uintptr_t)s_inh), "1", NULL),
                30000);
    CLOSE(s_inh);
    CLOSE(s_plain);
    CLOSE(inh);
    CLOSE(plain);
}
