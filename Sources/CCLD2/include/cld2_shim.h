#ifndef SWITCHBOARD_CLD2_SHIM_H
#define SWITCHBOARD_CLD2_SHIM_H

// A C face for CLD2 (Compact Language Detector 2, Debian's libcld2-dev), whose API is C++.

#ifdef __cplusplus
extern "C" {
#endif

/// Detects the language of `length` bytes of valid UTF-8 plain text.
/// Writes the best guess's code ("en", "uk", "zh", …; "un" for unknown) into `code` (at most
/// `capacity` bytes, NUL-terminated), the share of the text in that language (0–100) into
/// `percent`, CLD2's reliability verdict (0 or 1) into `reliable`, and the number of bytes it
/// scored (letters, not spaces, digits or punctuation) into `scored_bytes`.
void switchboard_cld2_detect(const char *text, int length, char *code, int capacity,
                             int *percent, int *reliable, int *scored_bytes);

#ifdef __cplusplus
}
#endif

#endif
