#include "gmime_shim.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <string.h>

typedef struct {
    sb_mime_part_kind kind;
    char *content_type;
    char *text;
    const char *filename;  // owned by the part, which the message keeps alive
    size_t size;
} sb_part;

struct sb_mime_message {
    GMimeMessage *message;
    GPtrArray *strings;  // allocated strings handed out, freed with the message
    sb_part *parts;
    int part_count;
    int part_capacity;
    char *from_address;
    char *from_name;
    char *references;
};

static pthread_once_t initialised = PTHREAD_ONCE_INIT;
static void initialise(void) { g_mime_init(); }

static char *keep(sb_mime_message *message, char *string) {
    if (string) g_ptr_array_add(message->strings, string);
    return string;
}

static void add_part(sb_mime_message *message, sb_part part) {
    if (message->part_count == message->part_capacity) {
        message->part_capacity = message->part_capacity ? message->part_capacity * 2 : 8;
        message->parts = g_realloc_n(message->parts, (gsize)message->part_capacity, sizeof(sb_part));
    }
    message->parts[message->part_count++] = part;
}

static size_t decoded_size(GMimePart *part) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (!content) return 0;
    GMimeStream *sink = g_mime_stream_null_new();
    g_mime_data_wrapper_write_to_stream(content, sink);  // decodes base64 / quoted-printable
    size_t written = GMIME_STREAM_NULL(sink)->written;
    g_object_unref(sink);
    return written;
}

static char *report_text(GMimePart *part) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (!content) return NULL;
    GMimeStream *memory = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(content, memory);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(memory));
    char *text = g_strndup((const char *)bytes->data, bytes->len > 65536 ? 65536 : bytes->len);
    g_object_unref(memory);
    return text;
}

static void visit(GMimeObject *parent, GMimeObject *object, gpointer data) {
    (void)parent;
    sb_mime_message *message = data;
    GMimeContentType *type = g_mime_object_get_content_type(object);
    char *mime_type = type ? g_mime_content_type_get_mime_type(type) : g_strdup("application/octet-stream");
    char *lowered = g_ascii_strdown(mime_type, -1);
    g_free(mime_type);
    if (GMIME_IS_MESSAGE_PART(object)) {
        // An attached message (a forwarded mail, a bounce's original): metadata only.
        sb_part part = { SB_MIME_ATTACHMENT, lowered, NULL, NULL, 0 };
        add_part(message, part);
        return;
    }
    if (!GMIME_IS_PART(object)) { g_free(lowered); return; }  // multiparts: their children come next
    GMimePart *leaf = (GMimePart *)object;
    gboolean attachment = g_mime_part_is_attachment(leaf);
    if (GMIME_IS_TEXT_PART(object) && !attachment &&
        (g_mime_content_type_is_type(type, "text", "plain") || g_mime_content_type_is_type(type, "text", "html"))) {
        sb_part part = { g_mime_content_type_is_type(type, "text", "html") ? SB_MIME_TEXT_HTML : SB_MIME_TEXT_PLAIN,
                         lowered, g_mime_text_part_get_text((GMimeTextPart *)object), NULL, 0 };
        part.size = part.text ? strlen(part.text) : 0;
        add_part(message, part);
        return;
    }
    sb_part part = { SB_MIME_ATTACHMENT, lowered, NULL, g_mime_part_get_filename(leaf), decoded_size(leaf) };
    if (!strcmp(lowered, "message/delivery-status") || !strcmp(lowered, "message/feedback-report")) {
        // A bounce's or a complaint's machine-readable report: its fields say who and why.
        part.text = report_text(leaf);
    }
    add_part(message, part);
}

sb_mime_message *sb_mime_parse(const char *bytes, size_t length) {
    pthread_once(&initialised, initialise);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes, length);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *parsed = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!parsed) return NULL;
    sb_mime_message *message = g_new0(sb_mime_message, 1);
    message->message = parsed;
    message->strings = g_ptr_array_new_with_free_func(g_free);

    InternetAddressList *from = g_mime_message_get_from(parsed);
    if (from && internet_address_list_length(from) > 0) {
        InternetAddress *address = internet_address_list_get_address(from, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
            const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
            if (addr && *addr) message->from_address = keep(message, g_strdup(addr));
        }
        const char *name = internet_address_get_name(address);
        if (name && *name) message->from_name = keep(message, g_strdup(name));
    }
    const char *raw_references = g_mime_object_get_header((GMimeObject *)parsed, "References");
    if (raw_references) {
        GMimeReferences *references = g_mime_references_parse(NULL, raw_references);
        if (references) {
            GString *joined = g_string_new(NULL);
            for (int i = 0; i < g_mime_references_length(references); i++) {
                if (joined->len) g_string_append_c(joined, ' ');
                g_string_append(joined, g_mime_references_get_message_id(references, i));
            }
            g_mime_references_free(references);
            message->references = keep(message, g_string_free(joined, FALSE));
        }
    }
    g_mime_message_foreach(parsed, visit, message);
    return message;
}

void sb_mime_free(sb_mime_message *message) {
    if (!message) return;
    for (int i = 0; i < message->part_count; i++) {
        g_free(message->parts[i].content_type);
        g_free(message->parts[i].text);
    }
    g_free(message->parts);
    g_ptr_array_free(message->strings, TRUE);
    g_object_unref(message->message);
    g_free(message);
}

const char *sb_mime_header(sb_mime_message *message, const char *name) {
    const char *raw = g_mime_object_get_header((GMimeObject *)message->message, name);
    return raw ? keep(message, g_mime_utils_header_decode_text(NULL, raw)) : NULL;
}

const char *sb_mime_subject(sb_mime_message *message) { return g_mime_message_get_subject(message->message); }
const char *sb_mime_from_address(sb_mime_message *message) { return message->from_address; }
const char *sb_mime_from_name(sb_mime_message *message) { return message->from_name; }
const char *sb_mime_message_id(sb_mime_message *message) { return g_mime_message_get_message_id(message->message); }

const char *sb_mime_in_reply_to(sb_mime_message *message) {
    const char *raw = g_mime_object_get_header((GMimeObject *)message->message, "In-Reply-To");
    return raw ? keep(message, g_mime_utils_decode_message_id(raw)) : NULL;
}

const char *sb_mime_references(sb_mime_message *message) { return message->references; }

static void append_mailboxes(GString *joined, InternetAddressList *list) {
    if (!list) return;
    for (int i = 0; i < internet_address_list_length(list); i++) {
        InternetAddress *address = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(address)) {
            append_mailboxes(joined, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)));
        } else if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
            const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
            if (addr && *addr && !strchr(addr, ' ')) {
                if (joined->len) g_string_append_c(joined, ' ');
                g_string_append(joined, addr);
            }
        }
    }
}

const char *sb_mime_recipients(sb_mime_message *message) {
    GString *joined = g_string_new(NULL);
    append_mailboxes(joined, g_mime_message_get_to(message->message));
    append_mailboxes(joined, g_mime_message_get_cc(message->message));
    for (const char **name = (const char *[]){"Delivered-To", "X-Original-To", NULL}; *name; name++) {
        const char *raw = g_mime_object_get_header((GMimeObject *)message->message, *name);
        if (!raw) continue;
        InternetAddressList *list = internet_address_list_parse(NULL, raw);
        append_mailboxes(joined, list);
        if (list) g_object_unref(list);
    }
    if (!joined->len) {
        g_string_free(joined, TRUE);
        return NULL;
    }
    return keep(message, g_string_free(joined, FALSE));
}

int sb_mime_part_count(sb_mime_message *message) { return message->part_count; }
sb_mime_part_kind sb_mime_part_kind_at(sb_mime_message *message, int index) { return message->parts[index].kind; }
const char *sb_mime_part_content_type(sb_mime_message *message, int index) { return message->parts[index].content_type; }
const char *sb_mime_part_text(sb_mime_message *message, int index) { return message->parts[index].text; }
const char *sb_mime_part_filename(sb_mime_message *message, int index) { return message->parts[index].filename; }
size_t sb_mime_part_size(sb_mime_message *message, int index) { return message->parts[index].size; }
