#ifndef SWITCHBOARD_HTML_TEXT_H
#define SWITCHBOARD_HTML_TEXT_H

// Readable text from HTML with libxml2's forgiving parser. libxml2's headers stay inside the C
// file: they pull in the system ICU, which clashes with Foundation's copy in Swift.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Returns newly allocated UTF-8 text (free it with sb_html_text_free), or NULL when nothing parses.
char *sb_html_to_text(const char *html, size_t length);
void sb_html_text_free(char *text);

#ifdef __cplusplus
}
#endif

#endif
