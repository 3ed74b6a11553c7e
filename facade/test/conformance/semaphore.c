/* SPDX-License-Identifier: MIT */
/* semaphore.c - semaphores: section S of docs/win32-behaviour.md. */
#include "w32t.h"

static HANDLE sem(LONG initial, LONG max)
{
    HANDLE s = CreateSemaphoreA(NULL, initial, max, NULL);
    if (s == NULL)
        w32t_fail(__FILE__, __LINE__, "CreateSemaphoreA(%ld, %ld) failed: %lu", (long)initial,
                  (long)max, (unsigned long)GetLastError());
    return s;
}

/* The semaphore's count, found by taking it to 0 with zero waits and
 * giving it back. */
static LONG count_of(HANDLE s)
{
    LONG n = 0;
    while (n < 1000 && WaitForSingleObject(s, 0) == WAIT_OBJECT_0)
        n++;
    if (n > 0)
        CHECK_TRUE(ReleaseSemaphore(s, n, NULL));
    return n;
}

W32T(S01)
{
    HANDLE s, again, upper;
    SetLastError(0xdeadbeef);
    s = CreateSemaphoreA(NULL, 0, 1, w32t_name("WineTestSemaphore"));
    CHECK(s != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    SetLastError(0xdeadbeef);
    again = CreateSemaphoreA(NULL, 0, 1, w32t_name("WineTestSemaphore"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    SetLastError(0xdeadbeef);
    upper = CreateSemaphoreW(NULL, 0, 1, w32t_wname("WINETESTSEMAPHORE"));
    CHECK(upper != NULL);
    CHECK_GLE(ERROR_SUCCESS);
    CLOSE(upper);
    CLOSE(again);
    CLOSE(s);
}

W32T(S02)
{
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, w32t_name("s"));
    HANDLE again;

    CHECK(s != NULL);
    SetLastError(0xdeadbeef);
    again = CreateSemaphoreA(NULL, 5, 10, w32t_name("s"));
    CHECK(again != NULL);
    CHECK_GLE(ERROR_ALREADY_EXISTS);
    /* Count 0 and maximum 1 stay; the handle has SEMAPHORE_ALL_ACCESS. */
    CHECK_WAIT(WaitForSingleObject(again, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseSemaphore(again, 1, NULL));
    CHECK_FAILS(ReleaseSemaphore(again, 1, NULL), FALSE, ERROR_TOO_MANY_POSTS);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CLOSE(again);
    CLOSE(s);
}

W32T(S03)
{
    CHECK_FAILS(CreateSemaphoreA(NULL, 2, 1, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, 2, 1, w32t_name("s")), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreW(NULL, 2, 1, w32t_wname("s")), NULL, ERROR_INVALID_PARAMETER);
}

W32T(S04)
{
    CHECK_FAILS(CreateSemaphoreA(NULL, 0, 0, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, 0, -1, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, -1, 1, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, -1, 1, w32t_name("s")), NULL, ERROR_INVALID_PARAMETER);
}

W32T(S05)
{
    HANDLE s = sem(1, 2);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CLOSE(s);
}

W32T(S06)
{
    HANDLE s = sem(0, 2);
    LONG prev = 0x5a5a5a5a;
    CHECK_FAILS(ReleaseSemaphore(s, 3, &prev), FALSE, ERROR_TOO_MANY_POSTS);
    /* Nothing changed, and the previous count was not written. */
    CHECK_EQ(prev, 0x5a5a5a5a);
    CHECK_EQ(count_of(s), 0);
    CLOSE(s);
}

W32T(S07)
{
    HANDLE s = sem(0, 2);
    LONG prev = -7;
    CHECK_TRUE(ReleaseSemaphore(s, 1, &prev));
    CHECK_EQ(prev, 0);
    CHECK_TRUE(ReleaseSemaphore(s, 1, &prev));
    CHECK_EQ(prev, 1);
    prev = -7;
    CHECK_FAILS(ReleaseSemaphore(s, 1, &prev), FALSE, ERROR_TOO_MANY_POSTS);
    CHECK_EQ(prev, -7);
    CHECK_EQ(count_of(s), 2);
    CLOSE(s);
}

W32T(S08)
{
    HANDLE s = sem(0, 2);
    CHECK_TRUE(ReleaseSemaphore(s, 2, NULL));
    CHECK_EQ(count_of(s), 2);
    CLOSE(s);
}

W32T(S09)
{
    HANDLE s = sem(1, 5);
    LONG prev = 0x5a5a;
    /* S09 is [D] (MS-RS: "must be greater than zero") with the error code
     * [I] (the Windows kernel's NtReleaseSemaphore rejects a count <= 0
     * with STATUS_INVALID_PARAMETER). Wine 8.0 does not check: it accepts
     * 0 and reads -1 as a huge count. */
    WINE_DIFFERS_BEGIN("S09", "ReleaseSemaphore with a count <= 0");
    CHECK_FAILS(ReleaseSemaphore(s, 0, &prev), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(ReleaseSemaphore(s, -1, &prev), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_EQ(prev, 0x5a5a);
    WINE_DIFFERS_END();
    CHECK_EQ(count_of(s), 1);
    CLOSE(s);
}

W32T(S10)
{
    HANDLE s = CreateSemaphoreA(NULL, 0, 2, w32t_name("s"));
    HANDLE sync_only, modify;

    CHECK(s != NULL);
    sync_only = OpenSemaphoreA(SYNCHRONIZE, FALSE, w32t_name("s"));
    modify = OpenSemaphoreA(SEMAPHORE_MODIFY_STATE, FALSE, w32t_name("s"));
    CHECK(sync_only != NULL && modify != NULL);
    CHECK_FAILS(ReleaseSemaphore(sync_only, 1, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK_TRUE(ReleaseSemaphore(modify, 1, NULL));
    CHECK_WAIT(WaitForSingleObject(sync_only, 0), WAIT_OBJECT_0);
    CLOSE(modify);
    CLOSE(sync_only);
    CLOSE(s);
}

W32T(S11)
{
    HANDLE s = sem(1, 1);
    CHECK_FAILS(ReleaseSemaphore(s, 1, NULL), FALSE, ERROR_TOO_MANY_POSTS);
    CLOSE(s);
}

W32T(S12)
{
    HANDLE s0 = sem(0, 1), s1 = sem(1, 1);
    CHECK_WAIT(SignalObjectAndWait(s0, s1, 0, FALSE), WAIT_OBJECT_0);
    /* s0 is at its maximum now: the signal fails, so the call does, and
     * nothing is waited for (s1 stays at 0, not taken again). */
    CHECK_FAILS(SignalObjectAndWait(s0, s1, 0, FALSE), WAIT_FAILED, ERROR_TOO_MANY_POSTS);
    CHECK_FAILS(ReleaseSemaphore(s0, 1, NULL), FALSE, ERROR_TOO_MANY_POSTS);
    CHECK_TRUE(ReleaseSemaphore(s1, 1, NULL));
    CLOSE(s1);
    CLOSE(s0);
}

W32T(S13)
{
    HANDLE s = CreateSemaphoreA(NULL, 0, 1, w32t_name("WineTestSemaphore"));
    HANDLE o;

    CHECK(s != NULL);
    o = OpenSemaphoreA(SEMAPHORE_ALL_ACCESS, FALSE, w32t_name("WineTestSemaphore"));
    CHECK(o != NULL);
    CLOSE(o);
    CHECK_FAILS(OpenSemaphoreA(SEMAPHORE_ALL_ACCESS, FALSE, w32t_name("WINETESTSEMAPHORE")),
                NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenSemaphoreA(SEMAPHORE_ALL_ACCESS, FALSE, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenSemaphoreW(SEMAPHORE_ALL_ACCESS, FALSE, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CLOSE(s);
}

W32T(S14)
{
    HANDLE s = sem(2, 3);
    LONG prev = -1;

    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    /* Never below 0... */
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CHECK_TRUE(ReleaseSemaphore(s, 3, &prev));
    CHECK_EQ(prev, 0);
    /* ...nor above the maximum. */
    CHECK_FAILS(ReleaseSemaphore(s, 1, NULL), FALSE, ERROR_TOO_MANY_POSTS);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CHECK_WAIT(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CLOSE(s);
}
