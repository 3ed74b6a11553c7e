/* SPDX-License-Identifier: MIT */
/*
 * robust.h - hold a robust futex word the way a process killed inside an
 * mmf call would hold it, for tests that kill such a process.
 */
#ifndef MMF_TEST_ROBUST_H
#define MMF_TEST_ROBUST_H

#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync.h"
#include "test.h"

/* Write or read the lock word of a sync object through its store file fd
 * (which the caller opened), as a hostile writer would. */
static inline void test_poke_lock_word(int fd, uint32_t w)
{
    CHECK(pwrite(fd, &w, sizeof w, MMF__SYNC_LOCK_OFFSET) == (ssize_t)sizeof w);
    close(fd);
}

static inline uint32_t test_peek_lock_word(int fd)
{
    uint32_t w;
    CHECK(pread(fd, &w, sizeof w, MMF__SYNC_LOCK_OFFSET) == (ssize_t)sizeof w);
    close(fd);
    return w;
}

/*
 * Take `word` (0 -> this thread's id) and register it in this thread's
 * robust list, so that the kernel marks it FUTEX_OWNER_DIED when the
 * process dies. The list replaces glibc's for this thread: only for a
 * helper process that does nothing else until it is killed. Returns 0, or
 * -1 if the word was not free or the list could not be set.
 */
static inline int test_hold_robust_word(uint32_t *word)
{
    static struct robust_list_head head;
    static struct robust_list entry;
    uint32_t zero = 0, tid = (uint32_t)syscall(SYS_gettid);

    entry.next = &head.list;
    head.list.next = &entry;
    head.futex_offset = (long)((char *)word - (char *)&entry);
    head.list_op_pending = NULL;
    if (syscall(SYS_set_robust_list, &head, sizeof head) != 0)
        return -1;
    return __atomic_compare_exchange_n(word, &zero, tid, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST) ? 0 : -1;
}

#endif
