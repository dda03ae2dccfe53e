/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replay driver: links a libFuzzer target without libFuzzer and runs it over
 * every file in the corpus directories given, so `make check` (and the
 * sanitizer run) exercise each corpus. Prints TAP: one case per target.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -1;
	/* Exact-size copy so ASan sees any over-read past the input. */
	uint8_t *exact = malloc(off ? off : 1);
	memcpy(exact, buf, off);
	free(buf);
	LLVMFuzzerTestOneInput(exact, off);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int bad = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) < 0) {
			printf("1..0 # SKIP no corpus at %s\n", argv[i]);
			return 0;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) < 0;
			n++;
			continue;
		}
		d = opendir(argv[i]);
		while (d && (de = readdir(d))) {
			char *p;

			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0)
				return 1;
			bad |= run_file(p) < 0;
			n++;
			free(p);
		}
		if (d)
			closedir(d);
	}
	printf("%sok 1 - %zu corpus inputs replayed\n1..1\n", bad ? "not " : "", n);
	return bad;
}
