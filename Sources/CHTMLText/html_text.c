#include "html_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char *data;
    size_t length, capacity;
    int pending_space;
    int pending_newlines;
    // Nesting of <blockquote>: their lines are written "> …", as mail clients quote in text, so
    // the quoted earlier messages of an HTML reply can be cut like those of a plain one.
    int quote_depth;
    // The shallowest quote depth while the pending newlines were asked for: blank lines between
    // blocks belong to the outer of the two.
    int separator_depth;
} writer;

static void append(writer *w, const char *bytes, size_t count) {
    if (w->length + count + 1 > w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 256;
        while (capacity < w->length + count + 1) capacity *= 2;
        w->data = realloc(w->data, capacity);
        w->capacity = capacity;
    }
    memcpy(w->data + w->length, bytes, count);
    w->length += count;
    w->data[w->length] = '\0';
}

static void quote_marks(writer *w, int depth, int with_space) {
    for (int i = 0; i < depth; i++) append(w, ">", 1);
    if (with_space && depth > 0) append(w, " ", 1);
}

static void flush_separators(writer *w) {
    if (w->pending_newlines > 0 && w->length > 0) {
        for (int i = 0; i < w->pending_newlines; i++) {
            append(w, "\n", 1);
            if (i + 1 < w->pending_newlines) quote_marks(w, w->separator_depth, 0);
        }
        quote_marks(w, w->quote_depth, 1);
    } else if (w->quote_depth > 0 && (w->length == 0 || w->data[w->length - 1] == '\n')) {
        quote_marks(w, w->quote_depth, 1);
    } else if (w->pending_space && w->length > 0 && w->data[w->length - 1] != ' ' && w->data[w->length - 1] != '\n') {
        append(w, " ", 1);
    }
    w->pending_newlines = 0;
    w->pending_space = 0;
}

static void text(writer *w, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        // ASCII whitespace and NBSP (C2 A0) collapse like a browser shows them.
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') { w->pending_space = 1; continue; }
        if (p[0] == 0xC2 && p[1] == 0xA0) { w->pending_space = 1; p++; continue; }
        flush_separators(w);
        append(w, (const char *)p, 1);
    }
}

static void newline(writer *w, int count) {
    if (w->length == 0) return;
    if (w->pending_newlines == 0 || w->quote_depth < w->separator_depth) w->separator_depth = w->quote_depth;
    if (count > w->pending_newlines) w->pending_newlines = count;
    w->pending_space = 0;
}

static int is_one_of(const char *name, const char *const *names) {
    for (; *names; names++) if (strcasecmp(name, *names) == 0) return 1;
    return 0;
}

static const char *const skipped[] = {"script", "style", "head", "title", "noscript", "template", NULL};
static const char *const paragraphs[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", NULL};
static const char *const lines[] = {"div", "section", "article", "header", "footer", "tr", "li", "pre", "address", "dl", "dt", "dd", NULL};

static void walk(writer *w, xmlNodePtr node) {
    for (; node; node = node->next) {
        if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
            if (node->content) text(w, (const char *)node->content);
            continue;
        }
        if (node->type != XML_ELEMENT_NODE || !node->name) continue;
        const char *name = (const char *)node->name;
        if (is_one_of(name, skipped)) continue;
        if (strcasecmp(name, "br") == 0) { newline(w, 1); continue; }
        // A rule as text mail writes it; Outlook puts one above the message it quotes, which is
        // how the quoted part of its HTML replies is recognised.
        if (strcasecmp(name, "hr") == 0) {
            newline(w, 1);
            flush_separators(w);
            append(w, "________________________________", 32);
            newline(w, 1);
            continue;
        }
        int gap = is_one_of(name, paragraphs) ? 2 : is_one_of(name, lines) ? 1 : 0;
        if (gap) newline(w, gap);
        if (strcasecmp(name, "li") == 0) { flush_separators(w); append(w, "- ", 2); }
        if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0) w->pending_space = 1;
        size_t before = w->length;
        int quote = strcasecmp(name, "blockquote") == 0;
        w->quote_depth += quote;
        walk(w, node->children);
        w->quote_depth -= quote;
        if (strcasecmp(name, "a") == 0) {
            xmlChar *href = xmlGetProp(node, (const xmlChar *)"href");
            // Keep a link's address unless the text already shows it.
            if (href && strncasecmp((const char *)href, "http", 4) == 0) {
                size_t shown = w->length - before;
                size_t href_length = strlen((const char *)href);
                if (shown < href_length || memcmp(w->data + w->length - href_length, href, href_length) != 0) {
                    flush_separators(w);
                    append(w, " <", 2);
                    append(w, (const char *)href, href_length);
                    append(w, ">", 1);
                }
            }
            if (href) xmlFree(href);
        }
        if (gap) newline(w, gap);
    }
}

char *sb_html_to_text(const char *html, size_t length) {
    if (length > 0x7fffffff) return NULL;
    htmlDocPtr document = htmlReadMemory(html, (int)length, NULL, "UTF-8",
                                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!document) return NULL;
    writer w = {0};
    walk(&w, xmlDocGetRootElement(document));
    xmlFreeDoc(document);
    if (!w.data) return calloc(1, 1);
    return w.data;
}

void sb_html_text_free(char *text) { free(text); }
