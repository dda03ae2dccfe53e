/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry credentials, from the files `docker login` and `podman login`
 * write: the "auths" entries (base64 user:password, or an identity token),
 * most specific key first, and the credential helpers they name (credHelpers,
 * credsStore), each run as `docker-credential-NAME get` in a separate process
 * with a timeout. Files in the order podman, then docker, reads them.
 *
 * A secret is kept only in the client's host entry and wiped when freed; it
 * is never logged or put in an error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "banned.h"

#define MAX_AUTHFILE   (1u << 20)
#define MAX_HELPER_OUT (64u << 10)
#define HELPER_TIMEOUT 10

extern char **environ;

/* ---- credentials files ----------------------------------------------------- */

void bh_registry_cred_release(struct bh_registry_cred *c)
{
	if (!c)
		return;
	if (c->secret)
		explicit_bzero(c->secret, strlen(c->secret));
	free(c->username);
	free(c->secret);
	free(c->helper);
	memset(c, 0, sizeof(*c));
}

/* An auths key as docker and podman compare them: no scheme, and for the
 * old URL form ("https://index.docker.io/v1/") no path; Docker Hub's names
 * are one. */
static char *norm_key(const char *k)
{
	bool url = false;
	char *s;
	size_t n;

	if (bh_str_has_prefix(k, "https://")) {
		k += 8;
		url = true;
	} else if (bh_str_has_prefix(k, "http://")) {
		k += 7;
		url = true;
	}
	n = url ? strcspn(k, "/") : strlen(k);
	while (n && k[n - 1] == '/')
		n--;
	s = bh_strndup(k, n);
	if (bh_str_has_prefix(s, "index.docker.io") ||
	    bh_str_has_prefix(s, "registry-1.docker.io")) {
		const char *rest = s + strcspn(s, "/");
		char *t = bh_asprintf("docker.io%s", rest);

		free(s);
		s = t;
	}
	return s;
}

static bool helper_name_ok(const char *h)
{
	if (!*h || strlen(h) > 64)
		return false;
	for (; *h; h++)
		if (!bh_isalnum(*h) && *h != '-' && *h != '_' && *h != '.')
			return false;
	return true;
}

/* An "auths" entry: 1 if it holds credentials. */
static int auth_entry(const json_t *e, const char *what, const char *key,
		      struct bh_registry_cred *out, struct bh_error **err)
{
	const char *a = bh_json_str(e, "auth"), *id = bh_json_str(e, "identitytoken");
	const char *u = bh_json_str(e, "username"), *p = bh_json_str(e, "password");

	if (!json_is_object(e))
		return bh_error_set(err, BH_ERR_INVALID, "%s: auths[\"%.100s\"] is not an object",
				    what, key);
	if (a && *a) {
		size_t n = strlen(a), len = 0;
		char *d, *colon = NULL;
		int r;

		/* a hand-edited file: a line end after the value is forgiven */
		while (n && (a[n - 1] == '\n' || a[n - 1] == '\r'))
			n--;
		d = bh_malloc(bh_base64_decoded_max(n) + 1);
		r = bh_base64_decode_mem(a, n, BH_BASE64_NOPAD, "auth", d, bh_base64_decoded_max(n),
					 &len, NULL);
		if (r == 0) {
			d[len] = 0;
			colon = memchr(d, 0, len) ? NULL : strchr(d, ':');
		}
		if (!colon) {
			explicit_bzero(d, bh_base64_decoded_max(n) + 1);
			free(d);
			return bh_error_set(err, BH_ERR_INVALID,
					    "%s: auths[\"%.100s\"].auth is not base64 of "
					    "user:password",
					    what, key);
		}
		out->username = bh_strndup(d, (size_t)(colon - d));
		out->secret = bh_strdup(colon + 1);
		explicit_bzero(d, len);
		free(d);
	} else if (u && p && *u) {
		out->username = bh_strdup(u);
		out->secret = bh_strdup(p);
	}
	if (id && *id) {
		/* docker login to an OAuth2 registry: the refresh token wins */
		if (out->secret)
			explicit_bzero(out->secret, strlen(out->secret));
		free(out->secret);
		out->secret = bh_strdup(id);
		out->identity = true;
	}
	return out->secret ? 1 : 0;
}

int bh_registry_auth_lookup(const char *buf, size_t len, const char *what, const char *domain,
			    const char *path, struct bh_registry_cred *out, struct bh_error **err)
{
	json_t *j = NULL, *auths, *helpers, *v;
	const char *store, *key;
	char *want = NULL, *ndom = norm_key(domain);
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (bh_json_parse(buf, len, MAX_AUTHFILE, what, &j, err) < 0)
		goto out;
	if (!json_is_object(j)) {
		bh_error_set(err, BH_ERR_INVALID, "%s is not a JSON object", what);
		goto out;
	}
	auths = json_object_get(j, "auths");
	helpers = json_object_get(j, "credHelpers");
	store = bh_json_str(j, "credsStore");
	if ((auths && !json_is_object(auths)) || (helpers && !json_is_object(helpers))) {
		bh_error_set(err, BH_ERR_INVALID, "%s: auths or credHelpers is not an object",
			     what);
		goto out;
	}
	/* a helper named for this registry comes first, as docker does */
	json_object_foreach (helpers, key, v) {
		char *nk = norm_key(key);
		bool hit = !strcmp(nk, ndom);

		free(nk);
		if (hit && json_is_string(v)) {
			if (!helper_name_ok(json_string_value(v))) {
				bh_error_set(err, BH_ERR_UNSAFE,
					     "%s: credHelpers[\"%.100s\"] is not a helper name",
					     what, key);
				goto out;
			}
			out->helper = bh_strdup(json_string_value(v));
			r = 1;
			goto out;
		}
	}
	/* then the most specific "auths" key: domain/a/b, domain/a, domain */
	want = bh_asprintf("%s%s%s", ndom, path && *path ? "/" : "", path ? path : "");
	for (;;) {
		json_object_foreach (auths, key, v) {
			char *nk = norm_key(key);
			bool hit = !strcmp(nk, want);

			free(nk);
			if (!hit)
				continue;
			r = auth_entry(v, what, key, out, err);
			if (r != 0)
				goto out;
		}
		{
			char *slash = strrchr(want, '/');

			if (!slash || (size_t)(slash - want) < strlen(ndom))
				break;
			*slash = 0;
		}
	}
	if (store && *store) {
		if (!helper_name_ok(store)) {
			bh_error_set(err, BH_ERR_UNSAFE, "%s: credsStore is not a helper name",
				     what);
			goto out;
		}
		out->helper = bh_strdup(store);
		r = 1;
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		bh_registry_cred_release(out);
	json_decref(j);
	free(want);
	free(ndom);
	return r;
}

/* ---- credential helpers ---------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int reg_cred_helper(const char *helper, const char *server, unsigned timeout,
		    struct bh_registry_cred *out, struct bh_error **err)
{
	char prog[96];
	char *argv[] = { prog, "get", NULL };
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, devnull = -1, status = 0, r = -1;
	posix_spawn_file_actions_t fa;
	struct bh_buf b = BH_BUF_INIT(MAX_HELPER_OUT);
	int64_t deadline = now_ms() + (int64_t)(timeout ? timeout : HELPER_TIMEOUT) * 1000;
	pid_t pid = -1;
	bool exited = false;
	json_t *j = NULL;

	memset(out, 0, sizeof(*out));
	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		bh_error_sys(err, errno, "running %s", prog);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	errno = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (errno) {
		bh_error_sys(err, errno, "running the credential helper %s", prog);
		pid = -1;
		goto out;
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	{
		/* the helper reads the server URL from its standard input */
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &ign, &old);
		if (bh_write_all(in[1], server, strlen(server), NULL) < 0)
			bh_debug("registry: %s did not read its input", prog);
		sigaction(SIGPIPE, &old, NULL);
		close(in[1]);
		in[1] = -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = outp[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		char tmp[4096];
		ssize_t n;

		if (left <= 0) {
			bh_error_set(err, BH_ERR_IO,
				     "the credential helper %s did not answer in %u "
				     "seconds",
				     prog, timeout ? timeout : HELPER_TIMEOUT);
			goto out;
		}
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR) {
			bh_error_sys(err, errno, "reading from %s", prog);
			goto out;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(outp[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (bh_buf_add(&b, tmp, (size_t)n, NULL) < 0) {
			bh_error_set(err, BH_ERR_LIMIT, "%s: more than %u bytes of output", prog,
				     MAX_HELPER_OUT);
			goto out;
		}
	}
	while (!exited) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			exited = true;
		} else if (w < 0 && errno != EINTR) {
			bh_error_sys(err, errno, "waiting for %s", prog);
			goto out;
		} else if (now_ms() >= deadline) {
			bh_error_set(err, BH_ERR_IO,
				     "the credential helper %s did not exit in %u "
				     "seconds",
				     prog, timeout ? timeout : HELPER_TIMEOUT);
			goto out;
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* "credentials not found in native keychain" is an answer, not a failure */
		if (b.data && strstr(b.data, "credentials not found")) {
			r = 0;
			goto out;
		}
		bh_error_set(err, BH_ERR_IO, "the credential helper %s failed (%s %d)", prog,
			     WIFEXITED(status) ? "exit status" : "signal",
			     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	if (bh_json_parse(b.data ? b.data : "", b.len, MAX_HELPER_OUT, prog, &j, NULL) < 0 ||
	    !bh_json_str(j, "Secret")) {
		bh_error_set(err, BH_ERR_INVALID,
			     "the credential helper %s answered something other than "
			     "{\"Username\", \"Secret\"}",
			     prog);
		goto out;
	}
	out->username = bh_strdup(bh_json_str(j, "Username") ? bh_json_str(j, "Username") : "");
	out->secret = bh_strdup(bh_json_str(j, "Secret"));
	out->identity = !strcmp(out->username, "<token>");
	r = 1;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (b.data)
		explicit_bzero(b.data, b.len);
	bh_buf_release(&b);
	if (j) {
		/* the parsed copy of the secret goes with the JSON */
		json_t *s = json_object_get(j, "Secret");

		if (json_is_string(s))
			explicit_bzero((char *)json_string_value(s), json_string_length(s));
		json_decref(j);
	}
	return r;
}

/* The credential files in the order podman, then docker, read them. */
static char **auth_files(const struct bh_registry *r)
{
	struct bh_strvec sv = BH_STRVEC_INIT;
	const char *e;

	if (r->authfile) {
		bh_strvec_push(&sv, r->authfile);
		return bh_strvec_detach(&sv);
	}
	if ((e = getenv("REGISTRY_AUTH_FILE")) && *e)
		bh_strvec_push(&sv, e);
	if ((e = getenv("XDG_RUNTIME_DIR")) && *e)
		bh_strvec_pushf(&sv, "%s/containers/auth.json", e);
	if ((e = getenv("HOME")) && *e)
		bh_strvec_pushf(&sv, "%s/.config/containers/auth.json", e);
	if ((e = getenv("DOCKER_CONFIG")) && *e)
		bh_strvec_pushf(&sv, "%s/config.json", e);
	else if ((e = getenv("HOME")) && *e)
		bh_strvec_pushf(&sv, "%s/.docker/config.json", e);
	return bh_strvec_detach(&sv);
}

int reg_cred_load(struct bh_registry *r, struct reg_host *h, const char *path,
		  struct bh_error **err)
{
	char **files;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (h->cred_loaded) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	pthread_mutex_unlock(&r->lock);
	files = auth_files(r);
	for (char **f = files; f && *f; f++) {
		struct bh_buf b = BH_BUF_INIT(MAX_AUTHFILE);
		struct bh_registry_cred c;
		struct bh_error *e = NULL;
		int found;

		if (bh_read_file(*f, &b, &e) < 0) {
			if (bh_error_errno(e) == ENOENT && !r->authfile) {
				bh_error_free(e);
				bh_buf_release(&b);
				continue;
			}
			*err = e;
			bh_buf_release(&b);
			rc = bh_error_prefix(err, "credentials");
			break;
		}
		found = bh_registry_auth_lookup(b.data, b.len, *f, h->domain, path, &c, err);
		explicit_bzero(b.data, b.len);
		bh_buf_release(&b);
		if (found < 0) {
			rc = -1;
			break;
		}
		if (found && c.helper) {
			char *helper = c.helper;
			const char *server = strcmp(h->domain, "docker.io")
						     ? h->domain
						     : "https://index.docker.io/v1/";

			c.helper = NULL;
			bh_debug("registry %s: credentials from docker-credential-%s", h->domain,
				 helper);
			found = reg_cred_helper(
				helper, server,
				r->timeout < HELPER_TIMEOUT ? r->timeout : HELPER_TIMEOUT, &c, err);
			free(helper);
			if (found < 0) {
				rc = bh_error_prefix(err, "registry %s", h->domain);
				break;
			}
		}
		if (found) {
			bh_debug("registry %s: credentials for user '%s' from %s", h->domain,
				 c.identity ? "(identity token)" : c.username, *f);
			/* loaded as it is kept: another thread that read the same
			 * file meanwhile keeps its copy to itself (it was leaked) */
			pthread_mutex_lock(&r->lock);
			if (!h->cred_loaded) {
				h->cred = c;
				memset(&c, 0, sizeof(c));
				h->cred_loaded = true;
			}
			pthread_mutex_unlock(&r->lock);
			bh_registry_cred_release(&c);
			break;
		}
	}
	bh_strv_free(files);
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		h->cred_loaded = true;
		pthread_mutex_unlock(&r->lock);
	}
	return rc;
}
