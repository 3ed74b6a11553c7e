# SPDX-License-Identifier: MIT
#
# gen-man3.awk - the section 3 manual pages of mmf, written from
# include/mmf.h (run through gen-man3.sh, which sets out= and version=).
#
# The header is the contract (docs: its doc comments say everything a
# manual page would), so the pages are the header re-typeset:
#
#   - the header's opening comment becomes mmf(3), with the constants
#     declared before the first part heading;
#   - every part of the header, "/* ---...--- */ /* Title */ /* ---...--- */"
#     or "/* ---- Title ---- */", becomes one page: NAME and SYNOPSIS list
#     every MMF_API function of the part (prototypes as written), and
#     DESCRIPTION is the part's text in header order: its free-standing
#     comments, its declarations (types, enums, constants) with their
#     comments, and one subsection per function with the comment just
#     before its prototype;
#   - every function name, and every type name, gets a link page
#     (".so man3/<page>.3") to the page that documents it.
#
# A page is named after the longest prefix (in "_"-separated words, at
# least two) that all its functions share, e.g. mmf_ring for mmf_ring_*;
# where there is none, or a part before it took that name, after its
# heading ("Handle passing" -> mmf_handle_passing). Nothing here knows
# the names of parts or functions: renaming them in the header renames
# the pages.
#
# Only POSIX awk (mawk is enough); run in the C locale, so that strings
# are bytes. Any byte above 127 is written as a groff \[uXXXX] escape of
# the UTF-8 character it starts, so that the pages are ASCII.

BEGIN {
    np = 0          # parts; part 0 is what precedes the first heading
    ni = 0          # items, in header order
    cur = 0         # current part
    ptitle[0] = ""
    plevel[0] = 0
    in_comment = 0
    heading = 0     # 1: after a rule line, 2: after rule and title
    have_pending = 0
    in_block = 0
    in_macro = 0
    depth = 0       # preprocessor conditionals open
    guard_name = ""
    guard_depth = 0
    overview = ""
    for (i = 0; i < 256; i++)
        ord[sprintf("%c", i)] = i
}

# ---------------------------------------------------------------------------
# Reading the header
# ---------------------------------------------------------------------------

{
    line = $0
    sub(/[ \t\r]+$/, "", line)
}

in_comment {
    cbuf = cbuf "\n" line
    if (index(line, "*/") > 0) {
        in_comment = 0
        comment_done(cbuf)
    }
    next
}

in_macro {
    macro_add(line)
    if (line !~ /\\$/) {
        in_macro = 0
        macro_done()
    }
    next
}

# A trailing comment of a declaration that goes on over several lines.
in_block && block_in_comment {
    block_add(line)
    if (index(line, "*/") > 0)
        block_in_comment = 0
    next
}

# "/* ---- Title ---- */": a part inside the previous one.
line ~ /^\/\* ---- *[^- ].* ---*-* *\*\/$/ {
    t = line
    sub(/^\/\* -+ */, "", t)
    sub(/ *-+ *\*\/$/, "", t)
    new_part(t, 2)
    next
}

# "/* ------ */" rule lines around "/* Title */".
line ~ /^\/\* ------*-* *\*\/$/ {
    if (heading == 2) {
        new_part(htitle, 1)
        heading = 0
    } else {
        heading = 1
    }
    next
}

heading == 1 && line ~ /^\/\* .*\*\/$/ {
    htitle = line
    sub(/^\/\* */, "", htitle)
    sub(/ *\*\/$/, "", htitle)
    heading = 2
    next
}

{
    heading = 0
}

line == "" {
    block_end()
    flush_pending()
    next
}

# A comment starting a line: documentation of what follows it, or text of
# its own when a blank line follows.
line ~ /^\/\*/ {
    block_end()
    if (index(substr(line, 3), "*/") > 0) {
        comment_done(line)
    } else {
        in_comment = 1
        cbuf = line
    }
    next
}

# Preprocessor lines.
line ~ /^#[ \t]*(if|ifdef|ifndef)[ \t(]/ {
    depth++
    if (guard_name == "" && depth == 1 && line ~ /^#[ \t]*ifndef[ \t]/) {
        t = line
        sub(/^#[ \t]*ifndef[ \t]+/, "", t)
        guard_name = t
        guard_pending = 1
        next
    }
    guard_pending = 0
    code_line(line, 1)
    next
}

line ~ /^#[ \t]*endif/ {
    depth--
    guard_pending = 0
    code_line(line, 1)
    next
}

line ~ /^#[ \t]*define[ \t]/ {
    t = line
    sub(/^#[ \t]*define[ \t]+/, "", t)
    name = t
    sub(/[^A-Za-z0-9_].*/, "", name)
    if (guard_pending && name == guard_name && t == name) {
        guard_depth = 1   # the include guard: what it encloses is the header
        guard_pending = 0
        next
    }
    guard_pending = 0
    if (line ~ /\\$/) {
        block_end()
        in_macro = 1
        macro_name = name
        nmacro = 0
        macro_add(line)
        next
    }
    # A constant is shown, unless it is internal (a double underscore, or
    # defined differently per platform) or has no value.
    hide = index(name, "__") > 0 || t == name || depth > guard_depth
    code_line(line, hide)
    next
}

line ~ /^#/ {
    guard_pending = 0
    code_line(line, 1)
    next
}

{
    guard_pending = 0
    code_line(line, depth > guard_depth)
}

END {
    block_end()
    flush_pending()
    write_pages()
}

# ---------------------------------------------------------------------------
# Parts, comments, code blocks
# ---------------------------------------------------------------------------

function new_part(title, level,    p) {
    block_end()
    flush_pending()
    np++
    ptitle[np] = title
    plevel[np] = level
    pparent[np] = 0
    if (level == 2) {
        for (p = np - 1; p > 0; p--) {
            if (plevel[p] == 1) {
                pparent[np] = p
                break
            }
        }
    }
    cur = np
}

function new_item(kind, doc, code, name) {
    ni++
    ikind[ni] = kind
    ipart[ni] = cur
    idoc[ni] = doc
    icode[ni] = code
    iname[ni] = name
}

# The text of a comment, without its markers, one line per line.
function strip_comment(t,    n, a, i, s, out, first, last) {
    n = split(t, a, "\n")
    for (i = 1; i <= n; i++) {
        s = a[i]
        sub(/[ \t]*\*+\/$/, "", s)
        if (i == 1)
            sub(/^[ \t]*\/\*+ ?/, "", s)
        else
            sub(/^[ \t]*\* ?/, "", s)
        sub(/[ \t]+$/, "", s)
        a[i] = s
    }
    first = 1
    while (first <= n && a[first] == "")
        first++
    last = n
    while (last >= first && a[last] == "")
        last--
    out = ""
    for (i = first; i <= last; i++)
        out = out (i > first ? "\n" : "") a[i]
    return out
}

function comment_done(t,    s) {
    s = strip_comment(t)
    if (s ~ /^SPDX-License-Identifier:/ || s == "")
        return
    # The header's opening comment: the overview.
    if (overview == "" && cur == 0 && ni == 0 && !have_pending && index(s, "\n") > 0) {
        overview = s
        return
    }
    flush_pending()
    pending = s
    have_pending = 1
}

function flush_pending() {
    if (have_pending)
        new_item("prose", pending, "", "")
    have_pending = 0
    pending = ""
}

function code_line(s, hidden) {
    if (in_block && block_func && block_done)
        block_end()
    if (in_block && !block_func && s ~ /^MMF_API[ \t]/)
        block_end()
    if (!in_block) {
        in_block = 1
        block_doc = have_pending ? pending : ""
        have_pending = 0
        pending = ""
        block_code = ""
        block_hidden = 0
        block_func = s ~ /^MMF_API[ \t]/
        block_done = 0
        block_parens = 0
        block_in_comment = 0
    }
    if (hidden)
        block_hidden = 1
    block_add(s)
}

function block_add(s,    t, o, c) {
    block_code = block_code (block_code == "" ? "" : "\n") s
    # An unfinished trailing comment continues on the next lines.
    t = s
    o = index(t, "/*")
    c = index(t, "*/")
    if (o > 0 && (c == 0 || c < o)) {
        # "*/" before "/*" closes an earlier one; look past it
        t = substr(t, o)
        if (index(substr(t, 3), "*/") == 0)
            block_in_comment = 1
    }
    if (block_func) {
        t = s
        sub(/\/\*.*/, "", t)
        block_parens += gsub(/\(/, "(", t) - gsub(/\)/, ")", t)
        if (block_parens <= 0 && index(t, ";") > 0)
            block_done = 1
    }
}

function block_end(    name, t, n, a, i, m) {
    if (!in_block)
        return
    in_block = 0
    block_in_comment = 0
    if (block_hidden) {
        if (block_doc != "")
            new_item("prose", block_doc, "", "")
        return
    }
    if (block_func) {
        t = block_code
        gsub(/\n/, " ", t)
        sub(/\(.*/, "", t)
        match(t, /[A-Za-z_][A-Za-z0-9_]*$/)
        name = substr(t, RSTART, RLENGTH)
        new_item("func", block_doc, block_code, name)
        return
    }
    new_item("decl", block_doc, block_code, "")
    # The type names it declares: "typedef struct x x;" and "} x;".
    n = split(block_code, a, "\n")
    for (i = 1; i <= n; i++) {
        t = a[i]
        sub(/[ \t]*\/\*.*/, "", t)
        if (t ~ /^typedef[ \t].*[A-Za-z0-9_];$/ || t ~ /^}[ \t]*[A-Za-z_][A-Za-z0-9_]*;$/) {
            sub(/;$/, "", t)
            match(t, /[A-Za-z_][A-Za-z0-9_]*$/)
            m = substr(t, RSTART, RLENGTH)
            if (!(m in type_part)) {
                type_part[m] = cur
                ntypes++
                type_list[ntypes] = m
            }
        }
    }
}

# A multi-line #define. The one-list error table, XX(NAME, value, "text")
# per line, becomes a list of the codes; other such macros are internal.
function macro_add(s) {
    nmacro++
    macro_lines[nmacro] = s
}

function macro_done(    i, s, code, text, rows) {
    rows = ""
    for (i = 1; i <= nmacro; i++) {
        s = macro_lines[i]
        if (s !~ /^[ \t]*XX\([A-Z][A-Z0-9_]*,.*"\)/)
            continue
        code = s
        sub(/^[ \t]*XX\(/, "", code)
        sub(/,.*/, "", code)
        text = s
        sub(/"\)[ \t\\]*$/, "", text)
        sub(/.*"/, "", text)
        rows = rows (rows == "" ? "" : "\n") code "\t" text
    }
    if (rows != "") {
        new_item("codes", have_pending ? pending : "", rows, macro_name)
        have_pending = 0
        pending = ""
    }
}

# ---------------------------------------------------------------------------
# Writing roff
# ---------------------------------------------------------------------------

# Bytes above 127 as groff escapes of the UTF-8 characters they encode.
function utf8(s,    out, i, n, c, b, cp, k) {
    if (s !~ /[\200-\377]/)
        return s
    out = ""
    n = length(s)
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        b = ord[c]
        if (b < 128) {
            out = out c
            continue
        }
        if (b >= 240) { cp = b - 240; k = 3 }
        else if (b >= 224) { cp = b - 224; k = 2 }
        else if (b >= 192) { cp = b - 192; k = 1 }
        else { out = out "?"; continue }
        while (k > 0 && i < n) {
            i++
            cp = cp * 64 + (ord[substr(s, i, 1)] - 128)
            k--
        }
        out = out sprintf("\\[u%04X]", cp)
    }
    return out
}

# Text safe for roff: backslashes, minus signs, leading control characters.
function esc(s, code) {
    gsub(/\\/, "\\\\e", s)
    if (code)
        gsub(/-/, "\\\\-", s)
    else {
        # a minus sign, not a hyphen: "-errno", "-4000", "-lmmf"
        gsub(/^-/, "\\\\-", s)
        while (match(s, /[ (\/]-[0-9A-Za-z]/))
            s = substr(s, 1, RSTART) "\\-" substr(s, RSTART + 2)
    }
    s = utf8(s)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}

# Inline markup of running text (already escaped): function names bold,
# `code` and *emphasis* italic.
function markup(s,    out, w) {
    out = ""
    while (match(s, /mmf_[a-z0-9_]+\(\)/)) {
        w = substr(s, RSTART, RLENGTH - 2)
        out = out substr(s, 1, RSTART - 1) "\\fB" w "\\fP()"
        s = substr(s, RSTART + RLENGTH)
    }
    s = out s
    out = ""
    while (match(s, /`[^`]+`/)) {
        out = out substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fP"
        s = substr(s, RSTART + RLENGTH)
    }
    s = out s
    out = ""
    while (match(s, /\*[A-Za-z][A-Za-z]*\*/)) {
        if (RSTART > 1 && substr(s, RSTART - 1, 1) ~ /[A-Za-z0-9*]/) {
            out = out substr(s, 1, RSTART)
            s = substr(s, RSTART + 1)
            continue
        }
        out = out substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fP"
        s = substr(s, RSTART + RLENGTH)
    }
    return out s
}

function is_heading(s) {
    return s ~ /^[A-Z][A-Z0-9 ,()\/-]*[A-Z)]$/ && length(s) >= 4
}

# Comment text as roff: flush-left lines are filled text, blank lines
# separate paragraphs, indented lines (lists, tables, examples) are kept
# as they are, and a line in capitals alone is a subheading.
function render(t, f,    n, a, i, s, verb, need_pp, j, ind, min, started) {
    if (t == "")
        return
    n = split(t, a, "\n")
    verb = 0
    need_pp = 1
    started = 0
    for (i = 1; i <= n; i++) {
        s = a[i]
        if (s == "") {
            if (verb) {
                print ".fi" > f
                print ".RE" > f
                verb = 0
            }
            need_pp = 1
            continue
        }
        if (s ~ /^  / || (verb && s ~ /^ /)) {
            if (!verb) {
                # the block's common indent goes
                min = 1000
                for (j = i; j <= n && a[j] != "" && a[j] ~ /^ /; j++) {
                    match(a[j], /^ */)
                    if (RLENGTH < min)
                        min = RLENGTH
                }
                print ".PP" > f
                print ".RS 2" > f
                print ".nf" > f
                verb = 1
                ind = min
            }
            print esc(substr(s, ind + 1), 1) > f
            started = 1
            continue
        }
        if (verb) {
            print ".fi" > f
            print ".RE" > f
            verb = 0
            need_pp = 1
        }
        if (is_heading(s) && (i == 1 || a[i - 1] == "") && (i == n || a[i + 1] == "")) {
            print ".SS " s > f
            need_pp = 0
            started = 1
            continue
        }
        if (need_pp) {
            print ".PP" > f
            need_pp = 0
        }
        print markup(esc(s, 0)) > f
        started = 1
    }
    if (verb) {
        print ".fi" > f
        print ".RE" > f
    }
}

function render_code(t, f,    n, a, i) {
    n = split(t, a, "\n")
    print ".PP" > f
    print ".RS 2" > f
    print ".nf" > f
    for (i = 1; i <= n; i++)
        print esc(a[i], 1) > f
    print ".fi" > f
    print ".RE" > f
}

# A prototype without the export macro, its continuation lines moved left
# as far, the function name in bold.
function prototype(code, name,    n, a, i, s, cut, out, k) {
    n = split(code, a, "\n")
    out = ""
    cut = 0
    for (i = 1; i <= n; i++) {
        s = a[i]
        if (i == 1 && match(s, /^MMF_API[ \t]+/)) {
            cut = RLENGTH
            s = substr(s, RLENGTH + 1)
        } else if (cut > 0 && match(s, /^ +/)) {
            s = substr(s, (RLENGTH < cut ? RLENGTH : cut) + 1)
        }
        s = esc(s, 1)
        if (i == 1 && (k = index(s, name "(")) > 0)
            s = substr(s, 1, k - 1) "\\fB" name "\\fP" substr(s, k + length(name))
        out = out (i > 1 ? "\n" : "") s
    }
    return out
}

function slug(t,    s) {
    s = tolower(t)
    gsub(/[^a-z0-9]+/, "_", s)
    sub(/^_+/, "", s)
    sub(/_+$/, "", s)
    return "mmf_" s
}

# What a NAME line says of a part: its title, lowercased unless it starts
# with an acronym ("SPSC ring").
function tagline(t) {
    if (substr(t, 2, 1) ~ /[a-z]/)
        return tolower(substr(t, 1, 1)) substr(t, 2)
    return t
}

function th(f, name) {
    printf ".TH %s 3 \"\" \"mmf %s\" \"mmf Library Functions\"\n", toupper(name), version > f
    # Identifiers are long: no hyphenation, no stretched spaces.
    print ".nh" > f
    print ".ad l" > f
}

function link(name, page,    f) {
    if (name in taken)
        return
    taken[name] = 1
    f = out "/" name ".3"
    print ".so man3/" page ".3" > f
    close(f)
}

# Sort the words of s (separated by spaces), dropping repeats.
function sort_words(s,    n, a, i, j, t, r) {
    n = split(s, a, " ")
    for (i = 2; i <= n; i++) {
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--)
            a[j + 1] = a[j]
        a[j + 1] = t
    }
    r = ""
    for (i = 1; i <= n; i++) {
        if (a[i] != "" && (i == 1 || a[i] != a[i - 1]))
            r = r (r == "" ? "" : " ") a[i]
    }
    return r
}

function write_pages(    p, i, n, a, k, pre, ok, j, t, f, sa, w, m, fam, ref) {
    # Functions and children of each part.
    for (i = 1; i <= ni; i++) {
        if (ikind[i] == "func") {
            p = ipart[i]
            pfuncs[p] = pfuncs[p] (pfuncs[p] == "" ? "" : " ") iname[i]
        }
        pitems[ipart[i]]++
    }
    for (p = 1; p <= np; p++) {
        if (pparent[p] > 0)
            pchildren[pparent[p]] = pchildren[pparent[p]] " " p
    }
    # Page names.
    taken["mmf"] = 1
    for (p = 1; p <= np; p++) {
        if (pfuncs[p] == "" && pchildren[p] == "" && pitems[p] == 0)
            continue
        pre = ""
        if (pfuncs[p] != "") {
            n = split(pfuncs[p], a, " ")
            k = split(a[1], w, "_")
            for (j = k; j >= 2 && pre == ""; j--) {
                t = w[1]
                for (m = 2; m <= j; m++)
                    t = t "_" w[m]
                ok = 1
                for (i = 2; i <= n && ok; i++)
                    ok = a[i] == t || index(a[i], t "_") == 1
                if (ok)
                    pre = t
            }
        }
        if (pre == "" || (pre in taken))
            pre = slug(ptitle[p])
        while (pre in taken)
            pre = pre "_"
        taken[pre] = 1
        page[p] = pre
        npages++
        page_list[npages] = p
    }
    for (p = 1; p <= np; p++) {
        if (!(p in page))
            continue
        n = split(pfuncs[p], a, " ")
        for (i = 1; i <= n; i++)
            func_page[a[i]] = page[p]
    }

    for (k = 1; k <= npages; k++) {
        p = page_list[k]
        f = out "/" page[p] ".3"
        th(f, page[p])
        print ".SH NAME" > f
        if (pfuncs[p] != "") {
            t = pfuncs[p]
            gsub(/ /, ", ", t)
        } else {
            t = page[p]
        }
        print esc(t, 1) " \\- " esc(tagline(ptitle[p]), 0) > f
        print ".SH SYNOPSIS" > f
        print ".nf" > f
        print ".B #include <mmf.h>" > f
        for (i = 1; i <= ni; i++) {
            if (ipart[i] == p && ikind[i] == "func") {
                print ".PP" > f
                print prototype(icode[i], iname[i]) > f
            }
        }
        print ".fi" > f
        print ".PP" > f
        print "Link with \\fI\\-lmmf\\fP." > f
        print ".SH DESCRIPTION" > f
        sa = ""
        if (pparent[p] > 0 && (pparent[p] in page))
            sa = sa " " page[pparent[p]]
        n = split(pchildren[p], a, " ")
        for (i = 1; i <= n; i++) {
            if (a[i] in page)
                sa = sa " " page[a[i]]
        }
        if (pitems[p] == 0)
            print ".PP" > f
        for (i = 1; i <= ni; i++) {
            if (ipart[i] != p)
                continue
            t = idoc[i] " " icode[i]
            while (match(t, /mmf_[a-z0-9_]+\(\)/)) {
                ref = substr(t, RSTART, RLENGTH - 2)
                if ((ref in func_page) && func_page[ref] != page[p])
                    sa = sa " " func_page[ref]
                t = substr(t, RSTART + RLENGTH)
            }
            if (ikind[i] == "func") {
                print ".SS " iname[i] "()" > f
                if (idoc[i] == "")
                    render_code(prototype(icode[i], iname[i]), f)
                render(idoc[i], f)
            } else if (ikind[i] == "decl") {
                render(idoc[i], f)
                render_code(icode[i], f)
            } else if (ikind[i] == "codes") {
                render(idoc[i], f)
                m = split(icode[i], w, "\n")
                ref = 0
                for (j = 1; j <= m; j++) {
                    split(w[j], fam, "\t")
                    if (length(fam[1]) > ref)
                        ref = length(fam[1])
                }
                for (j = 1; j <= m; j++) {
                    split(w[j], fam, "\t")
                    print ".TP " (ref + 6) "n" > f
                    print ".B MMF_" fam[1] > f
                    print markup(esc(fam[2], 0)) > f
                }
            } else {
                render(idoc[i], f)
            }
        }
        if (pchildren[p] != "") {
            print ".PP" > f
            print "The functions of each kind are described in" > f
            n = split(pchildren[p], a, " ")
            for (i = 1; i <= n; i++)
                printf ".BR %s (3)%s\n", page[a[i]], i < n - 1 ? "," : i == n - 1 ? " and" : "." > f
        }
        print ".SH SEE ALSO" > f
        print ".BR mmf (3)" (sa == "" ? "" : ",") > f
        sa = sort_words(sa)
        n = split(sa, a, " ")
        for (i = 1; i <= n; i++)
            printf ".BR %s (3)%s\n", a[i], i < n ? "," : "" > f
        close(f)
        # A page for every function and type in it.
        m = split(pfuncs[p], a, " ")
        for (i = 1; i <= m; i++)
            link(a[i], page[p])
    }
    for (i = 1; i <= ntypes; i++) {
        p = type_part[type_list[i]]
        if (p in page)
            link(type_list[i], page[p])
    }
    write_overview()
}

function write_overview(    f, t, n, a, i, k, p, name, desc, s) {
    f = out "/mmf.3"
    th(f, "mmf")
    # "mmf.h - what it is" opens the comment.
    t = overview
    desc = "shared memory with Windows section-object semantics"
    if (match(t, /^[^ \n]+ - [^\n]*/)) {
        desc = substr(t, 1, RLENGTH)
        sub(/^[^ ]+ - /, "", desc)
        sub(/\.$/, "", desc)
        t = substr(t, RLENGTH + 1)
        sub(/^\n+/, "", t)
    }
    print ".SH NAME" > f
    print "mmf \\- " esc(desc, 0) > f
    print ".SH SYNOPSIS" > f
    print ".nf" > f
    print ".B #include <mmf.h>" > f
    print ".PP" > f
    print ".B cc prog.c \\-lmmf" > f
    print ".B cc prog.c $(pkg\\-config \\-\\-cflags \\-\\-libs mmf)" > f
    print ".fi" > f
    print ".SH DESCRIPTION" > f
    render(t, f)
    # Constants declared before the first part.
    s = 0
    for (i = 1; i <= ni; i++) {
        if (ipart[i] != 0 || ikind[i] != "decl")
            continue
        if (!s) {
            print ".SH CONSTANTS" > f
            s = 1
        }
        render(idoc[i], f)
        render_code(icode[i], f)
    }
    print ".SH FUNCTIONS" > f
    print "The functions are described by kind, one page each:" > f
    for (k = 1; k <= npages; k++) {
        p = page_list[k]
        print ".TP" > f
        print ".BR " page[p] " (3)" > f
        t = pfuncs[p]
        if (t == "") {
            print esc(ptitle[p], 0) "." > f
            continue
        }
        print esc(ptitle[p], 0) ":" > f
        n = split(t, a, " ")
        for (i = 1; i <= n; i++)
            print "\\fB" esc(a[i], 1) "\\fP()" (i < n ? "," : ".") > f
    }
    print ".SH SEE ALSO" > f
    print ".BR mmf (1)," > f
    for (k = 1; k <= npages; k++)
        printf ".BR %s (3)%s\n", page[page_list[k]], k < npages ? "," : "" > f
    close(f)
}
