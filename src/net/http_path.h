/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An HTTP request path as a server matches it (nginx's location matching,
 * ngx_http_parse_complex_uri): what the network policy's httpPaths and
 * grpcMethods judge, and what its learner writes. The record keeps the raw
 * target; only the policy looks through this.
 *
 * Ownership: the input is borrowed; the output is the caller's buffer.
 */
#ifndef BH_NET_HTTP_PATH_H
#define BH_NET_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* The longest normalised path kept; a longer one is not normalisable. */
#define BH_NET_PATH_MAX 4096

/*
 * Normalise the path p[0..n) (a request target without its query, an
 * HTTP/2 :path likewise) into out (BH_NET_PATH_MAX + 1 bytes, NUL-ended),
 * its length in *len:
 *  - an absolute form ("http://host/a", scheme http or https) is cut to its
 *    path ("/a", "/" when it has none);
 *  - the query ('?') and fragment ('#') are cut off;
 *  - every %XX is decoded, %2F to '/' and %2E to '.' too (they then act as
 *    separators and dots, as in nginx);
 *  - dot segments are removed (RFC 3986 5.2.4: "/a/./b" -> "/a/b",
 *    "/a/b/../c" -> "/a/c", "/a/.." -> "/");
 *  - runs of '/' are merged into one (nginx's merge_slashes, on by default).
 * Case is kept. Returns true when the path is normal HTTP; false when nginx
 * 1.22 would refuse it with 400 (a raw space or control byte, a %00, a '%'
 * not followed by two hex digits,
 * a ".." above the root, a path not starting with '/', an empty one, or
 * longer than BH_NET_PATH_MAX): out then holds a best-effort form (a bad
 * '%' kept as is, %00 as "%00", ".." above the root dropped, a '/' put in
 * front, cut at the bound), which deny rules are judged on and which no
 * allow rule may match.
 */
bool bh_net_http_path_norm(const char *p, size_t n, char *out, size_t *len);

#endif
