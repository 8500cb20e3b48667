#ifndef SWITCHBOARD_CURL_SHIM_H
#define SWITCHBOARD_CURL_SHIM_H

// A small C face for libcurl's SMTP client (Debian's libcurl4-openssl-dev). curl_easy_setopt
// is variadic, which Swift cannot call, so one function here sets a transfer up and runs it.
// One sb_smtp keeps one easy handle: libcurl keeps its connection open between sends, so
// consecutive messages to the same server reuse it (no new TCP, TLS or AUTH).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sb_smtp sb_smtp;

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

sb_smtp *sb_smtp_new(void);
void sb_smtp_free(sb_smtp *smtp);

/// Sends `length` bytes of an RFC 5322 message (CRLF line ends) from `mail_from` to the
/// `recipient_count` addresses. Returns 0 when accepted; otherwise fills `result`.
int sb_smtp_send(sb_smtp *smtp, const sb_smtp_server *server, const char *mail_from,
                 const char *const *recipients, int recipient_count,
                 const char *bytes, size_t length, sb_smtp_result *result);

#ifdef __cplusplus
}
#endif

#endif
