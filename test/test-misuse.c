/* SPDX-License-Identifier: MIT */
/*
 * test-misuse.c - the one misuse rule of include/mmf.h (MISUSE): a NULL
 * handle is MMF_EBADF and a NULL pointer the call needs is MMF_EINVAL, in
 * every family; a failed create or open leaves *out NULL; nothing aborts.
 * And the names and texts of the successes (MMF_OK and the two statuses).
 */
#include "test.h"

/* A pointer that is not NULL, to fill *out before a call that must reset
 * it. */
#define NOT_NULL ((void *)&sentinel)
static int sentinel;

TEST(null_section_handle)
{
    mmf_section_info si;
    char token[MMF_TOKEN_BYTES];
    void *p = NULL;
    mmf_section *dup = NOT_NULL;

    CHECK_RC(mmf_section_close(NULL), MMF_EBADF);
    CHECK_RC(mmf_section_duplicate(NULL, MMF_ACCESS_READ, &dup), MMF_EBADF);
    CHECK(dup == NULL);
    CHECK_RC(mmf_section_stat(NULL, &si), MMF_EBADF);
    CHECK_RC(mmf_section_commit(NULL, 0, 4096), MMF_EBADF);
    CHECK_RC(mmf_section_export(NULL, MMF_ACCESS_READ, token), MMF_EBADF);
    CHECK_RC(mmf_section_send(-1, NULL, MMF_ACCESS_READ), MMF_EBADF);
    CHECK_RC(mmf_view_map(NULL, MMF_MAP_READ, 0, 0, 0, &p), MMF_EBADF);
}

TEST(null_section_pointers)
{
    mmf_section *s;
    mmf_section_info si;

    CHECK_RC(mmf_section_create(NULL, test_name("s"), 4096, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);
    CHECK_RC(mmf_section_open(NULL, test_name("s"), MMF_ACCESS_READ), MMF_EINVAL);
    CHECK_RC(mmf_section_import("mmf:1:2:3", NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_recv(-1, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_create_path(&s, NULL, NULL, 0, MMF_CREATE_NEW, NULL),
             MMF_EINVAL);

    CHECK_OK(mmf_section_create(&s, NULL, 4096, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_section_stat(s, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_duplicate(s, MMF_ACCESS_READ, NULL), MMF_EINVAL);
    CHECK_RC(mmf_section_export(s, MMF_ACCESS_READ, NULL), MMF_EINVAL);
    CHECK_RC(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, NULL), MMF_EINVAL);
    CHECK_RC(mmf_view_stat(NULL, NULL), MMF_EINVAL);
    CHECK_RC(mmf_view_unmap(NULL), MMF_EFAULT);
    CHECK_OK(mmf_section_stat(s, &si));
    CHECK_OK(mmf_section_close(s));
}

TEST(failed_create_or_open_sets_out_null)
{
    mmf_section *s = NOT_NULL;
    mmf_sync *m = NOT_NULL;
    mmf_ring *r = NOT_NULL;
    mmf_queue *q = NOT_NULL;
    mmf_bcast *b = NOT_NULL;

    CHECK_RC(mmf_section_open(&s, test_name("absent"), MMF_ACCESS_READ), MMF_ENOENT);
    CHECK(s == NULL);
    s = NOT_NULL;
    CHECK_RC(mmf_section_create(&s, test_name("s"), 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK(s == NULL);
    CHECK_RC(mmf_mutex_open(&m, test_name("absent")), MMF_ENOENT);
    CHECK(m == NULL);
    CHECK_RC(mmf_ring_open(&r, test_name("absent"), MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
    CHECK(r == NULL);
    CHECK_RC(mmf_queue_open(&q, test_name("absent"), MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
    CHECK(q == NULL);
    CHECK_RC(mmf_bcast_open(&b, test_name("absent"), MMF_ROLE_CONSUMER, NULL), MMF_ENOENT);
    CHECK(b == NULL);
    /* So the README's pattern - create, check, close - never frees garbage. */
    CHECK_RC(mmf_section_close(s), MMF_EBADF);
}

TEST(null_sync_handle)
{
    mmf_sync_info info;
    mmf_sync *dup = NOT_NULL;
    mmf_sync *objs[1] = {NULL};
    long prev;

    CHECK_RC(mmf_sync_close(NULL), MMF_EBADF);
    CHECK_RC(mmf_mutex_lock(NULL, 0), MMF_EBADF);
    CHECK_RC(mmf_mutex_unlock(NULL), MMF_EBADF);
    CHECK_RC(mmf_event_set(NULL), MMF_EBADF);
    CHECK_RC(mmf_event_reset(NULL), MMF_EBADF);
    CHECK_RC(mmf_event_pulse(NULL), MMF_EBADF);
    CHECK_RC(mmf_semaphore_release(NULL, 1, &prev), MMF_EBADF);
    CHECK_RC(mmf_sync_wait(NULL, 0), MMF_EBADF);
    CHECK_RC(mmf_sync_wait_any(objs, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_sync_wait_all(objs, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_sync_stat(NULL, &info), MMF_EBADF);
    CHECK_RC(mmf_sync_duplicate(NULL, &dup), MMF_EBADF);
    CHECK(dup == NULL);
}

TEST(null_sync_pointers)
{
    mmf_sync *e;

    CHECK_RC(mmf_mutex_create(NULL, NULL, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_event_create(NULL, NULL, 0, 0, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_semaphore_create(NULL, NULL, 0, 1, MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_mutex_open(NULL, test_name("m")), MMF_EINVAL);
    CHECK_RC(mmf_sync_wait_any(NULL, 1, 0), MMF_EINVAL);
    CHECK_OK(mmf_event_create(&e, NULL, 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_sync_stat(e, NULL), MMF_EINVAL);
    CHECK_RC(mmf_sync_duplicate(e, NULL), MMF_EINVAL);
    CHECK_OK(mmf_sync_close(e));
    /* Sync handles live in a pool that is never freed: a closed one is
     * always recognised (until the pool gives its slot to a newer handle). */
    CHECK_RC(mmf_sync_close(e), MMF_EBADF);
}

TEST(null_channel_handles)
{
    mmf_msg msg;
    void *p;
    size_t len;
    uint64_t lost;
    char buf[8];

    CHECK_RC(mmf_ring_close(NULL), MMF_EBADF);
    CHECK_EQ(mmf_ring_max_message(NULL), 0);
    CHECK_RC(mmf_ring_reserve(NULL, 8, &p, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_commit(NULL, 8), MMF_EBADF);
    CHECK_RC(mmf_ring_reserve_batch(NULL, &msg, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_commit_batch(NULL, 1), MMF_EBADF);
    CHECK_RC(mmf_ring_send(NULL, buf, 8, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_peek(NULL, &msg, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_peek_batch(NULL, &msg, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_release(NULL, 1), MMF_EBADF);
    CHECK_RC(mmf_ring_recv(NULL, buf, sizeof buf, &len, 0), MMF_EBADF);
    CHECK_RC(mmf_ring_flush(NULL), MMF_EBADF);

    CHECK_RC(mmf_queue_close(NULL), MMF_EBADF);
    CHECK_EQ(mmf_queue_slot_size(NULL), 0);
    CHECK_RC(mmf_queue_reserve(NULL, &p, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_commit(NULL, 8), MMF_EBADF);
    CHECK_RC(mmf_queue_send(NULL, buf, 8, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_peek(NULL, &msg, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_release(NULL), MMF_EBADF);
    CHECK_RC(mmf_queue_recv(NULL, buf, sizeof buf, &len, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_reserve_batch(NULL, &msg, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_commit_batch(NULL, 1), MMF_EBADF);
    CHECK_RC(mmf_queue_peek_batch(NULL, &msg, 1, 0), MMF_EBADF);
    CHECK_RC(mmf_queue_release_batch(NULL, 1), MMF_EBADF);
    CHECK_RC(mmf_queue_committed(NULL, 0), MMF_EBADF);

    CHECK_RC(mmf_bcast_close(NULL), MMF_EBADF);
    CHECK_EQ(mmf_bcast_slot_size(NULL), 0);
    CHECK_RC(mmf_bcast_send(NULL, buf, 8), MMF_EBADF);
    CHECK_RC(mmf_bcast_recv(NULL, buf, sizeof buf, &len, &lost, 0), MMF_EBADF);
}

TEST(null_channel_pointers)
{
    mmf_ring *r, *c;
    mmf_queue *q;
    mmf_bcast *b;
    char buf[8] = "12345678";
    size_t len;

    CHECK_RC(mmf_ring_create(NULL, test_name("r"), 4096, MMF_ROLE_PRODUCER,
                             MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_queue_create(NULL, test_name("q"), 4, 8, MMF_ROLE_PRODUCER,
                              MMF_CREATE_NEW, NULL), MMF_EINVAL);
    CHECK_RC(mmf_bcast_create(NULL, test_name("b"), 4, 8, MMF_ROLE_PRODUCER,
                              MMF_CREATE_NEW, NULL), MMF_EINVAL);

    CHECK_OK(mmf_ring_create(&r, test_name("r"), 4096, MMF_ROLE_PRODUCER,
                             MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_open(&c, test_name("r"), MMF_ROLE_CONSUMER, NULL));
    CHECK_RC(mmf_ring_reserve(r, 8, NULL, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_send(r, NULL, 8, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_reserve_batch(r, NULL, 1, 0), MMF_EINVAL);
    CHECK_OK(mmf_ring_send(r, buf, 8, 0));
    CHECK_RC(mmf_ring_peek(c, NULL, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_peek_batch(c, NULL, 1, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_recv(c, NULL, 8, &len, 0), MMF_EINVAL);
    CHECK_RC(mmf_ring_recv(c, buf, sizeof buf, NULL, 0), MMF_EINVAL);
    CHECK_OK(mmf_ring_recv(c, buf, sizeof buf, &len, 0)); /* still there */
    CHECK_EQ(len, 8);
    CHECK_OK(mmf_ring_close(c));
    CHECK_OK(mmf_ring_close(r));

    CHECK_OK(mmf_queue_create(&q, test_name("q"), 4, 8, MMF_ROLE_PRODUCER,
                              MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_queue_reserve(q, NULL, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_send(q, NULL, 8, 0), MMF_EINVAL);
    CHECK_RC(mmf_queue_reserve_batch(q, NULL, 1, 0), MMF_EINVAL);
    CHECK_OK(mmf_queue_close(q));
    CHECK_OK(mmf_queue_create(&q, test_name("q"), 4, 8, MMF_ROLE_CONSUMER,
                              MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_queue_peek_batch(q, NULL, 1, 0), MMF_EINVAL);
    CHECK_OK(mmf_queue_close(q));

    CHECK_OK(mmf_bcast_create(&b, test_name("b"), 4, 8, MMF_ROLE_PRODUCER,
                              MMF_CREATE_NEW, NULL));
    CHECK_RC(mmf_bcast_send(b, NULL, 8), MMF_EINVAL);
    CHECK_OK(mmf_bcast_close(b));
}

TEST(null_inspection_pointers)
{
    mmf_object_info info, *list;
    mmf_channel_info ci;
    mmf_holder *holders;
    size_t count;

    CHECK_RC(mmf_store_list(0, NULL, &count), MMF_EINVAL);
    CHECK_RC(mmf_store_list(0, &list, NULL), MMF_EINVAL);
    CHECK_RC(mmf_object_stat(test_name("x"), 0, NULL), MMF_EINVAL);
    CHECK_RC(mmf_object_stat(NULL, 0, &info), MMF_EINVAL);
    CHECK_RC(mmf_object_holders(test_name("x"), NULL, &count, NULL), MMF_EINVAL);
    CHECK_RC(mmf_object_holders(test_name("x"), &holders, NULL, NULL), MMF_EINVAL);
    CHECK_RC(mmf_object_read(test_name("x"), 0, NULL, 8, NULL), MMF_EINVAL);
    CHECK_RC(mmf_channel_stat(test_name("x"), NULL), MMF_EINVAL);
    CHECK_RC(mmf_channel_stat(NULL, &ci), MMF_EINVAL);
    CHECK_RC(mmf_store_gc(NULL, &count), MMF_EINVAL);
    CHECK_RC(mmf_store_gc(&list, NULL), MMF_EINVAL);
    mmf_store_list_free(NULL);
    mmf_object_holders_free(NULL, 0);
}

TEST(statuses_have_names)
{
    CHECK(strcmp(mmf_err_name(MMF_OK), "MMF_OK") == 0);
    CHECK(strcmp(mmf_err_name(MMF_EXISTED), "MMF_EXISTED") == 0);
    CHECK(strcmp(mmf_err_name(MMF_ABANDONED), "MMF_ABANDONED") == 0);
    CHECK(strcmp(mmf_err_name(MMF_ENOENT), "MMF_ENOENT") == 0);
    CHECK(strcmp(mmf_err_name(12345), "MMF_UNKNOWN") == 0);
    CHECK(strcmp(mmf_strerror(MMF_OK), "success") == 0);
    CHECK(strcmp(mmf_strerror(MMF_EXISTED), "unknown error") != 0);
    CHECK(strcmp(mmf_strerror(MMF_ABANDONED), "unknown error") != 0);
    CHECK(strcmp(mmf_strerror(-99999), "unknown error") == 0);
}
