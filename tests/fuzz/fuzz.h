/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share: quiet logs
 * and, for the parsers that read a file, the input written to one.
 * Each target is one LLVMFuzzerTestOneInput over one pure reader; a
 * crash, a sanitizer report, a leak or a broken invariant (abort) is a
 * finding.  Built and run by tests/fuzz/run.sh.
 */
#ifndef LICSYNC_FUZZ_H
#define LICSYNC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Only errors are logged; a parser's warnings would flood the output. */
void fuzz_quiet(void);

/* DATA as a private regular file, rewritten on each call; its path. */
const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix);

/* DATA as a NUL-terminated string (free it). */
char *fuzz_string(const uint8_t *data, size_t size);

/* abort() with a message when COND is false: an invariant broken. */
#define FUZZ_ASSERT(cond) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

#endif
