#include "cld2_shim.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <cld2/public/compact_lang_det.h>
#include <cstring>

void switchboard_cld2_detect(const char *text, int length, char *code, int capacity,
                             int *percent, int *reliable, int *scored_bytes) {
    CLD2::Language languages[3];
    int percents[3] = {0, 0, 0};
    int bytes = 0;
    bool is_reliable = false;
    CLD2::Language best = CLD2::DetectLanguageSummary(text, length, true, languages, percents, &bytes, &is_reliable);
    const char *name = CLD2::LanguageCode(best);
    if (capacity > 0) {
        std::strncpy(code, name ? name : "un", static_cast<size_t>(capacity - 1));
        code[capacity - 1] = '\0';
    }
    *percent = percents[0];
    *reliable = is_reliable ? 1 : 0;
    *scored_bytes = bytes;
}
