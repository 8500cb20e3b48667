import Foundation
import Hummingbird
import Logging
import Postgres

/// A survey's page, `/s/{token}` (sql/definitions/surveys.sql): GET shows the question and a
/// button per rating — with `?r=N`, the rating the customer tapped in the message, chosen and
/// waiting for a second tap — and records nothing, so a mail scanner that opens every link
/// answers no survey; POST (a button) records the rating and the comment. An answer can be changed
/// until the survey expires. An unknown token is answered 404, a closed or expired survey 410, each
/// with a page that says so in the customer's language.
struct SurveyEndpoints: Sendable {
    let pool: PostgresPool
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/s/:token") { request, context in
            await self.show(token: context.parameters.get("token") ?? "", chosen: request.uri.queryParameters.get("r").flatMap { Int($0) })
        }
        router.post("/s/:token") { request, context in
            await self.answer(request, token: context.parameters.get("token") ?? "")
        }
    }

    private struct Survey {
        let kind: String
        let rating: Int?
        let comment: String?
        let store: String
        let locale: String?
        let expiresAt: Date?
        let open: Bool
        let closedReason: String?
    }

    private func survey(_ token: String) async throws -> Survey? {
        // Tokens are 64 hex digits: anything else is no survey, without asking the database.
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let rows = try await pool.query("""
            SELECT kind, rating, comment, store_name, locale, expires_at, open, closed_reason FROM survey_show(\(token))
            """)
        return try rows.first.map { row in
            Survey(kind: try row.decode(String.self, at: 0), rating: try row.decode(Int?.self, at: 1), comment: try row.decode(String?.self, at: 2),
                   store: try row.decode(String.self, at: 3), locale: try row.decode(String?.self, at: 4),
                   expiresAt: try row.decode(Date?.self, at: 5), open: try row.decode(Bool.self, at: 6),
                   closedReason: try row.decode(String?.self, at: 7))
        }
    }

    /// Runs `body` with the survey of `token`, its words and its ratings' labels; or answers with
    /// the page that says why it cannot be answered.
    private func withSurvey(_ token: String, _ body: (Survey, SurveyPageText, [Int: String]) async -> Response) async -> Response {
        let found: Survey?
        do { found = try await survey(token) } catch { return CustomerPage.unavailable(error, logger: logger) }
        guard let survey = found else {
            let text = CustomerPageText.forLocale(nil)
            return CustomerPage(text: text, title: text.problemTitle, paragraphs: [text.unknownLink]).response(.notFound)
        }
        guard survey.open else { return closed(survey.locale, expired: survey.closedReason == "expired") }
        let words = SurveyPageText.forLocale(survey.locale)
        return await body(survey, words, Self.labels(survey.kind, words))
    }

    private func show(token: String, chosen: Int?) async -> Response {
        await withSurvey(token) { survey, words, labels in
            let picked = chosen.flatMap { labels[$0] } != nil ? chosen : nil
            var paragraphs = [survey.store, Self.question(survey.kind, words)]
            if let picked, let label = labels[picked] {
                paragraphs.append(words.format(words.chosenFormat, label))
            } else if let rating = survey.rating, let label = labels[rating] {
                paragraphs.append(words.format(words.currentFormat, label))
            }
            return page(words, paragraphs: paragraphs, labels: labels, chosen: picked ?? survey.rating, comment: survey.comment).response(.ok)
        }
    }

    private func answer(_ request: Request, token: String) async -> Response {
        await withSurvey(token) { survey, words, labels in
            guard let body = try? await request.body.collect(upTo: 16 * 1024) else {
                return page(words, paragraphs: [survey.store, Self.question(survey.kind, words)], labels: labels, chosen: nil, comment: nil)
                    .response(.contentTooLarge)
            }
            // Hummingbird's decoder; a body that is no form gives no fields.
            let form = (try? URLEncodedFormDecoder().decode(AnswerForm.self, from: String(buffer: body))) ?? AnswerForm()
            guard let rating = form.rating.flatMap({ Int($0) }), labels[rating] != nil else {
                // No rating chosen (or one out of range): the question again.
                return page(words, paragraphs: [survey.store, Self.question(survey.kind, words)], labels: labels, chosen: nil,
                            comment: form.comment).response(.badRequest)
            }
            let comment = form.comment.map { String($0.prefix(2000)) }
            do {
                _ = try await pool.query("SELECT survey_id FROM survey_answer(\(token), \(rating)::int4, \(comment), 'link')")
            } catch let error as PostgresError where error.sqlState == "22023" {
                // Closed or expired between the look and the answer.
                return closed(survey.locale, expired: error.message.contains("expired"))
            } catch {
                return CustomerPage.unavailable(error, logger: logger)
            }
            logger.info("survey answered", metadata: ["survey.kind": "\(survey.kind)", "source": "link"])
            var paragraphs = [survey.store, words.format(words.thanksFormat, labels[rating] ?? String(rating))]
            if let until = survey.expiresAt {
                let format = DateFormatter()
                format.dateFormat = "yyyy-MM-dd"
                paragraphs.append(words.format(words.changeUntilFormat, format.string(from: until)))
            }
            let text = CustomerPageText.forLocale(survey.locale)
            return CustomerPage(text: text, title: text.doneTitle, paragraphs: paragraphs).response(.ok)
        }
    }

    private func page(_ words: SurveyPageText, paragraphs: [String], labels: [Int: String], chosen: Int?, comment: String?) -> CustomerPage {
        // The best first, as people read a rating list.
        let options = labels.keys.sorted(by: >).map { (value: String($0), label: labels[$0]!, chosen: $0 == chosen) }
        return CustomerPage(text: CustomerPageText.forLocale(words.language), title: words.title, paragraphs: paragraphs,
                            choices: .init(name: "rating", options: options, commentLabel: words.commentLabel, comment: comment))
    }

    private func closed(_ locale: String?, expired: Bool) -> Response {
        let words = SurveyPageText.forLocale(locale)
        let text = CustomerPageText.forLocale(locale)
        return CustomerPage(text: text, title: text.problemTitle, paragraphs: [expired ? words.expired : words.closed]).response(.gone)
    }

    static func question(_ kind: String, _ words: SurveyPageText) -> String {
        switch kind {
        case "ces": words.cesQuestion
        case "nps": words.npsQuestion
        case "post_delivery": words.postDeliveryQuestion
        default: words.csatQuestion
        }
    }

    /// Rating → label for `kind`: CSAT and the post-delivery follow-up 1–5, CES 1–7, NPS 0–10
    /// (its ends in words).
    static func labels(_ kind: String, _ words: SurveyPageText) -> [Int: String] {
        switch kind {
        case "ces":
            return Dictionary(uniqueKeysWithValues: words.cesLabels.enumerated().map { ($0.offset + 1, $0.element) })
        case "nps":
            return Dictionary(uniqueKeysWithValues: (0...10).map { value in
                (value, value == 0 ? "0 – \(words.npsLow)" : value == 10 ? "10 – \(words.npsHigh)" : String(value))
            })
        default:
            return Dictionary(uniqueKeysWithValues: words.csatLabels.enumerated().map { ($0.offset + 1, $0.element) })
        }
    }
}

/// The survey page's form; a field that is missing or malformed is nil.
private struct AnswerForm: Decodable {
    var rating: String?
    var comment: String?
}
