import Identity
import Testing

@Suite("Contact normalisation")
struct ContactNormalisationTests {
    @Test("phone numbers as people write them become E.164", arguments: [
        ("+380 67 123 45 67", nil, "+380671234567"),
        ("067 123 45 67", "UA", "+380671234567"),
        ("(067) 123-45-67", "ua", "+380671234567"),
        ("+48 600 700 800", nil, "+48600700800"),
        ("600-700-800", "PL", "+48600700800"),
        ("+7 (912) 345-67-89", nil, "+79123456789"),
        ("8 912 345 67 89", "RU", "+79123456789"),
        ("+1 (415) 555-2671", nil, "+14155552671"),
        ("+86 138 0013 8000", nil, "+8613800138000"),
        ("+971 50 123 4567", nil, "+971501234567"),
    ])
    func phones(_ raw: String, _ region: String?, _ expected: String) throws {
        #expect(try ContactNormalisation.phone(raw, defaultRegion: region) == expected)
    }

    @Test("numbers that cannot be read, or are not valid, are refused with the reason", arguments: [
        ("", "empty"), ("067 123 45 67", "no country code"), ("hello", "does not read"), ("+380 12", "not a valid"),
    ])
    func badPhones(_ raw: String, _ reason: String) {
        #expect { try ContactNormalisation.phone(raw) } throws: { "\($0)".contains(reason) }
    }

    @Test("emails are trimmed and lower-cased; malformed ones are refused", arguments: [
        (" Olena.Koval@Example.COM ", "olena.koval@example.com"),
        ("ANNA+orders@shop.example.pl", "anna+orders@shop.example.pl"),
    ])
    func emails(_ raw: String, _ expected: String) throws {
        #expect(try ContactNormalisation.email(raw) == expected)
        for bad in ["no-at-sign", "a@b", "a@@b.com", "@b.com", "a b@c.com", "a@.com", "<a@b.com>"] {
            #expect(throws: ContactNormalisation.Invalid.self) { try ContactNormalisation.email(bad) }
        }
    }
}
