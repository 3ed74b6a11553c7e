/* SPDX-License-Identifier: MIT */
/*
 * section.c - sections: argument checking and Windows semantics on top of
 * the OS store (backend.h).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SECTION_MAGIC 0x53454354u /* "SECT" */
#define SECTION_DEAD 0xdeadc105u

struct mmf_section {
    uint32_t magic;
    mmf__obj *obj;
};

int mmf__section_obj(const mmf_section *s, mmf__obj **obj)
{
    if (s == NULL || s->magic != SECTION_MAGIC)
        return MMF_EBADF;
    *obj = s->obj;
    return 0;
}

size_t mmf_page_size(void)
{
    return mmf__os_page_size();
}

size_t mmf_allocation_granularity(void)
{
    return mmf__os_granularity();
}

int mmf_numa_highest_node(void)
{
    return mmf__os_numa_highest();
}

static int wrap(mmf__obj *obj, int rc, mmf_section **out)
{
    mmf_section *s;
    if (rc < 0)
        return rc;
    s = malloc(sizeof *s);
    if (s == NULL) {
        mmf__os_obj_close(obj);
        return MMF_ENOMEM;
    }
    s->magic = SECTION_MAGIC;
    s->obj = obj;
    *out = s;
    return rc;
}

/* The handle access that a protection asks for (CreateFileMapping on an
 * existing name requests access "with the protection flProtect gives"). */
static unsigned access_for_prot(unsigned prot)
{
    unsigned a = MMF_ACCESS_READ;
    if (prot & MMF_PROT_WRITE)
        a |= MMF_ACCESS_WRITE;
    if (prot & MMF_PROT_EXEC)
        a |= MMF_ACCESS_EXEC;
    return a;
}

/* Check the common create arguments and fill *spec. */
static int check_create(const char *name, int disposition,
                        const mmf_section_opts *opts, struct mmf__spec *spec,
                        struct mmf__name *nm, int *named)
{
    static const mmf_section_opts defaults = {0};
    const unsigned all_flags =
        MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES | MMF_GLOBAL | MMF_NODE_MASK;
    int rc;

    if (opts == NULL)
        opts = &defaults;
    if (disposition != MMF_CREATE_NEW && disposition != MMF_OPEN_OR_CREATE)
        return MMF_EINVAL;
    if ((opts->prot & ~(unsigned)(MMF_PROT_READ | MMF_PROT_WRITE | MMF_PROT_EXEC)) ||
        (opts->flags & ~all_flags) || opts->mode > 0777)
        return MMF_EINVAL;
    /* Large pages must be committed: they cannot be reserved (C06). */
    if ((opts->flags & MMF_SECTION_RESERVE) && (opts->flags & MMF_SECTION_LARGE_PAGES))
        return MMF_EINVAL;
    memset(spec, 0, sizeof *spec);
    spec->node = (opts->flags & MMF_NODE_MASK) >> 16;
    if (spec->node != 0 && (rc = mmf__os_numa_check(spec->node - 1)) < 0)
        return rc;
    spec->type = MMF__TYPE_SECTION;
    spec->prot = (opts->prot ? opts->prot : MMF_PROT_WRITE) | MMF_PROT_READ;
    spec->flags = opts->flags & ~(unsigned)(MMF_GLOBAL | MMF_NODE_MASK);
    spec->mode = opts->mode;
    spec->file = MMF__NO_FILE;
    *named = name != NULL && name[0] != '\0';
    if (*named &&
        (rc = mmf__name_parse(name, (opts->flags & MMF_GLOBAL) != 0, nm)) < 0)
        return rc;
    return 0;
}

int mmf_section_create(mmf_section **out, const char *name, uint64_t size,
                       int disposition, const mmf_section_opts *opts)
{
    struct mmf__spec spec;
    struct mmf__name *nm;
    uint64_t page = mmf__os_page_size();
    mmf__obj *obj = NULL;
    int rc, named;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (size == 0)
        return MMF_EINVAL; /* a pagefile-backed section needs a size (B01) */
    /* Sizes past what a file offset holds cannot be committed anywhere. */
    if (size > (uint64_t)INT64_MAX - 2 * page - MMF__HDR_SIZE)
        return MMF_EFBIG;
    nm = malloc(sizeof *nm);
    if (nm == NULL)
        return MMF_ENOMEM;
    rc = check_create(name, disposition, opts, &spec, nm, &named);
    if (rc == 0) {
        spec.size = (size + page - 1) / page * page; /* rounded (B09) */
        rc = mmf__os_obj_create(named ? nm : NULL, &spec, disposition,
                                access_for_prot(spec.prot), &obj);
    }
    free(nm);
    return wrap(obj, rc, out);
}

/* A section over the caller's open file f (which the caller keeps). */
static int create_file(mmf_section **out, const char *name, mmf__file f,
                       uint64_t size, int disposition,
                       const mmf_section_opts *opts)
{
    struct mmf__spec spec;
    struct mmf__name *nm;
    mmf__obj *obj = NULL;
    int rc, named;

    nm = malloc(sizeof *nm);
    if (nm == NULL)
        return MMF_ENOMEM;
    rc = check_create(name, disposition, opts, &spec, nm, &named);
    if (rc == 0 && (spec.flags & (MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES)))
        rc = MMF_EINVAL; /* these apply to pagefile-backed sections only */
    if (rc == 0)
        rc = mmf__os_file_prepare(f, spec.prot, &size);
    if (rc == 0) {
        spec.size = size; /* exact, not rounded (D06) */
        spec.file = f;
        rc = mmf__os_obj_create(named ? nm : NULL, &spec, disposition,
                                access_for_prot(spec.prot), &obj);
    }
    free(nm);
    return wrap(obj, rc, out);
}

int mmf_section_create_fd(mmf_section **out, const char *name, int fd,
                          uint64_t size, int disposition,
                          const mmf_section_opts *opts)
{
    mmf__file f;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if ((rc = mmf__os_file_from_fd(fd, &f)) < 0)
        return rc;
    return create_file(out, name, f, size, disposition, opts);
}

int mmf_section_create_path(mmf_section **out, const char *name,
                            const char *path, uint64_t size, int disposition,
                            const mmf_section_opts *opts)
{
    unsigned prot = opts != NULL && opts->prot ? opts->prot : MMF_PROT_WRITE;
    mmf__file f;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return MMF_EINVAL;
    if ((rc = mmf__os_file_open(path, prot, &f)) < 0)
        return rc;
    rc = create_file(out, name, f, size, disposition, opts);
    mmf__os_file_close(f);
    return rc;
}

int mmf_section_open(mmf_section **out, const char *name, unsigned access)
{
    struct mmf__name *nm;
    mmf__obj *obj = NULL;
    int rc;

    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (name == NULL || name[0] == '\0' || access == 0 ||
        (access & ~(unsigned)MMF_ACCESS_ALL))
        return MMF_EINVAL;
    nm = malloc(sizeof *nm);
    if (nm == NULL)
        return MMF_ENOMEM;
    rc = mmf__name_parse(name, 0, nm);
    if (rc == 0)
        rc = mmf__os_obj_open(nm, MMF__TYPE_SECTION, access, &obj);
    free(nm);
    return wrap(obj, rc, out);
}

int mmf_section_close(mmf_section *s)
{
    mmf__obj *obj;
    int rc = mmf__section_obj(s, &obj);
    if (rc < 0)
        return rc;
    s->magic = SECTION_DEAD;
    free(s);
    mmf__os_obj_close(obj);
    return 0;
}

static int check_subset(const mmf_section *s, unsigned access)
{
    mmf__obj *obj;
    int rc = mmf__section_obj(s, &obj);
    if (rc < 0)
        return rc;
    if (access == 0 || (access & ~(unsigned)MMF_ACCESS_ALL))
        return MMF_EINVAL;
    if (access & ~mmf__os_obj_access(obj))
        return MMF_EACCES;
    return 0;
}

int mmf_section_duplicate(mmf_section *s, unsigned access, mmf_section **out)
{
    mmf__obj *obj = NULL;
    int rc;
    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    rc = check_subset(s, access);
    if (rc == 0)
        rc = mmf__os_obj_dup(s->obj, access, &obj);
    return wrap(obj, rc, out);
}

int mmf_section_stat(const mmf_section *s, mmf_section_info *info)
{
    const struct mmf__hdr *h;
    mmf__obj *obj;
    int rc = mmf__section_obj(s, &obj);

    if (rc < 0)
        return rc;
    if (info == NULL)
        return MMF_EINVAL;
    h = mmf__os_obj_hdr(obj);
    memset(info, 0, sizeof *info);
    info->size = h->size;
    info->prot = h->prot;
    info->access = mmf__os_obj_access(obj);
    info->flags = h->flags & (MMF_SECTION_RESERVE | MMF_SECTION_LARGE_PAGES);
    if (h->flags & MMF__HF_GLOBAL)
        info->flags |= MMF_GLOBAL;
    info->file_backed = (h->flags & MMF__HF_FILE) && !(h->flags & MMF_SECTION_LARGE_PAGES);
    memcpy(info->name, h->name, h->name_len + 1);
    return 0;
}

int mmf_section_commit(mmf_section *s, uint64_t offset, uint64_t length)
{
    const struct mmf__hdr *h;
    uint64_t page = mmf__os_page_size(), start, end;
    mmf__obj *obj;
    int rc = mmf__section_obj(s, &obj);

    if (rc < 0)
        return rc;
    h = mmf__os_obj_hdr(obj);
    if (!(mmf__os_obj_access(obj) & MMF_ACCESS_WRITE))
        return MMF_EACCES;
    if (offset > h->size || length > h->size - offset)
        return MMF_ERANGE;
    /* Only reserved sections have anything left to commit. */
    if (length == 0 || !(h->flags & MMF_SECTION_RESERVE))
        return 0;
    start = offset / page * page;
    end = (offset + length + page - 1) / page * page;
    return mmf__os_obj_commit(obj, start, end - start);
}

int mmf_section_export(mmf_section *s, unsigned access,
                       char token[MMF_TOKEN_BYTES])
{
    int rc = check_subset(s, access);
    if (rc == 0 && token == NULL)
        rc = MMF_EINVAL;
    return rc < 0 ? rc : mmf__os_export(s->obj, access, token, MMF_TOKEN_BYTES);
}

int mmf_section_export_close(const char *token)
{
    return mmf__os_export_close(token);
}

/* A reference received from elsewhere must be a section. */
static int wrap_received(mmf__obj *obj, int rc, mmf_section **out)
{
    if (rc == 0 && mmf__os_obj_hdr(obj)->type != MMF__TYPE_SECTION) {
        mmf__os_obj_close(obj);
        return MMF_ETYPE;
    }
    return wrap(obj, rc, out);
}

int mmf_section_import(const char *token, mmf_section **out)
{
    mmf__obj *obj = NULL;
    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    return wrap_received(obj, mmf__os_import(token, &obj), out);
}

int mmf_section_send(int sock, mmf_section *s, unsigned access)
{
    int rc = check_subset(s, access);
    return rc < 0 ? rc : mmf__os_send(sock, s->obj, access);
}

int mmf_section_recv(int sock, mmf_section **out)
{
    mmf__obj *obj = NULL;
    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    return wrap_received(obj, mmf__os_recv(sock, &obj), out);
}

#ifdef _WIN32
/* The Windows-only calls (mmf.h): sections over Win32 file handles, and
 * handles pushed into another process. */

int mmf_section_create_handle(mmf_section **out, const char *name, void *file,
                              uint64_t size, int disposition,
                              const mmf_section_opts *opts)
{
    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    if (file == NULL || (intptr_t)file == -1) /* INVALID_HANDLE_VALUE */
        return MMF_EBADF;
    return create_file(out, name, (mmf__file)(intptr_t)file, size, disposition, opts);
}

int mmf_section_duplicate_to(mmf_section *s, void *process, unsigned access,
                             uint64_t *value)
{
    int rc = check_subset(s, access);
    if (rc == 0 && (process == NULL || value == NULL))
        rc = MMF_EINVAL;
    return rc < 0 ? rc : mmf__os_duplicate_to(s->obj, process, access, value);
}

int mmf_section_adopt(uint64_t value, mmf_section **out)
{
    mmf__obj *obj = NULL;
    if (out == NULL)
        return MMF_EINVAL;
    *out = NULL;
    return wrap_received(obj, mmf__os_adopt(value, &obj), out);
}
#endif
