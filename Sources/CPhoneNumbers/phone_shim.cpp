#include "phone_shim.h"

#include <phonenumbers/phonenumberutil.h>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

int switchboard_phone_e164(const char *number, const char *region, char *e164, int capacity) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber parsed;
    if (util->Parse(number, region ? region : "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) return 1;
    if (!util->IsValidNumber(parsed)) return 2;
    std::string formatted;
    util->Format(parsed, PhoneNumberUtil::E164, &formatted);
    if (capacity <= 0) return 1;
    std::strncpy(e164, formatted.c_str(), static_cast<size_t>(capacity - 1));
    e164[capacity - 1] = '\0';
    return 0;
}
