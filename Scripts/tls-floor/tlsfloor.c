#define _GNU_SOURCE
/*
 * tlsfloor: the smallest line-protocol TLS server we could write with OpenSSL, to
 * measure what OpenSSL itself costs per connection (memory, CPU per handshake) and
 * per delivered line when driven by the same load generator as securechat. Not a
 * chat server: it answers HELLO after the handshake, "OK <command>" to every line
 * starting with '/', and relays every other line of a connection that sent "/join"
 * to every other such connection as "MSG <room> <name> <line>" (the name from
 * "/login <name> ..."), one SSL_write and so one record and one write(2) per
 * delivery, at once: the least a TLS chat server with this OpenSSL does per
 * delivery when each message goes out on its own. One thread, epoll, the socket BIO (SSL_set_fd), the same TLS policy
 * as ChatTLS (TLS 1.2-1.3, no tickets, no session cache, SSL_MODE_RELEASE_BUFFERS,
 * SSL_MODE_NO_AUTO_CHAIN).
 *
 * With a fourth argument "argon2id" it also checks each /login's password against an
 * Argon2id hash of "benchpass" at libsodium's minimum cost (answering "ERR login" to
 * a wrong one), on its one thread: the least a login that checks a real password
 * hash costs, for comparison with securechat's logins (which must check one).
 *
 *   cc -O2 -o tlsfloor Scripts/tls-floor/tlsfloor.c -lssl -lcrypto -lsodium
 *   taskset -c 0 ./tlsfloor PORT cert.pem key.pem [argon2id]
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int fd, ready, member;        /* member: sent /join; index in members[] */
    size_t slot;
    SSL *ssl;
    char name[64];
    char *partial; size_t plen;   /* only while a line is split across reads */
};

/* With "argon2id": the hash every /login's password is checked against. */
static char password_hash[crypto_pwhash_STRBYTES];
static int check_passwords;

/* The one room: every connection that sent /join. */
static struct conn **members;
static size_t nmembers, cmembers;

static void join(struct conn *c) {
    if (c->member) return;
    if (nmembers == cmembers) {
        cmembers = cmembers ? 2 * cmembers : 1024;
        members = realloc(members, cmembers * sizeof *members);
    }
    c->member = 1; c->slot = nmembers; members[nmembers++] = c;
}

static void leave(struct conn *c) {
    if (!c->member) return;
    members[c->slot] = members[--nmembers];
    members[c->slot]->slot = c->slot;
    c->member = 0;
}

static void conn_close(int ep, struct conn *c) {
    leave(c);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    SSL_free(c->ssl);
    free(c->partial);
    free(c);
}

static int send_text(struct conn *c, const char *s) {
    ERR_clear_error();
    return SSL_write(c->ssl, s, (int)strlen(s)) > 0 ? 0 : -1;
}

static int handle_line(struct conn *c, const char *l, size_t n) {
    if (n && l[n - 1] == '\r') n--;
    if (n > 7 && !memcmp(l, "/login ", 7)) {
        size_t k = 0, i = 7;
        for (; i < n && l[i] != ' ' && k < sizeof c->name - 1; i++) c->name[k++] = l[i];
        c->name[k] = 0;
        if (check_passwords) {
            const char *password = i < n ? l + i + 1 : l + n;
            size_t length = (size_t)(l + n - password);
            if (crypto_pwhash_str_verify(password_hash, password, length) != 0) return send_text(c, "ERR login\r\n");
        }
    }
    if (n >= 5 && !memcmp(l, "/join", 5)) join(c);
    if (n && l[0] != '/' && c->member) {
        /* One record per recipient (a failed write is that recipient's problem: its
           next read finds the connection broken; the generator counts what never
           arrived, so a run that drops lines shows it). */
        char out[1200];
        int k = snprintf(out, sizeof out, "MSG #bench %s %.*s\r\n", c->name, (int)(n < 1024 ? n : 1024), l);
        for (size_t i = 0; i < nmembers; i++) {
            if (members[i] == c) continue;
            ERR_clear_error();
            SSL_write(members[i]->ssl, out, k);
        }
        return 0;
    }
    if (n && l[0] == '/') {
        char cmd[32]; size_t k = 0;
        for (size_t i = 1; i < n && l[i] != ' ' && k < sizeof cmd - 1; i++) cmd[k++] = l[i];
        cmd[k] = 0;
        char out[64]; snprintf(out, sizeof out, "OK %s\r\n", cmd);
        return send_text(c, out);
    }
    return 0;
}

static int on_readable(int ep, struct conn *c) {
    if (!c->ready) {
        ERR_clear_error();
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1;
        }
        c->ready = 1;
        if (send_text(c, "HELLO tlsfloor welcome\r\n") < 0) return -1;
    }
    char buf[4096];
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, sizeof buf);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
            if (e == SSL_ERROR_ZERO_RETURN) { SSL_shutdown(c->ssl); }
            return -1;
        }
        size_t start = 0;
        for (size_t i = 0; i < (size_t)r; i++) {
            if (buf[i] != '\n') continue;
            if (c->partial) {
                c->partial = realloc(c->partial, c->plen + i - start + 1);
                memcpy(c->partial + c->plen, buf + start, i - start); c->plen += i - start;
                int rc = handle_line(c, c->partial, c->plen);
                free(c->partial); c->partial = NULL; c->plen = 0;
                if (rc < 0) return -1;
            } else if (handle_line(c, buf + start, i - start) < 0) return -1;
            start = i + 1;
        }
        if (start < (size_t)r) {
            c->partial = realloc(c->partial, c->plen + (size_t)r - start);
            memcpy(c->partial + c->plen, buf + start, (size_t)r - start); c->plen += (size_t)r - start;
        }
        (void)ep;
    }
}

int main(int argc, char **argv) {
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "argon2id"))) {
        fprintf(stderr, "usage: tlsfloor PORT CERT KEY [argon2id]\n"); return 2;
    }
    if (argc == 5) {
        if (sodium_init() < 0 || crypto_pwhash_str(password_hash, "benchpass", 9, crypto_pwhash_OPSLIMIT_MIN,
                                                    crypto_pwhash_MEMLIMIT_MIN) != 0) { fprintf(stderr, "sodium\n"); return 1; }
        check_passwords = 1;
    }
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr); return 1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                             SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 256) < 0) { perror("listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd; c->ssl = SSL_new(ctx);
                    SSL_set_fd(c->ssl, fd); SSL_set_accept_state(c->ssl);
                    struct epoll_event e2 = { .events = EPOLLIN, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e2);
                }
                continue;
            }
            if (on_readable(ep, c) < 0) conn_close(ep, c);
        }
    }
}
