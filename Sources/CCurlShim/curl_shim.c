#include "curl_shim.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

// One message on its way: the easy handle and everything it reads while it runs.
typedef struct transfer {
    CURL *curl;
    struct curl_slist *recipients;
    upload source;
    char error[CURL_ERROR_SIZE];
    char reply[512];  // the server's last 4xx or 5xx reply line
    sb_smtp_done done;
    void *context;
    struct transfer *next;
} transfer;

struct sb_smtp_loop {
    CURLM *multi;
    pthread_t thread;
    long max_connections;
    pthread_mutex_t lock;
    transfer *pending;  // submitted, not yet taken by the loop, oldest first (under lock)
    transfer *last;     // the newest of them
    int stopping;       // under lock
};

// The debug callback sees the server's replies (CURLINFO_HEADER_IN), a line at a time; the
// last refusal is kept, to report it in the server's words.
static int keep_reply(CURL *curl, curl_infotype type, char *buffer, size_t length, void *data) {
    (void)curl;
    // Only refusals: the QUIT that follows one must not replace it with "221 Bye".
    if (type != CURLINFO_HEADER_IN || length == 0 || (buffer[0] != '4' && buffer[0] != '5')) return 0;
    transfer *t = data;
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r')) length--;
    if (length >= sizeof t->reply) length = sizeof t->reply - 1;
    memcpy(t->reply, buffer, length);
    t->reply[length] = 0;
    return 0;
}

static void transfer_free(transfer *t) {
    if (!t) return;
    if (t->curl) curl_easy_cleanup(t->curl);
    curl_slist_free_all(t->recipients);
    free((void *)t->source.bytes);
    free(t);
}

// Tells the submitter how the transfer ended, and frees it.
static void finish(transfer *t, CURLcode code) {
    sb_smtp_result result;
    memset(&result, 0, sizeof result);
    result.curl_code = (int)code;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &result.response_code);
    if (code != CURLE_OK) {
        const char *what = t->error[0] ? t->error : curl_easy_strerror(code);
        if (result.response_code >= 400 && t->reply[0])
            snprintf(result.message, sizeof result.message, "%s (the server said: %s)", what, t->reply);
        else
            snprintf(result.message, sizeof result.message, "%s", what);
    }
    t->done(t->context, code == CURLE_OK ? 0 : -1, &result);
    transfer_free(t);
}

// Transfers wait in the loop's own queue, not libcurl's: libcurl counts a queued transfer's
// timeouts from when it was added, so a backlog behind a slow relay would time out unsent.
static void *run(void *data) {
    sb_smtp_loop *loop = data;
    transfer *queue = NULL, *queue_last = NULL;
    long active = 0;
    for (;;) {
        pthread_mutex_lock(&loop->lock);
        if (loop->pending) {
            if (queue_last) queue_last->next = loop->pending;
            else queue = loop->pending;
            queue_last = loop->last;
            loop->pending = loop->last = NULL;
        }
        int stopping = loop->stopping;
        pthread_mutex_unlock(&loop->lock);
        while (queue && active < loop->max_connections) {
            transfer *next = queue;
            queue = next->next;
            if (!queue) queue_last = NULL;
            next->next = NULL;
            if (curl_multi_add_handle(loop->multi, next->curl) != CURLM_OK) finish(next, CURLE_FAILED_INIT);
            else active++;
        }
        if (stopping && active == 0 && !queue) break;
        int running;
        curl_multi_perform(loop->multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(loop->multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *curl = message->easy_handle;
            CURLcode code = message->data.result;
            transfer *t = NULL;
            curl_easy_getinfo(curl, CURLINFO_PRIVATE, (char **)&t);
            curl_multi_remove_handle(loop->multi, curl);
            active--;
            finish(t, code);
        }
        // A finished transfer freed a connection: the next one starts on it at once.
        if (queue && active < loop->max_connections) continue;
        // Woken early by curl_multi_wakeup when a message is submitted.
        curl_multi_poll(loop->multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

sb_smtp_loop *sb_smtp_loop_new(long max_connections) {
    pthread_once(&initialised, initialise);
    sb_smtp_loop *loop = calloc(1, sizeof(sb_smtp_loop));
    if (!loop) return NULL;
    loop->multi = curl_multi_init();
    if (!loop->multi) {
        free(loop);
        return NULL;
    }
    // At most this many transfers at once (run), so as many connections, kept open for the next.
    loop->max_connections = max_connections < 1 ? 1 : max_connections;
    curl_multi_setopt(loop->multi, CURLMOPT_MAXCONNECTS, loop->max_connections);
    pthread_mutex_init(&loop->lock, NULL);
    if (pthread_create(&loop->thread, NULL, run, loop) != 0) {
        curl_multi_cleanup(loop->multi);
        pthread_mutex_destroy(&loop->lock);
        free(loop);
        return NULL;
    }
    return loop;
}

void sb_smtp_loop_free(sb_smtp_loop *loop) {
    if (!loop) return;
    pthread_mutex_lock(&loop->lock);
    loop->stopping = 1;
    pthread_mutex_unlock(&loop->lock);
    curl_multi_wakeup(loop->multi);
    pthread_join(loop->thread, NULL);
    curl_multi_cleanup(loop->multi);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

int sb_smtp_loop_submit(sb_smtp_loop *loop, const sb_smtp_server *server, const char *mail_from,
                        const char *const *recipients, int recipient_count, const char *bytes, size_t length,
                        sb_smtp_done done, void *context) {
    transfer *t = calloc(1, sizeof(transfer));
    if (!t) return -1;
    t->curl = curl_easy_init();
    char *copy = malloc(length ? length : 1);
    if (!t->curl || !copy) {
        free(copy);
        transfer_free(t);
        return -1;
    }
    memcpy(copy, bytes, length);
    t->source = (upload){copy, length, 0};
    t->done = done;
    t->context = context;
    for (int i = 0; i < recipient_count; i++) t->recipients = curl_slist_append(t->recipients, recipients[i]);

    // String options are copied by libcurl; the recipients list and the bytes live in t.
    CURL *curl = t->curl;
    char url[600];
    snprintf(url, sizeof url, "%s://%s:%d/%s", server->tls == SB_SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
             server->host, server->port, server->helo_domain ? server->helo_domain : "localhost");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PRIVATE, t);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, keep_reply);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, t);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, t->recipients);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t->source);
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

    pthread_mutex_lock(&loop->lock);
    if (loop->last) loop->last->next = t;
    else loop->pending = t;
    loop->last = t;
    pthread_mutex_unlock(&loop->lock);
    curl_multi_wakeup(loop->multi);
    return 0;
}
