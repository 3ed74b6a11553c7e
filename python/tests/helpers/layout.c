/* SPDX-License-Identifier: MIT */
/*
 * layout.c - prints the size of every struct of include/mmf.h that the
 * Python package declares with ctypes, and the offset of each field, one
 * "name value" line each, so that python/tests/test_layout.py catches a
 * header change the ctypes declarations did not follow.
 */
#include <stddef.h>
#include <stdio.h>

#include <mmf.h>

#define SIZE(t) printf("%s %zu\n", #t, sizeof(t))
#define FIELD(t, f) printf("%s.%s %zu\n", #t, #f, offsetof(t, f))

int main(void)
{
    SIZE(mmf_section_opts);
    FIELD(mmf_section_opts, flags); FIELD(mmf_section_opts, mode);
    FIELD(mmf_section_opts, prot);
    SIZE(mmf_section_info);
    FIELD(mmf_section_info, size); FIELD(mmf_section_info, prot);
    FIELD(mmf_section_info, access); FIELD(mmf_section_info, flags);
    FIELD(mmf_section_info, file_backed); FIELD(mmf_section_info, name);
    SIZE(mmf_view_info);
    FIELD(mmf_view_info, base); FIELD(mmf_view_info, size);
    FIELD(mmf_view_info, offset); FIELD(mmf_view_info, map);
    SIZE(mmf_sync_opts);
    FIELD(mmf_sync_opts, flags); FIELD(mmf_sync_opts, mode);
    SIZE(mmf_sync_info);
    FIELD(mmf_sync_info, type); FIELD(mmf_sync_info, name);
    FIELD(mmf_sync_info, owner_pid); FIELD(mmf_sync_info, owner_tid);
    FIELD(mmf_sync_info, recursion); FIELD(mmf_sync_info, abandoned);
    FIELD(mmf_sync_info, manual_reset); FIELD(mmf_sync_info, signaled);
    FIELD(mmf_sync_info, count); FIELD(mmf_sync_info, maximum);
    FIELD(mmf_sync_info, waiters);
    SIZE(mmf_channel_opts);
    FIELD(mmf_channel_opts, flags); FIELD(mmf_channel_opts, mode);
    FIELD(mmf_channel_opts, path);
    SIZE(mmf_msg);
    FIELD(mmf_msg, data); FIELD(mmf_msg, len);
    SIZE(mmf_object_info);
    FIELD(mmf_object_info, name); FIELD(mmf_object_info, type);
    FIELD(mmf_object_info, stale); FIELD(mmf_object_info, corrupt);
    FIELD(mmf_object_info, readable); FIELD(mmf_object_info, file_backed);
    FIELD(mmf_object_info, version); FIELD(mmf_object_info, size);
    FIELD(mmf_object_info, prot); FIELD(mmf_object_info, flags);
    FIELD(mmf_object_info, uid); FIELD(mmf_object_info, gid);
    FIELD(mmf_object_info, mode); FIELD(mmf_object_info, creator_pid);
    FIELD(mmf_object_info, create_ns); FIELD(mmf_object_info, allocated);
    FIELD(mmf_object_info, handles); FIELD(mmf_object_info, processes);
    FIELD(mmf_object_info, mappers); FIELD(mmf_object_info, hidden);
    FIELD(mmf_object_info, resident); FIELD(mmf_object_info, dirty);
    FIELD(mmf_object_info, file); FIELD(mmf_object_info, store_file);
    SIZE(mmf_view_range);
    FIELD(mmf_view_range, offset); FIELD(mmf_view_range, length);
    FIELD(mmf_view_range, map);
    SIZE(mmf_holder);
    FIELD(mmf_holder, pid); FIELD(mmf_holder, command);
    FIELD(mmf_holder, handles); FIELD(mmf_holder, nviews);
    FIELD(mmf_holder, views);
    SIZE(mmf_channel_info);
    FIELD(mmf_channel_info, kind); FIELD(mmf_channel_info, persistent);
    FIELD(mmf_channel_info, capacity); FIELD(mmf_channel_info, max_message);
    FIELD(mmf_channel_info, produced); FIELD(mmf_channel_info, consumed);
    FIELD(mmf_channel_info, fill); FIELD(mmf_channel_info, producers);
    FIELD(mmf_channel_info, consumers); FIELD(mmf_channel_info, producers_ever);
    FIELD(mmf_channel_info, consumers_ever); FIELD(mmf_channel_info, corrupt);
    FIELD(mmf_channel_info, file);
    /* Constants the package copies. */
    printf("MMF_NAME_BYTES %d\nMMF_PATH_BYTES %d\nMMF_TOKEN_BYTES %d\n",
           MMF_NAME_BYTES, MMF_PATH_BYTES, MMF_TOKEN_BYTES);
    return 0;
}
