#ifndef SWITCHBOARD_PHONE_SHIM_H
#define SWITCHBOARD_PHONE_SHIM_H

// A C face for libphonenumber (Debian's libphonenumber-dev), whose API is C++.

#ifdef __cplusplus
extern "C" {
#endif

/// Parses `number` as written by a person ("+48 600 700 800", "(0)67 123 4567", "0800 123 456")
/// with `region` (ISO 3166 alpha-2, e.g. "UA") for numbers without a country code. On success
/// writes the E.164 form ("+380671234567") into `e164` (NUL-terminated, at most `capacity` bytes)
/// and returns 0. Returns 1 when it does not parse, 2 when it parses but is not a valid number.
int switchboard_phone_e164(const char *number, const char *region, char *e164, int capacity);

#ifdef __cplusplus
}
#endif

#endif
