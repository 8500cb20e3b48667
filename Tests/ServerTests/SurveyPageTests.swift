import AsyncHTTPClient
import Foundation
import NIOCore
import Postgres
import Testing
import TestSupport

@Suite("The survey page: scanner-safe links, answers changed until expiry, closed and unknown surveys")
struct SurveyPageTests {
    /// A queued CSAT survey of a new customer who reads `locale`, answerable with the returned token.
    static func survey(_ f: ServerFixture, locale: String, kind: String = "csat", expiresIn: String = "7 days",
                       status: String = "queued") async throws -> (token: String, id: Int64) {
        let token = (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }.joined().prefix(64)
        let customer = try await f.connection.query("""
            INSERT INTO customers (store_id, name, preferred_locale) VALUES (1, 'Customer', \(locale)) RETURNING id
            """).scalar(Int64.self)
        let id = try await f.connection.query("""
            INSERT INTO surveys (store_id, customer_id, kind, status, reason, due_at, queued_at, token_hash, expires_at)
            VALUES (1, \(customer), \(kind), \(status), \(status == "superseded" ? "the conversation was reopened before an answer" : nil),
                    now(), now(), sha256(convert_to(\(String(token)), 'UTF8')), now() + \(expiresIn)::interval)
            RETURNING id
            """).scalar(Int64.self)
        return (String(token), id)
    }

    static func answer(_ f: ServerFixture, _ id: Int64) async throws -> (status: String, rating: Int?, comment: String?) {
        let row = try #require(try await f.connection.query("SELECT status, rating, comment FROM surveys WHERE id = \(id)").first)
        return (try row.decode(String.self, at: 0), try row.decode(Int?.self, at: 1), try row.decode(String?.self, at: 2))
    }

    @Test("Opening a rating link records nothing; the second tap does; the answer can be changed, with a comment")
    func answerByLink() async throws {
        try await ServerFixture.with("survey-page") { f in
            let (token, id) = try await Self.survey(f, locale: "en")
            // What a mail scanner does: open every link. Nothing is recorded.
            for rating in 1...5 {
                let page = try await CustomerLinkTests.page(f.base + "/s/\(token)?r=\(rating)")
                #expect(page.status == 200)
            }
            let chosen = try await CustomerLinkTests.page(f.base + "/s/\(token)?r=4")
            #expect(chosen.html.contains("You chose 4 – good. Tap it again to send it"))
            #expect(chosen.html.contains(#"name="rating" value="4" class="chosen""#) && !chosen.html.lowercased().contains("<script"))
            #expect(try await Self.answer(f, id).status == "queued")

            let sent = try await CustomerLinkTests.page(f.base + "/s/\(token)", post: "comment=Quick+and+kind&rating=4")
            #expect(sent.status == 200 && sent.html.contains("Thank you! Your rating: 4 – good."))
            #expect(sent.html.contains("You can change your answer until"))
            #expect(try await Self.answer(f, id) == ("answered", 4, "Quick and kind"))

            // Changed: a new rating, the comment kept when none is given.
            let again = try await CustomerLinkTests.page(f.base + "/s/\(token)")
            #expect(again.html.contains("Your answer: 4 – good. Choose again to change it.") && again.html.contains("Quick and kind"))
            _ = try await CustomerLinkTests.page(f.base + "/s/\(token)", post: "comment=&rating=5")
            #expect(try await Self.answer(f, id) == ("answered", 5, "Quick and kind"))

            // No rating, or one out of range: the question again, nothing changed.
            let none = try await CustomerLinkTests.page(f.base + "/s/\(token)", post: "comment=hm&rating=9")
            #expect(none.status == 400 && none.html.contains("How satisfied are you"))
            #expect(try await Self.answer(f, id).rating == 5)
        }
    }

    @Test("In Arabic the page reads right to left; a closed, an expired, an unknown survey each get a clear page")
    func refusals() async throws {
        try await ServerFixture.with("survey-refusals") { f in
            let (arabic, _) = try await Self.survey(f, locale: "ar")
            let page = try await CustomerLinkTests.page(f.base + "/s/\(arabic)?r=5")
            #expect(page.html.contains(#"<html lang="ar" dir="rtl">"#) && page.html.contains("اخترت: 5 – ممتاز."))

            let (superseded, closedID) = try await Self.survey(f, locale: "uk", status: "superseded")
            let closed = try await CustomerLinkTests.page(f.base + "/s/\(superseded)")
            #expect(closed.status == 410 && closed.html.contains("Це опитування закрито"))
            let closedPost = try await CustomerLinkTests.page(f.base + "/s/\(superseded)", post: "rating=5")
            #expect(closedPost.status == 410)
            #expect(try await Self.answer(f, closedID).rating == nil)

            let (old, _) = try await Self.survey(f, locale: "pl", expiresIn: "-1 minute")
            let expired = try await CustomerLinkTests.page(f.base + "/s/\(old)", post: "rating=5")
            #expect(expired.status == 410 && expired.html.contains("Ta ankieta wygasła."))

            let unknown = try await CustomerLinkTests.page(f.base + "/s/" + String(repeating: "ab", count: 32))
            #expect(unknown.status == 404)
            let malformed = try await CustomerLinkTests.page(f.base + "/s/not-a-token")
            #expect(malformed.status == 404)
        }
    }

    @Test("NPS rates 0 to 10, CES 1 to 7, each with its own question; a rating outside the range is refused")
    func otherKinds() async throws {
        try await ServerFixture.with("survey-kinds") { f in
            let (nps, npsID) = try await Self.survey(f, locale: "en", kind: "nps")
            let page = try await CustomerLinkTests.page(f.base + "/s/\(nps)")
            #expect(page.html.contains("How likely are you to recommend us to a friend?"))
            #expect(page.html.components(separatedBy: #"name="rating""#).count - 1 == 11 && page.html.contains("10 – extremely likely"))
            _ = try await CustomerLinkTests.page(f.base + "/s/\(nps)", post: "rating=0")
            #expect(try await Self.answer(f, npsID) == ("answered", 0, nil))

            let (ces, cesID) = try await Self.survey(f, locale: "uk", kind: "ces")
            let cesPage = try await CustomerLinkTests.page(f.base + "/s/\(ces)?r=7")
            #expect(cesPage.html.contains("Наскільки ви згодні?") && cesPage.html.contains(#"value="7" class="chosen""#))
            let refused = try await CustomerLinkTests.page(f.base + "/s/\(ces)", post: "rating=0")
            #expect(refused.status == 400)
            _ = try await CustomerLinkTests.page(f.base + "/s/\(ces)", post: "rating=7")
            #expect(try await Self.answer(f, cesID).rating == 7)
        }
    }
}
