#ifndef SWITCHBOARD_GMIME_SHIM_H
#define SWITCHBOARD_GMIME_SHIM_H

// A small C face for GMime 3 (Debian's libgmime-3.0-dev): parse one RFC 5322 message and read
// what ingest needs. GObject's casting macros do not import into Swift, so the walking happens
// here and Swift sees plain strings and numbers. Every string is UTF-8 and owned by the message.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_mime_message sb_mime_message;

typedef enum {
    SB_MIME_TEXT_PLAIN = 0,
    SB_MIME_TEXT_HTML = 1,
    SB_MIME_ATTACHMENT = 2,
} sb_mime_part_kind;

/// Parses `length` bytes. Returns NULL when they are not a message at all.
sb_mime_message *sb_mime_parse(const char *bytes, size_t length);
void sb_mime_free(sb_mime_message *message);

/// A header's value with RFC 2047 encoded words decoded, or NULL when absent.
const char *sb_mime_header(sb_mime_message *message, const char *name);
/// The Subject, decoded, or NULL.
const char *sb_mime_subject(sb_mime_message *message);
/// The first From mailbox's address and display name, or NULL.
const char *sb_mime_from_address(sb_mime_message *message);
const char *sb_mime_from_name(sb_mime_message *message);
/// Message-ID and In-Reply-To without angle brackets, or NULL.
const char *sb_mime_message_id(sb_mime_message *message);
const char *sb_mime_in_reply_to(sb_mime_message *message);
/// References as message ids without brackets, separated by single spaces, or NULL.
const char *sb_mime_references(sb_mime_message *message);
/// The addresses the message was sent to — To, Cc, Delivered-To, X-Original-To — bare and
/// separated by single spaces, or NULL.
const char *sb_mime_recipients(sb_mime_message *message);

/// Leaf parts in document order.
int sb_mime_part_count(sb_mime_message *message);
sb_mime_part_kind sb_mime_part_kind_at(sb_mime_message *message, int index);
/// "type/subtype" in lower case.
const char *sb_mime_part_content_type(sb_mime_message *message, int index);
/// Text parts: the content converted to UTF-8 from the part's charset. Delivery-status and
/// feedback reports: their content as it stands. Other attachments: NULL.
const char *sb_mime_part_text(sb_mime_message *message, int index);
/// Attachments: the file name (decoded), or NULL.
const char *sb_mime_part_filename(sb_mime_message *message, int index);
/// The decoded size in bytes (after base64 or quoted-printable).
size_t sb_mime_part_size(sb_mime_message *message, int index);

/// A message to compose. Strings are UTF-8; NULL where optional.
typedef struct {
    const char *from_name;         // optional display name
    const char *from_address;
    const char *to_name;           // optional
    const char *to_address;
    const char *reply_to;          // optional address
    const char *subject;           // optional
    const char *message_id;        // without angle brackets
    const char *in_reply_to;       // optional, without brackets
    const char *references;        // optional: ids without brackets, separated by spaces
    long long date;                // Unix seconds
    const char *text;              // the text/plain body
    const char *html;              // optional: with it, multipart/alternative of text and HTML
    const char *const *header_names;   // further headers (Auto-Submitted, List-Unsubscribe…)
    const char *const *header_values;
    int header_count;
} sb_mime_outgoing;

/// Composes `outgoing` as RFC 5322 bytes with CRLF line ends: names and subject RFC 2047-encoded
/// where they are not ASCII, bodies UTF-8 in quoted-printable or base64 as GMime judges best.
/// Returns NULL on failure; free the bytes with sb_mime_free_bytes.
char *sb_mime_compose(const sb_mime_outgoing *outgoing, size_t *length);
void sb_mime_free_bytes(char *bytes);

#ifdef __cplusplus
}
#endif

#endif
