#include "gmime_shim.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t initialised = PTHREAD_ONCE_INIT;
static void initialise(void) { g_mime_init(); }

// The content as UTF-8, as given. (g_mime_text_part_set_text would scan it for the narrowest
// charset first, and recode Latin-1 text: 5 % of the notify worker's time in `perf record`.)
static GMimeObject *text_part(const char *subtype, const char *content) {
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_charset(part, "utf-8");
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(content, strlen(content));
    GMimeDataWrapper *wrapper = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(GMIME_PART(part), wrapper);
    g_object_unref(wrapper);
    g_object_unref(stream);
    return GMIME_OBJECT(part);
}

static char *bracketed_list(const char *ids) {
    GString *list = g_string_new(NULL);
    gchar **parts = g_strsplit(ids, " ", -1);
    for (gchar **id = parts; *id; id++) {
        if (!**id) continue;
        if (list->len) g_string_append_c(list, ' ');
        g_string_append_printf(list, "<%s>", *id);
    }
    g_strfreev(parts);
    return g_string_free(list, FALSE);
}

static int is_printable_ascii(const char *value) {
    for (const unsigned char *c = (const unsigned char *)value; *c; c++)
        if (*c < 0x20 || *c > 0x7e) return 0;
    return 1;
}

char *sb_mime_compose(const sb_mime_outgoing *outgoing, size_t *length) {
    pthread_once(&initialised, initialise);
    GMimeMessage *message = g_mime_message_new(TRUE);
    GMimeObject *object = GMIME_OBJECT(message);

    g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, outgoing->from_name, outgoing->from_address);
    g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, outgoing->to_name, outgoing->to_address);
    if (outgoing->reply_to) g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, outgoing->reply_to);
    if (outgoing->subject) g_mime_message_set_subject(message, outgoing->subject, "utf-8");
    GDateTime *date = g_date_time_new_from_unix_utc(outgoing->date);
    g_mime_message_set_date(message, date);
    g_date_time_unref(date);
    g_mime_message_set_message_id(message, outgoing->message_id);
    if (outgoing->in_reply_to) {
        char *value = bracketed_list(outgoing->in_reply_to);
        g_mime_object_set_header(object, "In-Reply-To", value, NULL);
        g_free(value);
    }
    if (outgoing->references) {
        char *value = bracketed_list(outgoing->references);
        if (*value) g_mime_object_set_header(object, "References", value, NULL);
        g_free(value);
    }
    for (int i = 0; i < outgoing->header_count; i++) {
        const char *name = outgoing->header_names[i], *value = outgoing->header_values[i];
        g_mime_object_append_header(object, name, value, "utf-8");
        // Printable ASCII on one line (Auto-Submitted, List-Unsubscribe's <https://…>) stays as
        // written: GMime would turn a long token it cannot fold into encoded words, which no mail
        // provider reads as a URI.
        if (is_printable_ascii(value) && strlen(value) < 900) {
            GMimeHeader *header = g_mime_header_list_get_header(g_mime_object_get_header_list(object), name);
            char *raw = g_strdup_printf(" %s\n", value);
            if (header) g_mime_header_set_raw_value(header, raw);
            g_free(raw);
        }
    }

    GMimeObject *body = text_part("plain", outgoing->text ? outgoing->text : "");
    if (outgoing->html) {
        GMimeMultipart *alternative = g_mime_multipart_new_with_subtype("alternative");
        g_mime_multipart_add(alternative, body);
        g_object_unref(body);
        GMimeObject *html = text_part("html", outgoing->html);
        g_mime_multipart_add(alternative, html);
        g_object_unref(html);
        body = GMIME_OBJECT(alternative);
    }
    g_mime_message_set_mime_part(message, body);
    g_object_unref(body);
    // 7-bit safe on the wire: every relay accepts it, whatever it says about 8BITMIME.
    g_mime_object_encode(object, GMIME_ENCODING_CONSTRAINT_7BIT);

    GMimeFormatOptions *options = g_mime_format_options_clone(NULL);
    g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
    GMimeStream *stream = g_mime_stream_mem_new();
    ssize_t written = g_mime_object_write_to_stream(object, options, stream);
    char *bytes = NULL;
    if (written >= 0) {
        GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
        bytes = malloc(array->len + 1);
        if (bytes) {
            memcpy(bytes, array->data, array->len);
            bytes[array->len] = 0;
            *length = array->len;
        }
    }
    g_object_unref(stream);
    g_mime_format_options_free(options);
    g_object_unref(message);
    return bytes;
}

void sb_mime_free_bytes(char *bytes) { free(bytes); }
