/* SPDX-License-Identifier: MIT */
/*
 * security.c - security descriptors: InitializeSecurityDescriptor,
 * SetSecurityDescriptorDacl, InitializeAcl, the SDDL conversion, LocalFree,
 * and what a descriptor means for a named object on Linux.
 *
 * The native permission model is the object file's mode: an owner class
 * (the creating user), and everyone else. A descriptor is mapped onto it:
 *
 *   - no descriptor, or no DACL: the default, owner-only (0600);
 *   - a NULL DACL: everyone may use the object (0666);
 *   - a DACL: its access-allowed ACEs for Everyone (WD), Authenticated
 *     Users (AU) and Builtin Users (BU) give every user, and the owner, who
 *     is one of them, the rights they grant; ACEs for the owner (OW) and
 *     the creator owner (CO) give the owner class; Administrators (BA) and
 *     Local System (SY) are root, who passes every permission check on
 *     Linux anyway, so their ACEs need nothing; access-denied ACEs take
 *     away what they name (Windows' canonical order puts them first).
 *     Guests (BG) and Anonymous (AN) have no Linux counterpart: ACEs for
 *     them grant or deny nobody.
 *
 * Rights become mode bits per object type, after the type's generic
 * mapping: a section's SECTION_MAP_READ is read, SECTION_MAP_WRITE write;
 * a mutex, event or semaphore is usable with SYNCHRONIZE, which needs
 * both read and write on the file (the native rule); a class granted only
 * a lesser right (EVENT_MODIFY_STATE alone) gets nothing rather than more.
 *
 * What cannot be expressed fails at the Create call with
 * ERROR_INVALID_SECURITY_DESCR rather than being widened or ignored: a
 * trustee that is no class here (another user's or a group's SID), a deny
 * ACE for Administrators or Local System (root cannot be refused), an ACE
 * type other than allow and deny. A DACL that lets no class use the object
 * (an empty DACL) gives the mode 0200, which no open can use (every open
 * reads the file), so that only root, Windows' administrator, can open it.
 *
 * Descriptors are the caller's memory, read with bounds: the ACL's size and
 * count, and every ACE's size, are checked before anything in them is
 * read.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "w32.h"

/* ------------------------------------------------------------------------ */
/* SIDs                                                                      */
/* ------------------------------------------------------------------------ */

/* The trustee classes. */
enum trustee { T_NONE, T_EVERYONE, T_OWNER, T_ROOT, T_NOBODY };

struct well_known {
    const char *sddl;
    BYTE authority;
    BYTE count;
    DWORD sub[2];
    enum trustee t;
};

static const struct well_known known[] = {
    {"WD", 1, 1, {0, 0}, T_EVERYONE},      /* S-1-1-0 */
    {"AU", 5, 1, {11, 0}, T_EVERYONE},     /* S-1-5-11 */
    {"BU", 5, 2, {32, 545}, T_EVERYONE},   /* S-1-5-32-545 */
    {"IU", 5, 1, {4, 0}, T_EVERYONE},      /* S-1-5-4 interactive */
    {"OW", 3, 1, {4, 0}, T_OWNER},         /* S-1-3-4 */
    {"CO", 3, 1, {0, 0}, T_OWNER},         /* S-1-3-0 */
    {"BA", 5, 2, {32, 544}, T_ROOT},       /* S-1-5-32-544 */
    {"SY", 5, 1, {18, 0}, T_ROOT},         /* S-1-5-18 */
    {"BG", 5, 2, {32, 546}, T_NOBODY},     /* S-1-5-32-546 */
    {"AN", 5, 1, {7, 0}, T_NOBODY},        /* S-1-5-7 */
    /* Integrity labels, for S: (no class: they are not kept). */
    {"LW", 16, 1, {4096, 0}, T_NONE},
    {"ME", 16, 1, {8192, 0}, T_NONE},
    {"HI", 16, 1, {12288, 0}, T_NONE},
    {"SI", 16, 1, {16384, 0}, T_NONE},
};

/* A SID's bytes: revision 1, count, 6-byte authority, count DWORDs. */
static size_t sid_write(BYTE *out, BYTE authority, BYTE count, const DWORD *sub)
{
    out[0] = 1;
    out[1] = count;
    memset(out + 2, 0, 5);
    out[7] = authority;
    memcpy(out + 8, sub, count * sizeof(DWORD));
    return 8 + count * sizeof(DWORD);
}

/* The class of the SID at p (len bytes readable). */
static enum trustee sid_class(const BYTE *p, size_t len)
{
    DWORD sub[2] = {0, 0};

    if (len < 8 || p[0] != 1 || p[1] > 15 || len < 8 + (size_t)p[1] * 4)
        return T_NONE;
    if (p[1] > 2 || p[2] || p[3] || p[4] || p[5] || p[6])
        return T_NONE;
    memcpy(sub, p + 8, (size_t)p[1] * 4);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (known[i].authority == p[7] && known[i].count == p[1] &&
            known[i].sub[0] == sub[0] && (p[1] < 2 || known[i].sub[1] == sub[1]))
            return known[i].t;
    }
    return T_NONE;
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                               */
/* ------------------------------------------------------------------------ */

BOOL WINAPI InitializeSecurityDescriptor(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                         DWORD dwRevision)
{
    SECURITY_DESCRIPTOR *sd = pSecurityDescriptor;

    if (dwRevision != SECURITY_DESCRIPTOR_REVISION) {
        mmf__w32_set_error(ERROR_UNKNOWN_REVISION);
        return FALSE;
    }
    memset(sd, 0, sizeof *sd);
    sd->Revision = SECURITY_DESCRIPTOR_REVISION;
    return TRUE;
}

BOOL WINAPI SetSecurityDescriptorDacl(PSECURITY_DESCRIPTOR pSecurityDescriptor,
                                      BOOL bDaclPresent, PACL pDacl, BOOL bDaclDefaulted)
{
    SECURITY_DESCRIPTOR *sd = pSecurityDescriptor;

    if (sd->Revision != SECURITY_DESCRIPTOR_REVISION) {
        mmf__w32_set_error(ERROR_UNKNOWN_REVISION);
        return FALSE;
    }
    sd->Control &= (WORD) ~(SE_DACL_PRESENT | SE_DACL_DEFAULTED);
    sd->Dacl = NULL;
    if (bDaclPresent) {
        sd->Control |= SE_DACL_PRESENT;
        sd->Dacl = pDacl;
        if (bDaclDefaulted)
            sd->Control |= SE_DACL_DEFAULTED;
    }
    return TRUE;
}

BOOL WINAPI InitializeAcl(PACL pAcl, DWORD nAclLength, DWORD dwAclRevision)
{
    if (nAclLength < sizeof(ACL) || nAclLength > 0xFFFF) {
        mmf__w32_set_error(nAclLength < sizeof(ACL) ? ERROR_INSUFFICIENT_BUFFER
                                                    : ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (dwAclRevision != ACL_REVISION && dwAclRevision != ACL_REVISION_DS) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    memset(pAcl, 0, sizeof *pAcl);
    pAcl->AclRevision = (BYTE)dwAclRevision;
    pAcl->AclSize = (WORD)nAclLength;
    return TRUE;
}

HLOCAL WINAPI LocalFree(HLOCAL hMem)
{
    free(hMem);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* What a descriptor means for an object                                     */
/* ------------------------------------------------------------------------ */

/* The mode bits (rw-) that `mask` (an access mask) gives for `kind`. */
static unsigned bits_of(enum w32_kind kind, DWORD mask)
{
    DWORD m = mmf__w32_map_access(kind, mask);

    switch (kind) {
    case W32_SECTION:
        return ((m & SECTION_MAP_READ) ? 4u : 0u) | ((m & SECTION_MAP_WRITE) ? 6u : 0u);
    default:
        /* Mutexes, events, semaphores: the file must be read and written
         * to use them at all, so only a right that lets a handle wait
         * (SYNCHRONIZE) opens them; a class granted less, such as
         * EVENT_MODIFY_STATE alone, gets nothing rather than more. */
        return (m & SYNCHRONIZE) ? 6u : 0u;
    }
}

DWORD mmf__w32_sd_mode(enum w32_kind kind, const SECURITY_ATTRIBUTES *sa, unsigned *mode)
{
    const SECURITY_DESCRIPTOR *sd;
    const ACL *acl;
    const BYTE *p;
    unsigned allow_owner = 0, allow_all = 0, deny_owner = 0, deny_all = 0;
    size_t left;

    *mode = 0; /* the native default: owner-only */
    if (sa == NULL || (sd = sa->lpSecurityDescriptor) == NULL)
        return 0;
    if (sd->Revision != SECURITY_DESCRIPTOR_REVISION)
        return ERROR_INVALID_SECURITY_DESCR;
    if (!(sd->Control & SE_DACL_PRESENT))
        return 0;
    if ((acl = sd->Dacl) == NULL) {
        *mode = 0666; /* a NULL DACL: everyone */
        return 0;
    }
    if (acl->AclSize < sizeof(ACL))
        return ERROR_INVALID_SECURITY_DESCR;
    p = (const BYTE *)(acl + 1);
    left = acl->AclSize - sizeof(ACL);
    for (unsigned i = 0; i < acl->AceCount; i++) {
        const ACE_HEADER *h = (const ACE_HEADER *)p;
        DWORD mask;
        unsigned bits;
        enum trustee t;

        if (left < sizeof(ACE_HEADER) + sizeof(DWORD) || h->AceSize > left ||
            h->AceSize < sizeof(ACE_HEADER) + sizeof(DWORD))
            return ERROR_INVALID_SECURITY_DESCR;
        memcpy(&mask, p + sizeof(ACE_HEADER), sizeof mask);
        t = sid_class(p + sizeof(ACE_HEADER) + sizeof(DWORD),
                      h->AceSize - sizeof(ACE_HEADER) - sizeof(DWORD));
        bits = bits_of(kind, mask);
        if (h->AceType != ACCESS_ALLOWED_ACE_TYPE && h->AceType != ACCESS_DENIED_ACE_TYPE)
            return ERROR_INVALID_SECURITY_DESCR;
        if (t == T_NONE)
            return ERROR_INVALID_SECURITY_DESCR; /* no such class here */
        if (h->AceType == ACCESS_ALLOWED_ACE_TYPE) {
            if (t == T_EVERYONE)
                allow_all |= bits;
            else if (t == T_OWNER)
                allow_owner |= bits;
        } else {
            if (t == T_ROOT && bits != 0)
                return ERROR_INVALID_SECURITY_DESCR; /* root cannot be refused */
            if (t == T_EVERYONE)
                deny_all |= bits;
            else if (t == T_OWNER)
                deny_owner |= bits;
        }
        p += h->AceSize;
        left -= h->AceSize;
    }
    {
        unsigned owner = (allow_owner | allow_all) & ~(deny_owner | deny_all) & 6u;
        unsigned others = allow_all & ~deny_all & 6u;
        /* Read is needed for any use: write alone is nothing. */
        if (!(owner & 4u))
            owner = 0;
        if (!(others & 4u))
            others = 0;
        *mode = owner << 6 | others << 3 | others;
        if (*mode == 0)
            *mode = 0200; /* nobody but root: see the overview */
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* SDDL                                                                      */
/* ------------------------------------------------------------------------ */

struct sddl_right {
    const char *code;
    DWORD mask;
};

static const struct sddl_right rights[] = {
    {"GA", GENERIC_ALL}, {"GR", GENERIC_READ}, {"GW", GENERIC_WRITE},
    {"GX", GENERIC_EXECUTE}, {"RC", READ_CONTROL}, {"SD", DELETE},
    {"WD", WRITE_DAC}, {"WO", WRITE_OWNER}, {"FA", FILE_ALL_ACCESS},
    {"FR", FILE_GENERIC_READ}, {"FW", FILE_GENERIC_WRITE}, {"FX", FILE_GENERIC_EXECUTE},
    {"KA", 0x000F003F}, {"KR", 0x00020019}, {"KW", 0x00020006}, {"KX", 0x00020019},
    {"CC", 0x1}, {"DC", 0x2}, {"LC", 0x4}, {"SW", 0x8}, {"RP", 0x10}, {"WP", 0x20},
    {"DT", 0x40}, {"LO", 0x80}, {"CR", 0x100},
};

/* Parse one right list ("GRGW" or "0x1f0003"); 0 on success. */
static int parse_rights(const char *s, size_t n, DWORD *mask)
{
    *mask = 0;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        char buf[16], *end;
        unsigned long v;
        if (n >= sizeof buf)
            return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        v = strtoul(buf, &end, 16);
        if (*end != '\0' || v > 0xFFFFFFFFul)
            return -1;
        *mask = (DWORD)v;
        return 0;
    }
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        size_t k;
        for (k = 0; k < sizeof rights / sizeof rights[0]; k++) {
            if (strncmp(s + i, rights[k].code, 2) == 0) {
                *mask |= rights[k].mask;
                break;
            }
        }
        if (k == sizeof rights / sizeof rights[0])
            return -1;
    }
    return 0;
}

/* Parse a trustee ("WD" or "S-1-5-32-545") into a SID at out (room for
 * 68 bytes); returns its size, or 0. */
static size_t parse_sid(const char *s, size_t n, BYTE *out)
{
    if (n == 2) {
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            if (strncmp(s, known[i].sddl, 2) == 0)
                return sid_write(out, known[i].authority, known[i].count, known[i].sub);
        }
        return 0;
    }
    if (n > 4 && strncmp(s, "S-1-", 4) == 0 && n < 200) {
        char buf[200], *q, *end;
        DWORD sub[15];
        unsigned long auth;
        BYTE count = 0;

        memcpy(buf, s + 4, n - 4);
        buf[n - 4] = '\0';
        auth = strtoul(buf, &end, 10);
        if (end == buf || auth > 255)
            return 0;
        q = end;
        while (*q == '-') {
            unsigned long v = strtoul(q + 1, &end, 10);
            if (end == q + 1 || v > 0xFFFFFFFFul || count == 15)
                return 0;
            sub[count++] = (DWORD)v;
            q = end;
        }
        if (*q != '\0')
            return 0;
        return sid_write(out, (BYTE)auth, count, sub);
    }
    return 0;
}

/*
 * Convert SDDL (UTF-8) into one allocation: a SECURITY_DESCRIPTOR whose
 * DACL (if any) follows it. The owner (O:), group (G:) and SACL (S:) parts
 * are parsed and checked but not kept: the owner of an object on Linux is
 * always its creator, and there are no audit or integrity labels.
 */
static DWORD sddl_convert(const char *s, PSECURITY_DESCRIPTOR *out, PULONG size)
{
    size_t len = strlen(s), cap = sizeof(SECURITY_DESCRIPTOR) + sizeof(ACL) + len * 40 + 64;
    BYTE *mem, *acep;
    SECURITY_DESCRIPTOR *sd;
    ACL *acl = NULL;
    int dacl_seen = 0;

    if ((mem = calloc(1, cap)) == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    sd = (SECURITY_DESCRIPTOR *)mem;
    sd->Revision = SECURITY_DESCRIPTOR_REVISION;
    acep = mem + sizeof *sd + sizeof(ACL);
    while (*s != '\0') {
        char part;
        if (s[0] == ' ') {
            s++;
            continue;
        }
        if (s[1] != ':' || strchr("OGDS", s[0]) == NULL)
            goto bad;
        part = s[0];
        s += 2;
        if (part == 'O' || part == 'G') {
            BYTE sid[80];
            size_t n = strcspn(s, ":");
            /* The trustee runs to the next part's "X:" or to the end. */
            if (s[n] == ':')
                n--;
            if (parse_sid(s, n, sid) == 0)
                goto bad;
            s += n;
            continue;
        }
        if (part == 'D') {
            if (dacl_seen++)
                goto bad;
            acl = (ACL *)(mem + sizeof *sd);
            acl->AclRevision = ACL_REVISION;
            sd->Control |= SE_DACL_PRESENT;
            sd->Dacl = acl;
        }
        /* Flags: P, AI, AR, NO_ACCESS_CONTROL. */
        while (*s == 'P' || *s == 'A' || *s == 'I' || *s == 'R') {
            if (strncmp(s, "AI", 2) == 0 || strncmp(s, "AR", 2) == 0)
                s += 2;
            else if (*s == 'P')
                s++;
            else
                goto bad;
        }
        if (strncmp(s, "NO_ACCESS_CONTROL", 17) == 0) {
            s += 17;
            if (part == 'D')
                sd->Dacl = NULL; /* a NULL DACL */
            continue;
        }
        while (*s == '(') {
            const char *f[6];
            size_t fl[6];
            const char *close = strchr(s, ')');
            const char *q = s + 1;
            BYTE sid[80];
            size_t sidlen;
            DWORD mask;
            BYTE type;

            if (close == NULL)
                goto bad;
            for (int i = 0; i < 6; i++) {
                size_t n = strcspn(q, ";)");
                if (q + n > close || (i < 5 && q[n] != ';') || (i == 5 && q + n != close))
                    goto bad;
                f[i] = q;
                fl[i] = n;
                q += n + 1;
            }
            if (fl[0] == 1 && f[0][0] == 'A')
                type = ACCESS_ALLOWED_ACE_TYPE;
            else if (fl[0] == 1 && f[0][0] == 'D')
                type = ACCESS_DENIED_ACE_TYPE;
            else if (part == 'S')
                type = 0xFF; /* audit and label ACEs: checked, not kept */
            else
                goto bad;
            if (part == 'S' && type != 0xFF)
                goto bad;
            if (fl[3] != 0 || fl[4] != 0) /* object ACEs */
                goto bad;
            if (part != 'S' && parse_rights(f[2], fl[2], &mask) != 0)
                goto bad;
            if ((sidlen = parse_sid(f[5], fl[5], sid)) == 0)
                goto bad;
            if (part == 'D' && acl != NULL) {
                ACE_HEADER h = {type, 0, (WORD)(sizeof h + sizeof mask + sidlen)};
                memcpy(acep, &h, sizeof h);
                memcpy(acep + sizeof h, &mask, sizeof mask);
                memcpy(acep + sizeof h + sizeof mask, sid, sidlen);
                acep += h.AceSize;
                acl->AceCount++;
            }
            s = close + 1;
        }
    }
    if (acl != NULL)
        acl->AclSize = (WORD)(acep - (BYTE *)acl);
    *out = sd;
    if (size != NULL)
        *size = (ULONG)(acep - mem);
    return 0;
bad:
    free(mem);
    return ERROR_INVALID_PARAMETER;
}

BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorA(
    LPCSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize)
{
    DWORD err;

    if (StringSecurityDescriptor == NULL || SecurityDescriptor == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (StringSDRevision != SDDL_REVISION_1) {
        mmf__w32_set_error(ERROR_UNKNOWN_REVISION);
        return FALSE;
    }
    if ((err = sddl_convert(StringSecurityDescriptor, SecurityDescriptor,
                            SecurityDescriptorSize)) != 0) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI ConvertStringSecurityDescriptorToSecurityDescriptorW(
    LPCWSTR StringSecurityDescriptor, DWORD StringSDRevision,
    PSECURITY_DESCRIPTOR *SecurityDescriptor, PULONG SecurityDescriptorSize)
{
    DWORD err = 0;
    char *s;
    BOOL ok;

    if (StringSecurityDescriptor == NULL || SecurityDescriptor == NULL) {
        mmf__w32_set_error(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if ((s = mmf__w32_to_utf8_alloc(StringSecurityDescriptor, &err)) == NULL) {
        mmf__w32_set_error(err);
        return FALSE;
    }
    ok = ConvertStringSecurityDescriptorToSecurityDescriptorA(s, StringSDRevision,
                                                             SecurityDescriptor,
                                                             SecurityDescriptorSize);
    free(s);
    return ok;
}
