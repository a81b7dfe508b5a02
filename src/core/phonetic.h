/*
 * phonetic.h - names as they sound, for record linkage (issue 7,
 * "records"): Soundex, NYSIIS, Double Metaphone and Metaphone codes, so
 * that "Hernandez" finds "Hernandes" and "Smith" finds "Smyth". Each follows
 * a published implementation whose test vectors are our conformance test:
 * Apache commons-codec for Soundex, NYSIIS and Double Metaphone, jellyfish
 * for Metaphone (and for what commons-codec leaves undefined). Pure: no
 * I/O, no state, no allocation; safe from any thread.
 *
 * Inputs are NUL-terminated UTF-8; NULL reads as "". Invalid UTF-8 never
 * fails: its bytes are read as characters that are not letters. Only the
 * first PHONETIC_INPUT_MAX characters are read (a name is far shorter), so
 * the work per call is bounded whatever the input.
 *
 * Letters outside A-Z: Soundex, Metaphone and Double Metaphone fold
 * accented Latin letters to their base letter ("é" reads as E, "ß" as SS),
 * as jellyfish's Soundex and Metaphone do, so "Hernández" codes as
 * "Hernandez"; except that Double Metaphone reads Ç as S and Ñ as N, as
 * commons-codec does (which leaves other accented letters out: there we
 * differ, on purpose). Letters that fold to nothing in A-Z (Greek,
 * Cyrillic, ...) are ignored. NYSIIS keeps letters outside A-Z as they
 * are, upper-cased ("ç" -> "Ç"), as both commons-codec and jellyfish do:
 * fold the name first (core/normalise.h) when accents must not count.
 *
 * Every output is NUL-terminated and never longer than its size allows;
 * an input with no letters gives "" (and true).
 */
#ifndef HTD_CORE_PHONETIC_H
#define HTD_CORE_PHONETIC_H

#include <stdbool.h>
#include <stddef.h>

/* Characters of the input that are read; the rest is ignored. */
#define PHONETIC_INPUT_MAX 256

/* A Soundex code: a letter and three digits, and the NUL. */
#define PHONETIC_SOUNDEX_SIZE 5

/* The longest NYSIIS code in strict mode (commons-codec's default). */
#define PHONETIC_NYSIIS_STRICT_MAX 6

/* Double Metaphone's code length (commons-codec's default), and a size
 * that holds one code and its NUL. */
#define PHONETIC_DOUBLE_METAPHONE_MAX 4
#define PHONETIC_DOUBLE_METAPHONE_SIZE (PHONETIC_DOUBLE_METAPHONE_MAX + 1)

/*
 * Writes the American Soundex code of `in` to `out` ("Robert" -> "R163"),
 * as commons-codec's Soundex.US_ENGLISH: characters that are not letters
 * are ignored ("HOL>MES" -> "H452"); H and W do not separate consonants
 * with the same code, vowels (and Y) do. `out` is "" when `in` has no
 * letter A-Z (after folding). Cannot fail.
 */
void phonetic_soundex(const char *in, char out[PHONETIC_SOUNDEX_SIZE]);

/*
 * Writes the NYSIIS code of `in` to `out` (`size` bytes, UTF-8, see above
 * for letters outside A-Z), as commons-codec's Nysiis: with `strict_max6`
 * the code is cut to its first 6 characters (Nysiis(true), the original
 * form), without it the whole code is kept (Nysiis(false), jellyfish's
 * nysiis()). Characters that are not letters are ignored.
 *
 * Returns true when the whole code fit; false when `out` holds a
 * truncated code (cut between characters, never inside one) or `size` is
 * 0 (nothing written).
 */
bool phonetic_nysiis(const char *in, char *out, size_t size, bool strict_max6);

/*
 * Writes the Double Metaphone codes of `in` (Lawrence Philips, 2000, as
 * commons-codec's DoubleMetaphone implements it, with code length 4) to
 * `primary` and `alternate`, each `size` bytes: "Hernandez" -> "HRNN",
 * "HRNN"; "Smith" -> "SM0", "XMT". The alternate equals the primary when a
 * name has no second reading. As in commons-codec (and Philips' code), a J
 * at the end of a word may leave a space in the alternate ("RAJ" -> "RJ",
 * "R "). Leading and trailing white space is ignored; characters that are
 * not letters are skipped but keep their place ("VAN HORN").
 *
 * Returns true when both codes fit (size >= PHONETIC_DOUBLE_METAPHONE_SIZE
 * always does); false when they were truncated or `size` is 0 (nothing
 * written).
 */
bool phonetic_double_metaphone(const char *in, char *primary, char *alternate,
                               size_t size);

/*
 * Writes the Metaphone code of `in` (Lawrence Philips, 1990, as jellyfish
 * implements it) to `out` (`size` bytes): "Knight" -> "NT",
 * "this is" -> "0S IS". Words stay apart, separated by one space; "0" is
 * the sound "th". The code has no length limit (it can be longer than
 * the input: "Max" -> "MKS").
 *
 * Returns true when the whole code fit; false when it was truncated or
 * `size` is 0 (nothing written).
 */
bool phonetic_metaphone(const char *in, char *out, size_t size);

#endif
