/* The HTTP server: libmicrohttpd with a thread pool, dispatching through the
 * route table of struct http_server (http.h). */
#ifndef SOKUHO_SERVER_H
#define SOKUHO_SERVER_H

struct http_server;

/* Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
 * requests finish (up to cfg->shutdown_grace seconds) and returns 0; returns
 * -1 with a logged message if the server cannot start. Call from the main
 * thread before starting any other thread: it blocks the two signals in the
 * calling thread so that every thread created later inherits the mask. */
int server_run(struct http_server *srv);

/* Finds the route for method and path: returns it, or NULL with *allow set to
 * the methods that path does accept (0 when no route matches at all). */
const struct route *server_route(const struct http_server *srv, unsigned method, const char *path,
				 unsigned *allow);

#endif
