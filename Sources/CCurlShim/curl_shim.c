#include "curl_shim.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb_smtp {
    CURL *curl;
    char error[CURL_ERROR_SIZE];
    char reply[512];  // the server's last 4xx or 5xx reply line
};

typedef struct {
    const char *bytes;
    size_t length;
    size_t offset;
} upload;

static pthread_once_t initialised = PTHREAD_ONCE_INIT;
static void initialise(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t read_upload(char *buffer, size_t size, size_t count, void *data) {
    upload *source = data;
    size_t room = size * count;
    size_t left = source->length - source->offset;
    size_t chunk = left < room ? left : room;
    memcpy(buffer, source->bytes + source->offset, chunk);
    source->offset += chunk;
    return chunk;
}

// The debug callback sees the server's replies (CURLINFO_HEADER_IN), a line at a time; the
// last refusal is kept, to report it in the server's words.
static int keep_reply(CURL *curl, curl_infotype type, char *buffer, size_t length, void *data) {
    (void)curl;
    // Only refusals: the QUIT that follows one must not replace it with "221 Bye".
    if (type != CURLINFO_HEADER_IN || length == 0 || (buffer[0] != '4' && buffer[0] != '5')) return 0;
    sb_smtp *smtp = data;
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r')) length--;
    if (length >= sizeof smtp->reply) length = sizeof smtp->reply - 1;
    memcpy(smtp->reply, buffer, length);
    smtp->reply[length] = 0;
    return 0;
}

sb_smtp *sb_smtp_new(void) {
    pthread_once(&initialised, initialise);
    sb_smtp *smtp = calloc(1, sizeof(sb_smtp));
    if (!smtp) return NULL;
    smtp->curl = curl_easy_init();
    if (!smtp->curl) {
        free(smtp);
        return NULL;
    }
    return smtp;
}

void sb_smtp_free(sb_smtp *smtp) {
    if (!smtp) return;
    curl_easy_cleanup(smtp->curl);
    free(smtp);
}

int sb_smtp_send(sb_smtp *smtp, const sb_smtp_server *server, const char *mail_from,
                 const char *const *recipients, int recipient_count,
                 const char *bytes, size_t length, sb_smtp_result *result) {
    memset(result, 0, sizeof(*result));
    CURL *curl = smtp->curl;
    // Options persist on the handle between transfers; reset them but keep the connection cache.
    curl_easy_reset(curl);

    char url[600];
    snprintf(url, sizeof url, "%s://%s:%d/%s", server->tls == SB_SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
             server->host, server->port, server->helo_domain ? server->helo_domain : "localhost");
    struct curl_slist *rcpt = NULL;
    for (int i = 0; i < recipient_count; i++) rcpt = curl_slist_append(rcpt, recipients[i]);
    upload source = {bytes, length, 0};

    smtp->error[0] = 0;
    smtp->reply[0] = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, keep_reply);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, smtp);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, smtp->error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &source);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, server->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, server->timeout_ms);
    if (server->tls == SB_SMTP_TLS_STARTTLS) curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (server->tls != SB_SMTP_TLS_NONE && !server->verify_peer) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (server->username) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, server->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, server->password ? server->password : "");
    }

    CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(rcpt);
    result->curl_code = (int)code;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result->response_code);
    if (code == CURLE_OK) return 0;
    const char *what = smtp->error[0] ? smtp->error : curl_easy_strerror(code);
    if (result->response_code >= 400 && smtp->reply[0])
        snprintf(result->message, sizeof result->message, "%s (the server said: %s)", what, smtp->reply);
    else
        snprintf(result->message, sizeof result->message, "%s", what);
    return -1;
}
