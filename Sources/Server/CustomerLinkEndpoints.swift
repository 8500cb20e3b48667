import Foundation
import Hummingbird
import Logging
import Postgres

/// The links in customers' messages (sql/definitions/customer_links.sql): `/u/{token}` one-click
/// unsubscribe and `/opt-in/{token}` SMS opt-in. GET shows what the link does and asks (so a mail
/// scanner that opens links changes nothing); POST does it — from the page's button, or from the
/// mail client itself (RFC 8058: `List-Unsubscribe=One-Click`). An unknown token is answered 404,
/// a used or expired one 410, each with a page that says so in the customer's language.
struct CustomerLinkEndpoints: Sendable {
    let pool: PostgresPool
    let logger: Logger

    func addRoutes(to router: Router<BasicRequestContext>) {
        for (path, action) in [("/u/:token", "unsubscribe"), ("/opt-in/:token", "sms_opt_in")] {
            router.get(RouterPath(path)) { _, context in await self.show(token: context.parameters.get("token") ?? "", action: action) }
            router.post(RouterPath(path)) { request, context in
                await self.use(request, token: context.parameters.get("token") ?? "", action: action)
            }
        }
    }

    private struct Link {
        let action: String
        let channel: String
        let purposes: [String]
        let store: String
        let locale: String?
        let expired: Bool
        let used: Bool
    }

    /// The link with `token`, when it is one of `action`; nil when there is none.
    private func link(_ token: String, action: String) async throws -> Link? {
        // Tokens are 64 hex digits: anything else is no link, without asking the database.
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let rows = try await pool.query("""
            SELECT action, channel, purposes, store_name, locale, expired, used_at IS NOT NULL FROM customer_link_show(\(token))
            """)
        guard let row = rows.first, try row.decode(String.self, at: 0) == action else { return nil }
        return Link(action: action, channel: try row.decode(String.self, at: 1), purposes: try row.decode([String].self, at: 2),
                    store: try row.decode(String.self, at: 3), locale: try row.decode(String?.self, at: 4),
                    expired: try row.decode(Bool.self, at: 5), used: try row.decode(Bool.self, at: 6))
    }

    /// The link and its customer's text, or the page that says why it cannot be used.
    private enum Usable {
        case link(Link, CustomerPageText)
        case refused(Response)
    }

    private func usable(_ token: String, action: String) async -> Usable {
        let found: Link?
        do { found = try await link(token, action: action) } catch { return .refused(unavailable(error)) }
        guard let link = found else { return .refused(problem(CustomerPageText.forLocale(nil), \.unknownLink, .notFound)) }
        let text = CustomerPageText.forLocale(link.locale)
        if link.used { return .refused(problem(text, \.usedLink, .gone)) }
        if link.expired { return .refused(problem(text, \.expiredLink, .gone)) }
        return .link(link, text)
    }

    private func show(token: String, action: String) async -> Response {
        let (link, text): (Link, CustomerPageText)
        switch await usable(token, action: action) {
        case .link(let found, let foundText): (link, text) = (found, foundText)
        case .refused(let page): return page
        }
        let unsubscribe = action == "unsubscribe"
        return CustomerPage(text: text, title: unsubscribe ? text.unsubscribeTitle : text.optInTitle,
                            paragraphs: [detail(link, text), unsubscribe ? text.unsubscribeQuestion : text.optInQuestion],
                            button: unsubscribe ? text.unsubscribeButton : text.optInButton).response(.ok)
    }

    private func use(_ request: Request, token: String, action: String) async -> Response {
        let (link, text): (Link, CustomerPageText)
        switch await usable(token, action: action) {
        case .link(let found, let foundText): (link, text) = (found, foundText)
        case .refused(let page): return page
        }
        var body = (try? await request.body.collect(upTo: 4096)) ?? ByteBuffer()
        let form = body.readString(length: body.readableBytes) ?? ""
        let source = form.contains("List-Unsubscribe=One-Click") ? "one_click" : "page"
        do {
            _ = try await pool.query("SELECT changed FROM customer_link_use(\(token), \(source))")
        } catch let error as PostgresError where error.sqlState == "22023" {
            // Used or expired between the look and the use (a double click): say which.
            return problem(text, error.message.contains("expired") ? \.expiredLink : \.usedLink, .gone)
        } catch {
            return unavailable(error)
        }
        logger.info("customer link used", metadata: ["action": "\(action)", "source": "\(source)"])
        return CustomerPage(text: text, title: text.doneTitle,
                            paragraphs: [detail(link, text), action == "unsubscribe" ? text.unsubscribeDone : text.optInDone]).response(.ok)
    }

    /// "Shop name · Email: order updates, surveys".
    private func detail(_ link: Link, _ text: CustomerPageText) -> String {
        "\(link.store) · \(text.channels[link.channel] ?? link.channel): \(text.purposeList(link.purposes))"
    }

    private func problem(_ text: CustomerPageText, _ message: KeyPath<CustomerPageText, String>, _ status: HTTPResponse.Status) -> Response {
        CustomerPage(text: text, title: text.problemTitle, paragraphs: [text[keyPath: message]]).response(status)
    }

    private func unavailable(_ error: any Error) -> Response {
        CustomerPage.unavailable(error, logger: logger)
    }
}
