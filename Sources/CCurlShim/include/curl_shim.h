#ifndef SWITCHBOARD_CURL_SHIM_H
#define SWITCHBOARD_CURL_SHIM_H

// A small C face for libcurl's SMTP client (Debian's libcurl4-openssl-dev). curl_easy_setopt
// is variadic, which Swift cannot call, so one function here sets a transfer up and submits it.
// One sb_smtp_loop is one thread driving the transfers to one server on one libcurl multi
// handle: at most `max_connections` transfers at once, so as many connections, kept open
// between messages (no new TCP, TLS or AUTH per message); transfers beyond them wait in the
// loop's queue and start on the first connection free, their timeouts counted from then. Many
// connections cost one thread, woken once for whatever was answered.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_smtp_loop sb_smtp_loop;

typedef enum {
    SB_SMTP_TLS_NONE = 0,      // plain SMTP (loopback relays, test servers)
    SB_SMTP_TLS_STARTTLS = 1,  // STARTTLS required: refuse to send in clear
    SB_SMTP_TLS_IMPLICIT = 2,  // smtps:// (TLS from the first byte)
} sb_smtp_tls;

typedef struct {
    const char *host;
    int port;
    sb_smtp_tls tls;
    const char *username;          // NULL: no AUTH
    const char *password;
    const char *helo_domain;       // the name given in EHLO
    long connect_timeout_ms;
    long timeout_ms;               // the whole transfer
    int verify_peer;               // 0 only for tests with self-signed certificates
} sb_smtp_server;

typedef struct {
    int curl_code;                 // CURLE_OK (0) when the server accepted the message
    long response_code;            // the server's last SMTP reply code (250, 421, 550…), 0 if none
    char message[512];             // what went wrong, in libcurl's and the server's words
} sb_smtp_result;

/// How a transfer ended: `status` 0 when the server accepted the message, else -1 with
/// `result` saying why. Called on the loop's thread; `result` lives only during the call.
typedef void (*sb_smtp_done)(void *context, int status, const sb_smtp_result *result);

/// Starts a loop (its thread) of at most `max_connections` connections. NULL when libcurl or
/// the thread could not be started.
sb_smtp_loop *sb_smtp_loop_new(long max_connections);
/// Waits for the transfers in flight, then stops the thread and frees the loop.
void sb_smtp_loop_free(sb_smtp_loop *loop);

/// Sends `length` bytes of an RFC 5322 message (CRLF line ends) from `mail_from` to the
/// `recipient_count` addresses through `server`; `done(context, …)` is called once when it
/// ends. Everything is copied before this returns. Returns 0, or -1 (out of memory: `done`
/// is not called).
int sb_smtp_loop_submit(sb_smtp_loop *loop, const sb_smtp_server *server, const char *mail_from,
                        const char *const *recipients, int recipient_count, const char *bytes, size_t length,
                        sb_smtp_done done, void *context);

#ifdef __cplusplus
}
#endif

#endif
